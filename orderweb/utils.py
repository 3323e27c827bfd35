"""Pure helpers: endpoint derivation, key masking, storable JSON text."""

import json
from typing import Any
from urllib.parse import quote, urlsplit

from .const import (
    API_KEY_PREFIX,
    MASK_MIN_KEY_LENGTH,
    MASK_VISIBLE_TAIL,
    PULL_PATH,
    SCHEME_PAIRS,
    WS_PATH,
)


def endpoints(base_url: str) -> tuple[str, str]:
    """Return ``(ws_base, http_base)`` derived from one OrderWeb base URL.

    ``wss://orderweb.net`` and ``https://orderweb.net`` both give
    ``('wss://orderweb.net', 'https://orderweb.net')``; ``ws``/``http`` give the
    plain pair (local stand-in only). Raises ValueError on anything else.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise ValueError("The OrderWeb base URL is empty: expected e.g. https://orderweb.net")
    text = base_url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # parsing the port is what validates it
    except ValueError as exc:
        raise ValueError(f"The OrderWeb base URL {text!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEME_PAIRS:
        raise ValueError(
            f"The OrderWeb base URL {text!r} must start with https://, wss://, http:// or ws://"
        )
    if not parts.hostname:
        raise ValueError(f"The OrderWeb base URL {text!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"The OrderWeb base URL {text!r} must not contain credentials")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(
            f"The OrderWeb base URL {text!r} must be scheme and host only, "
            "without a path, query or fragment"
        )
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal: the brackets urlsplit removed are needed again
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    ws_scheme, http_scheme = SCHEME_PAIRS[scheme]
    return f"{ws_scheme}://{netloc}", f"{http_scheme}://{netloc}"


def ws_url(ws_base: str, tenant: str) -> str:
    """The tenant's WebSocket URL; the slug is quoted so it cannot alter the path."""
    return ws_base + WS_PATH.format(tenant=quote(tenant, safe=""))


def pull_url(http_base: str) -> str:
    return http_base + PULL_PATH


def check_tenant(tenant: str) -> str:
    """Return the tenant slug, or raise ValueError if it cannot be one."""
    if not isinstance(tenant, str) or not tenant.strip():
        raise ValueError("The OrderWeb tenant slug is empty")
    if tenant != tenant.strip() or "/" in tenant:
        raise ValueError(f"The OrderWeb tenant slug {tenant!r} contains spaces or slashes")
    return tenant


def mask_key(key: str | None) -> str:
    """A form of the API key safe for logs and screens, e.g. ``pos_…0c2f``."""
    if not key:
        return "(no key)"
    if not isinstance(key, str) or len(key) < MASK_MIN_KEY_LENGTH:
        return "****"
    prefix = API_KEY_PREFIX if key.startswith(API_KEY_PREFIX) else ""
    return f"{prefix}…{key[-MASK_VISIBLE_TAIL:]}"


def is_storable_text(text: str) -> bool:
    """True when PostgreSQL can store ``text`` as it is: no NUL, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable_json(value: Any) -> str:
    """JSON text of any value ``json.loads`` returned, that PostgreSQL stores as text and
    ``json.loads`` gives back exactly.

    ASCII-only output escapes what PostgreSQL refuses in text (NUL, and lone surrogates,
    which have no UTF-8 form) as ``\\u0000``/``\\ud83d``. A value nested deeper than the
    recursion limit allows (the frame may have been read on a shallower stack) is
    written without recursion.
    """
    try:
        return json.dumps(value, ensure_ascii=True)
    except RecursionError:
        return _dumps_without_recursion(value)


class _Literal(str):
    """JSON punctuation already written, as opposed to a value still to write."""


def _dumps_without_recursion(value: Any) -> str:
    parts: list[str] = []
    pending: list[Any] = [value]  # a stack: the next piece to write is last
    while pending:
        piece = pending.pop()
        if isinstance(piece, _Literal):
            parts.append(piece)
        elif isinstance(piece, dict):
            pieces: list[Any] = [_Literal("{")]
            for index, (key, item) in enumerate(piece.items()):
                separator = ", " if index else ""
                pieces += [_Literal(separator + json.dumps(str(key), ensure_ascii=True) + ": "), item]
            pending += reversed([*pieces, _Literal("}")])
        elif isinstance(piece, list):
            pieces = [_Literal("[")]
            for index, item in enumerate(piece):
                pieces += [_Literal(", "), item] if index else [item]
            pending += reversed([*pieces, _Literal("]")])
        else:
            parts.append(json.dumps(piece, ensure_ascii=True))
    return "".join(parts)
