import logging
import socket
import time

import pytest
from conftest import TENANT

from orderweb.order import parse_order
from orderweb.pull import (
    BadResponse,
    KeyRefused,
    PlatformError,
    PullClient,
    TenantNotFound,
    Unreachable,
)
from orderweb.simulator.data import SAMPLE_ORDERS
from orderweb.simulator.server import _pull_shape

WRONG_KEY = "pos_" + "1" * 64


@pytest.fixture
def client(sim):
    """A client that does not sleep between retries, so error tests stay fast."""
    with PullClient(sim.base_url, TENANT, sim.api_key, timeout=(1, 2), backoff_factor=0) as pull_client:
        yield pull_client


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_pull_returns_the_sample_orders_verbatim(client, sim):
    result = client.pull()
    assert result.tenant == {"id": "2b82acee-450a-4f35-a76f-c388d709545e", "name": "Kitchen Restaurant",
                             "slug": "kitchen"}
    assert result.count == 3
    assert [o["orderNumber"] for o in result.orders] == ["KIT-3763", "KIT-4227", "KIT-7163"]
    assert result.orders == [_pull_shape(sample) for sample in SAMPLE_ORDERS["kitchen"]]
    assert all("id" in o and "total" in o and "orderId" not in o for o in result.orders)
    assert [parse_order(o).shape for o in result.orders] == ["pull"] * 3
    assert sim.stats(TENANT)["pulls"] == 1


def test_pull_passes_status_and_limit(client, sim):
    assert client.pull(limit=2).count == 2
    sim.set_status(TENANT, "69fb5687-044a-48af-ac0e-d6b817aec684", "completed")
    assert [o["orderNumber"] for o in client.pull().orders] == ["KIT-4227", "KIT-7163"]
    assert [o["orderNumber"] for o in client.pull(status="completed").orders] == ["KIT-3763"]


def test_pull_accepts_a_ws_base_url(sim):
    with PullClient(sim.base_url.replace("http://", "ws://"), TENANT, sim.api_key) as pull_client:
        assert pull_client.pull().count == 3


@pytest.mark.parametrize("limit", [0, -1, "50", True, None])
def test_pull_refuses_a_bad_limit(client, limit):
    with pytest.raises(ValueError):
        client.pull(limit=limit)


def test_wrong_key_is_refused_and_never_shown(sim, caplog):
    caplog.set_level(logging.DEBUG)
    with PullClient(sim.base_url, TENANT, WRONG_KEY) as pull_client:
        with pytest.raises(KeyRefused) as caught:
            pull_client.pull()
    assert caught.value.status == 401
    assert "pos_…1111" in str(caught.value)
    assert WRONG_KEY not in str(caught.value) and WRONG_KEY not in caplog.text


def test_forbidden_is_a_refused_key(client, sim):
    sim.set_faults(TENANT, pull_error_status=403)
    with pytest.raises(KeyRefused, match="HTTP 403"):
        client.pull()


def test_unknown_tenant(sim):
    with PullClient(sim.base_url, "nowhere", sim.api_key) as pull_client:
        with pytest.raises(TenantNotFound, match="tenant slug"):
            pull_client.pull()


def test_non_json_body(client, sim):
    sim.set_faults(TENANT, pull_garbage=True)
    with pytest.raises(BadResponse, match="not JSON.*text/html"):
        client.pull()


def test_success_false_carries_the_platform_message(client, sim):
    sim.set_faults(TENANT, pull_error_status=200)
    with pytest.raises(PlatformError) as caught:
        client.pull()
    assert caught.value.platform_message == "Simulated platform error"
    assert "Simulated platform error" in str(caught.value)


def test_other_client_error_with_json_message(client, sim):
    sim.set_faults(TENANT, pull_error_status=422)
    with pytest.raises(PlatformError, match="HTTP 422"):
        client.pull()


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_are_retried_then_unreachable(sim, status):
    sim.set_faults(TENANT, pull_error_status=status)
    with PullClient(sim.base_url, TENANT, sim.api_key, retries=2, backoff_factor=0) as pull_client:
        with pytest.raises(Unreachable, match=f"HTTP {status}") as caught:
            pull_client.pull()
    assert caught.value.status == status
    assert sim.stats(TENANT)["pulls"] == 3  # the first try and two retries


def test_refused_connection_is_unreachable():
    with PullClient(f"http://127.0.0.1:{free_port()}", TENANT, WRONG_KEY, retries=1,
                    backoff_factor=0) as pull_client:
        with pytest.raises(Unreachable, match="could not be reached.*[Cc]onnection refused"):
            pull_client.pull()


def test_slow_answer_times_out(sim):
    sim.set_faults(TENANT, pull_delay=1.5)
    with PullClient(sim.base_url, TENANT, sim.api_key, timeout=(1, 0.3), retries=1,
                    backoff_factor=0) as pull_client:
        began = time.monotonic()
        with pytest.raises(Unreachable, match="did not answer in time"):
            pull_client.pull()
    assert time.monotonic() - began < 2.5
    assert sim.stats(TENANT)["pulls"] == 2  # read timeouts are retried too (GET is idempotent)


def test_retry_after_is_capped():
    from orderweb.const import RETRY_AFTER_CAP
    from orderweb.pull import _CappedRetry

    class Answer:
        headers = {"Retry-After": "3600"}

        def getheader(self, name):
            return self.headers.get(name)

    assert _CappedRetry().get_retry_after(Answer()) == RETRY_AFTER_CAP
