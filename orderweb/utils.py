"""Pure helpers: endpoint derivation, key masking and payload text."""

import ipaddress
import json
import re
import unicodedata
from urllib.parse import quote, urlsplit

from .const import (
    API_KEY_PREFIX,
    DEFAULT_PORTS,
    LOOPBACK_HOSTS,
    MASK_MIN_KEY_LENGTH,
    MASK_VISIBLE_TAIL,
    PULL_PATH,
    SCHEME_PAIRS,
    WS_PATH,
)


def _(template: str) -> str:
    """Mark an English message of this client for the translation catalogue of the Odoo addon
    that ships it (Odoo's extractor reads ``_("...")`` in every file of the addon): this client
    never translates, an application shows :class:`MessageError` in its user's language."""
    return template


class MessageError(ValueError):
    """An error whose message is an English ``template`` (marked with ``_``) and its ``params``:
    ``str()`` gives the English text, an application may translate the template instead."""

    def __init__(self, template: str, **params):
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


def endpoints(base_url: str) -> tuple[str, str]:
    """Return ``(ws_base, http_base)`` derived from one OrderWeb base URL.

    ``wss://orderweb.net`` and ``https://orderweb.net`` both give
    ``('wss://orderweb.net', 'https://orderweb.net')``; ``ws``/``http`` give the
    plain pair (local stand-in only). Raises MessageError (a ValueError) on anything else.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise MessageError(_("The OrderWeb base URL is empty: expected e.g. https://orderweb.net"))
    text = base_url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # parsing the port is what validates it
    except ValueError as exc:
        raise MessageError(_("The OrderWeb base URL %(url)r is not a valid URL (%(error)s)"),
                           url=text, error=exc) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEME_PAIRS:
        raise MessageError(_("The OrderWeb base URL %(url)r must start with https://, wss://, http:// or ws://"),
                           url=text)
    if not parts.hostname:
        raise MessageError(_("The OrderWeb base URL %(url)r has no host name"), url=text)
    if parts.username is not None or parts.password is not None:
        raise MessageError(_("The OrderWeb base URL %(url)r must not contain credentials"), url=text)
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise MessageError(_("The OrderWeb base URL %(url)r must be scheme and host only, "
                             "without a path, query or fragment"), url=text)
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal: the brackets urlsplit removed are needed again
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    ws_scheme, http_scheme = SCHEME_PAIRS[scheme]
    return f"{ws_scheme}://{netloc}", f"{http_scheme}://{netloc}"


def server_identity(base_url: str) -> str:
    """``host:port`` of the server ``base_url`` reaches, however it is spelled.

    http/ws and https/wss, case, a trailing slash or dot, a default port written or
    not, and the names of this machine give one identity: ``http://LOCALHOST:80/`` and
    ``ws://127.0.0.1`` are both ``localhost:80``. Raises ValueError as :func:`endpoints`.
    """
    ws_base, _http_base = endpoints(base_url)
    parts = urlsplit(ws_base)
    host = parts.hostname.rstrip(".")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback or host in LOOPBACK_HOSTS:
        host = LOOPBACK_HOSTS[0]
    elif ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port or DEFAULT_PORTS[parts.scheme]}"


def ws_url(ws_base: str, tenant: str) -> str:
    """The tenant's WebSocket URL; the slug is quoted so it cannot alter the path."""
    return ws_base + WS_PATH.format(tenant=quote(tenant, safe=""))


def pull_url(http_base: str) -> str:
    return http_base + PULL_PATH


def check_tenant(tenant: str) -> str:
    """Return the tenant slug, or raise ValueError if it cannot be one."""
    if not isinstance(tenant, str) or not tenant.strip():
        raise MessageError(_("The OrderWeb tenant slug is empty"))
    if tenant != tenant.strip() or "/" in tenant:
        raise MessageError(_("The OrderWeb tenant slug %(tenant)r contains spaces or slashes"), tenant=tenant)
    return tenant


def mask_key(key: str | None) -> str:
    """A form of the API key safe for logs and screens, e.g. ``pos_…0c2f``."""
    if not key:
        return "(no key)"
    if not isinstance(key, str) or len(key) < MASK_MIN_KEY_LENGTH:
        return "****"
    prefix = API_KEY_PREFIX if key.startswith(API_KEY_PREFIX) else ""
    return f"{prefix}…{key[-MASK_VISIBLE_TAIL:]}"


