"""Client of the pull endpoint, the REST backup of the push channel."""

import http.client
import json
import logging
import re
import time
from dataclasses import dataclass, field

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from .const import (
    DEFAULT_LIMIT,
    DEFAULT_STATUS,
    MAX_PULL_BYTES,
    PULL_BACKOFF_FACTOR,
    PULL_DEADLINE,
    PULL_READ_CHUNK,
    PULL_RETRIES,
    PULL_TIMEOUT,
    REFUSED_HTTP_STATUSES,
    RETRY_AFTER_CAP,
    RETRY_STATUSES,
)
from .order import PayloadError
from .utils import _, check_tenant, endpoints, mask_key, pull_url

logger = logging.getLogger(__name__)


class OrderWebError(Exception):
    """A pull that failed; the message is meant for the restaurant's admin."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class KeyRefused(OrderWebError):
    """OrderWeb answered 401/403: the API key is wrong, revoked or not for this tenant."""


class TenantNotFound(OrderWebError):
    """OrderWeb answered 404: no such tenant (or the base URL is not OrderWeb's)."""


class Unreachable(OrderWebError):
    """No usable answer after the retries: network down, timeouts, 429 or 5xx."""


class BadResponse(OrderWebError):
    """An answer that is not the documented JSON shape."""


class PlatformError(OrderWebError):
    """OrderWeb answered ``success: false``; ``platform_message`` is its own words."""

    def __init__(self, message: str, platform_message: str, status: int | None = None):
        super().__init__(message, status)
        self.platform_message = platform_message


@dataclass
class PullResult:
    tenant: dict
    orders: list  # raw order dicts, verbatim: the caller parses each one on its own
    count: int
    # (raw text, PayloadError) of the orders of the answer that could not even be decoded (nested
    # too deeply): the caller keeps them apart, as the listener's unreadable frames
    unreadable: list = field(default_factory=list)


class _CappedRetry(Retry):
    """Retry that honours Retry-After, but never sleeps longer than RETRY_AFTER_CAP, nor past
    the pull's deadline, and makes no attempt after it."""

    deadline: float | None = None  # time.monotonic() of the whole pull's end

    def new(self, **kw):
        retry = super().new(**kw)
        retry.deadline = self.deadline
        return retry

    def increment(self, *args, **kwargs):
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.total = 0  # the next failure ends the pull
        return super().increment(*args, **kwargs)

    def get_retry_after(self, response):
        retry_after = super().get_retry_after(response)
        return None if retry_after is None else min(retry_after, RETRY_AFTER_CAP, self._left())

    def get_backoff_time(self):
        return min(super().get_backoff_time(), self._left())

    def _left(self):
        return float("inf") if self.deadline is None else max(self.deadline - time.monotonic(), 0.0)


class PullClient:
    """Pulls a tenant's orders; retries on connection errors, timeouts, 429 and 5xx."""

    def __init__(
        self,
        base_url: str,
        tenant: str,
        api_key: str,
        timeout: float | tuple[float, float] = PULL_TIMEOUT,
        retries: int = PULL_RETRIES,
        backoff_factor: float = PULL_BACKOFF_FACTOR,
        session: requests.Session | None = None,
        deadline: float = PULL_DEADLINE,
        max_bytes: int = MAX_PULL_BYTES,
    ):
        self.tenant = check_tenant(tenant)
        self.url = pull_url(endpoints(base_url)[1])
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self._api_key = api_key
        self._owns_session = session is None
        self._session = session or requests.Session()
        self._retry = _CappedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 5xx answer is mapped to Unreachable below
        )
        adapter = HTTPAdapter(max_retries=self._retry)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __enter__(self) -> "PullClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def pull(self, status: str = DEFAULT_STATUS, limit: int = DEFAULT_LIMIT) -> PullResult:
        """Fetch up to ``limit`` orders of ``status``; raises an OrderWebError subclass."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}")
        where = f"OrderWeb ({self.url}, tenant '{self.tenant}')"
        deadline = time.monotonic() + self.deadline
        self._retry.deadline = deadline
        try:
            response = self._session.get(
                self.url,
                params={"tenant": self.tenant, "status": status, "limit": limit},
                # identity: what is counted against the byte budget is the body itself
                headers={"Authorization": f"Bearer {self._api_key}", "Accept": "application/json",
                         "Accept-Encoding": "identity"},
                timeout=self.timeout,
                stream=True,  # the body is read here, within the deadline and the byte budget
            )
            with response:
                return self._read(response, self._body(response, where, deadline), where)
        except requests.exceptions.SSLError as exc:
            raise Unreachable(f"{where}: TLS failed, e.g. the certificate could not be verified "
                              f"({_innermost(exc)})") from None
        except requests.exceptions.RequestException as exc:
            cause = _innermost(exc)
            if isinstance(cause, (TimeoutError, urllib3.exceptions.TimeoutError)):
                raise Unreachable(f"{where} did not answer in time ({self._describe_timeout()})") from None
            raise Unreachable(f"{where} could not be reached: {cause}") from None
        except (OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:  # reading the body
            raise Unreachable(f"{where} broke off its answer: {_innermost(exc)}") from None

    def _body(self, response: requests.Response, where: str, deadline: float) -> bytes:
        """The answer's body, refused past ``max_bytes`` or ``deadline``."""
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise BadResponse(f"{where} answered {int(length)} bytes, more than the {self.max_bytes} bytes "
                              f"a pull may take", response.status_code)
        chunks, size = [], 0
        for chunk in _chunks_as_they_come(response):
            size += len(chunk)
            if size > self.max_bytes:
                raise BadResponse(f"{where} answered more than the {self.max_bytes} bytes a pull may take",
                                  response.status_code)
            if time.monotonic() > deadline:
                raise Unreachable(f"{where} did not finish its answer within {self.deadline} s "
                                  f"({size} bytes received)")
            chunks.append(chunk)
        return b"".join(chunks)

    def _read(self, response: requests.Response, content: bytes, where: str) -> PullResult:
        code = response.status_code
        if code in REFUSED_HTTP_STATUSES:
            raise KeyRefused(
                f"{where} refused the API key {mask_key(self._api_key)} (HTTP {code})", code
            )
        if code == 404:
            raise TenantNotFound(
                f"{where} does not know this tenant (HTTP 404): check the tenant slug and the base URL",
                code,
            )
        if code in RETRY_STATUSES:
            raise Unreachable(f"{where} kept failing (HTTP {code}) after retries", code)
        try:
            try:
                body = json.loads(content)
            except RecursionError:  # an order nested deeper than Python's stack: the others apart
                body = _decode_orders_apart(content.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError is one
            kind = response.headers.get("Content-Type", "no content type")
            raise BadResponse(
                f"{where} answered HTTP {code} with a body that is not JSON ({kind})", code
            ) from None
        if not isinstance(body, dict):
            raise BadResponse(f"{where} answered a JSON {type(body).__name__}, not an object", code)
        if body.get("success") is False or not 200 <= code < 300:
            platform_message = str(body.get("message") or body.get("error") or "no message given")
            raise PlatformError(
                f"{where} reported an error (HTTP {code}): {platform_message}", platform_message, code
            )
        if body.get("success") is not True:
            raise BadResponse(f"{where} answered without 'success: true'", code)
        orders = body.get("orders")
        tenant = body.get("tenant", {})
        count = body.get("count", len(orders) if isinstance(orders, list) else None)
        if not isinstance(orders, list) or not isinstance(tenant, dict):
            raise BadResponse(f"{where} answered without an 'orders' list and a 'tenant' object", code)
        if isinstance(count, bool) or not isinstance(count, int):
            raise BadResponse(f"{where} answered a 'count' that is not an integer", code)
        logger.debug("Pulled %d order(s) for tenant %s", len(orders), self.tenant)
        unreadable = [(order.text, order.reason) for order in orders if isinstance(order, _Undecoded)]
        return PullResult(tenant=tenant, orders=[order for order in orders if not isinstance(order, _Undecoded)],
                          count=count, unreadable=unreadable)

    def _describe_timeout(self) -> str:
        connect, read = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,) * 2
        return f"connect timeout {connect} s, read timeout {read} s"


