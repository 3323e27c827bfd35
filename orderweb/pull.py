"""Client of the pull endpoint, the REST backup of the push channel."""

import logging
from dataclasses import dataclass

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError
from urllib3.util.retry import Retry

from .const import (
    DEFAULT_LIMIT,
    DEFAULT_STATUS,
    PULL_BACKOFF_FACTOR,
    PULL_RETRIES,
    PULL_TIMEOUT,
    REFUSED_HTTP_STATUSES,
    RETRY_AFTER_CAP,
    RETRY_STATUSES,
)
from .utils import check_tenant, endpoints, mask_key, pull_url

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


class _CappedRetry(Retry):
    """Retry that honours Retry-After, but never sleeps longer than RETRY_AFTER_CAP."""

    def get_retry_after(self, response):
        retry_after = super().get_retry_after(response)
        return None if retry_after is None else min(retry_after, RETRY_AFTER_CAP)


class PullClient:
    """Pulls a tenant's orders; retries on connection errors, timeouts, 429 and 5xx."""

    def __init__(
        self,
        base_url: str,
        tenant: str,
        api_key: str,
        timeout: tuple[float, float] = PULL_TIMEOUT,
        retries: int = PULL_RETRIES,
        backoff_factor: float = PULL_BACKOFF_FACTOR,
        session: requests.Session | None = None,
    ):
        self.tenant = check_tenant(tenant)
        self.url = pull_url(endpoints(base_url)[1])
        self.timeout = timeout
        self._api_key = api_key
        self._owns_session = session is None
        self._session = session or requests.Session()
        retry = _CappedRetry(
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
        adapter = HTTPAdapter(max_retries=retry)
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
        try:
            response = self._session.get(
                self.url,
                params={"tenant": self.tenant, "status": status, "limit": limit},
                headers={"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.exceptions.SSLError as exc:
            raise Unreachable(f"{where}: TLS failed, e.g. the certificate could not be verified "
                              f"({_innermost(exc)})") from None
        except requests.exceptions.RequestException as exc:
            cause = _innermost(exc)
            if isinstance(cause, (TimeoutError, urllib3.exceptions.TimeoutError)):
                raise Unreachable(f"{where} did not answer in time ({self._describe_timeout()})") from None
            raise Unreachable(f"{where} could not be reached: {cause}") from None
        with response:
            return self._read(response, where)

    def _read(self, response: requests.Response, where: str) -> PullResult:
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
            body = response.json()
        except ValueError:
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
        return PullResult(tenant=tenant, orders=orders, count=count)

    def _describe_timeout(self) -> str:
        connect, read = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,) * 2
        return f"connect timeout {connect} s, read timeout {read} s"


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