# Code points UTF-8 (so PostgreSQL text) cannot hold: NUL, and lone UTF-16 surrogates as
# JavaScript's JSON.stringify writes them when a text is cut in the middle of an emoji.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def is_storable_text(text: str) -> bool:
    """True when PostgreSQL can store ``text`` as it is: no NUL, no lone surrogate."""
    return not _UNSTORABLE.search(text)


def storable_text(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD, so that any UTF-8 store takes it."""
    return _UNSTORABLE.sub("\ufffd", text)


def json_text(value) -> str:
    """JSON text of ``value`` that any UTF-8 store takes and ``json.loads`` reads back exactly.

    Non-ASCII stays readable unless ``value`` holds lone surrogates, which UTF-8 cannot
    encode: then everything non-ASCII is escaped. Any depth of nesting (``json.dumps``
    recurses, and a payload the listener could read may be too deep for a deeper stack).
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except RecursionError:
        return _json_text_flat(value)
    return json.dumps(value) if _SURROGATE.search(text) else text


def _json_text_flat(value) -> str:
    """``json.dumps(value)`` without recursion, for values nested deeper than the stack allows."""
    parts = []
    todo = [(False, value)]  # (is literal text, item), last first
    while todo:
        literal, item = todo.pop()
        if literal:
            parts.append(item)
        elif isinstance(item, dict):
            members = [(True, "{")]
            for index, (key, member) in enumerate(item.items()):
                key_text = json.dumps(key if isinstance(key, str) else json.dumps(key))
                members += [(True, (", " if index else "") + key_text + ": "), (False, member)]
            todo.extend(reversed([*members, (True, "}")]))
        elif isinstance(item, (list, tuple)):
            members = [(True, "[")]
            for index, member in enumerate(item):
                members += [(True, ", "), (False, member)] if index else [(False, member)]
            todo.extend(reversed([*members, (True, "]")]))
        else:
            parts.append(json.dumps(item))
    return "".join(parts)


def pretty_json(value, max_depth: int) -> tuple[str, bool]:
    """``value`` as indented JSON for reading, and whether anything was left out.

    Arrays and objects nested deeper than ``max_depth`` show as ``[…]`` and ``{…}``;
    lone surrogates show as their ``\\uXXXX`` escape, so the text is valid UTF-8.
    """
    cut = False

    def render(item, depth):
        nonlocal cut
        if isinstance(item, (dict, list)) and item and depth >= max_depth:
            cut = True
            return "{…}" if isinstance(item, dict) else "[…]"
        pad = "\n" + "  " * (depth + 1)
        if isinstance(item, dict) and item:
            members = (f"{json.dumps(str(key), ensure_ascii=False)}: {render(member, depth + 1)}"
                       for key, member in item.items())
            return "{" + pad + ("," + pad).join(members) + "\n" + "  " * depth + "}"
        if isinstance(item, list) and item:
            return ("[" + pad + ("," + pad).join(render(member, depth + 1) for member in item)
                    + "\n" + "  " * depth + "]")
        return json.dumps(item, ensure_ascii=False)

    text = render(value, 0)
    return _SURROGATE.sub(lambda match: "\\u%04x" % ord(match[0]), text), cut



# Letters that Unicode does not decompose into plain ones (NFKD leaves them whole), written
# as English spells them: "Cœliac" is "coeliac". Dashes and hyphens read as "-".
_PLAIN_LETTERS = str.maketrans({
    "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
})
_BLANKS = re.compile(r"\s+")


def folded_text(text: str) -> str:
    """``text`` as words are compared: case folded, compatibility forms (ligatures such as
    "ﬁ", full-width letters) and accents undone, letters without a decomposition spelt out,
    every run of blanks one space. "CŒLIAC", "Cœliac" and "coeliac" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN_LETTERS))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Folding again: a decomposition may give a letter that folds (e.g. "ℌ" gives "H").
    return _BLANKS.sub(" ", plain.casefold().translate(_PLAIN_LETTERS))