def _chunks_as_they_come(response: requests.Response):
    """The body as it arrives, each read returning what one receive brought (at most
    PULL_READ_CHUNK bytes): a trickling answer is seen byte by byte, so the caller's deadline
    is checked between them, where ``iter_content`` would wait for a full chunk."""
    read1 = getattr(response.raw, "read1", None)  # urllib3 2
    if read1 is None:  # urllib3 1.26 (Odoo's): the http.client response it wraps
        read1 = response.raw._fp.read1  # pylint: disable=protected-access
    while chunk := read1(PULL_READ_CHUNK):
        yield chunk


@dataclass(frozen=True)
class _Undecoded:
    """An element of the answer's ``orders`` that could not be decoded, as its text."""
    text: str
    reason: PayloadError


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r'[\[\]{}"]')
_SPACE = re.compile(r"\s*")


def _value_end(text: str, start: int) -> int:
    """Where the JSON value at ``start`` ends, found without recursion (brackets counted)."""
    if text[start] not in "[{":
        return json.JSONDecoder().raw_decode(text, start)[1]  # a scalar: no nesting to recurse into
    depth, position = 0, start
    while match := _BRACKETS.search(text, position):
        char = match.group()
        if char == '"':
            string = _STRING.match(text, match.start())
            if not string:
                raise ValueError("unterminated string")
            position = string.end()
            continue
        depth += 1 if char in "[{" else -1
        position = match.end()
        if depth == 0:
            return position
    raise ValueError("unterminated value")


