"""Fixtures: a fresh stand-in per test and listeners that are always stopped."""

import threading
import time

import pytest
from hypothesis import HealthCheck, settings

from orderweb.listener import Listener
from orderweb.simulator import SimulatorThread

# Property tests: bounded and the same examples on every run (CI must not flake);
# no example database is written into the work tree.
settings.register_profile("wire", max_examples=200, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("wire")

TENANT = "kitchen"
# Short intervals so that every behaviour shows within a second or two.
FAST = {
    "ping_interval": 0.3,
    "pong_timeout": 0.3,
    "backoff_first": 0.1,
    "backoff_cap": 0.4,
    "stable_after": 60.0,
    "refused_retry": 0.5,
    "connect_timeout": 2.0,
}


def wait_for(predicate, timeout=5.0, interval=0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class Recorder:
    """Collects every listener callback, safely across threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.orders = []  # (Order, raw)
        self.invalid = []  # (raw, PayloadError)
        self.statuses = []
        self.connected = 0

    def on_order(self, order, raw):
        with self.lock:
            self.orders.append((order, raw))

    def on_invalid(self, raw, error):
        with self.lock:
            self.invalid.append((raw, error))

    def on_status(self, status):
        with self.lock:
            self.statuses.append(status)

    def on_connected(self):
        with self.lock:
            self.connected += 1

    @property
    def states(self) -> list[str]:
        with self.lock:
            return [status.state for status in self.statuses]

    @property
    def order_ids(self) -> list[str]:
        with self.lock:
            return [order.order_id for order, _ in self.orders]


@pytest.fixture
def sim():
    with SimulatorThread(tenants=(TENANT, "bistro"), seed=7) as simulator:
        yield simulator


@pytest.fixture
def listen(sim):
    """``listen(**overrides) -> (listener, recorder)``, started with FAST settings."""
    started = []

    def make(base_url=None, api_key=None, tenant=TENANT, start=True, **overrides):
        recorder = Recorder()
        callbacks = {"on_order": recorder.on_order, "on_invalid": recorder.on_invalid,
                     "on_status": recorder.on_status, "on_connected": recorder.on_connected}
        callbacks.update({k: overrides.pop(k) for k in list(overrides) if k.startswith("on_")})
        listener = Listener(base_url or sim.base_url, tenant, api_key or sim.api_key,
                            **callbacks, **{**FAST, **overrides})
        started.append(listener)
        if start:
            listener.start()
        return listener, recorder

    yield make
    for listener in started:
        listener.stop()


def connected(listener) -> bool:
    return listener.status().state == "connected"