def _decode_orders_apart(text: str) -> dict:
    """The answer's top-level object, each element of its ``orders`` decoded on its own: one
    too deep to decode is kept as an ``_Undecoded``, the others are read as usual."""

    def skip(position):
        return _SPACE.match(text, position).end()

    def expect(position, chars):
        position = skip(position)
        if position >= len(text) or text[position] not in chars:
            raise ValueError(f"expected one of {chars!r} at {position}")
        return position + 1

    def decode(start, end):
        try:
            return json.loads(text[start:end])
        except RecursionError:
            return _Undecoded(text[start:end], PayloadError("order", _("is nested too deeply to be read")))

    try:
        return _decode_object(text, skip, expect, decode)
    except IndexError:  # the text ended inside the object
        raise ValueError("the answer ends too early") from None


def _decode_object(text, skip, expect, decode):
    body = {}
    position = expect(0, "{")
    while text[skip(position)] != "}":
        key, position = json.JSONDecoder().raw_decode(text, skip(position))
        position = skip(expect(position, ":"))
        if key == "orders" and text[position] == "[":
            orders, position = [], skip(position + 1)
            while text[position] != "]":
                end = _value_end(text, position)
                orders.append(decode(position, end))
                position = skip(end)
                if text[position] == ",":
                    position = skip(position + 1)
            body[key] = orders
            position += 1
        else:
            end = _value_end(text, position)
            body[key] = decode(position, end)
            position = end
        position = skip(position)
        if text[position] == ",":
            position += 1
    return body


def _innermost(exc: BaseException) -> BaseException:
    """The first cause (e.g. ConnectionRefusedError) under requests' and urllib3's wrappers."""
    while True:
        if isinstance(exc, NewConnectionError):
            # Its text starts with an object repr; the socket error it wraps is the context.
            inner = exc.__context__
        else:
            reason = getattr(exc, "reason", None)  # urllib3's MaxRetryError
            wrapped = exc.args[0] if exc.args else None  # requests wraps urllib3's error
            inner = next((e for e in (reason, wrapped, exc.__cause__) if isinstance(e, BaseException)), None)
        if inner is None:
            return exc
        exc = inner
