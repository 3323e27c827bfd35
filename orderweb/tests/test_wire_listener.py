import json
import logging
import select
import socket
import threading
import time

import pytest
from conftest import TENANT, Recorder, connected, wait_for
from websocket import ABNF

from orderweb import listener as listener_module
from orderweb.const import MAX_FRAME_BYTES, MAX_REMEMBERED_UNKNOWN_TYPES, OVERSIZED_FRAME_KEEP
from orderweb.frames import Message
from orderweb.listener import Listener
from orderweb.order import Order, PayloadError
from orderweb.pull import PullClient
from orderweb.utils import is_storable_text

WRONG_KEY = "pos_" + "2" * 64


def test_connects_and_delivers_a_pushed_order(sim, listen, caplog):
    caplog.set_level(logging.DEBUG)
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    assert wait_for(lambda: seen.connected == 1)
    stored = sim.push_order(TENANT, {"orderType": "delivery", "customerPhone": "+447700900123"})
    assert wait_for(lambda: len(seen.orders) == 1)
    order, raw = seen.orders[0]
    assert isinstance(order, Order) and raw == stored
    assert (order.order_id, order.order_type, order.shape) == (stored["orderId"], "delivery", "push")
    status = listener.status()
    assert status.connected_since is not None and status.last_message_at is not None
    assert (status.reconnect_count, status.last_error) == (0, None)
    assert seen.states[:2] == ["connecting", "connected"]
    assert threading.current_thread().name != "orderweb-listener-kitchen"
    assert any(t.name == "orderweb-listener-kitchen" and t.daemon for t in threading.enumerate())
    assert sim.api_key not in caplog.text and "pos_…beef" in caplog.text


def test_every_connected_listener_gets_every_order(sim, listen):
    first, first_seen = listen()
    second, second_seen = listen()
    assert wait_for(lambda: sim.stats(TENANT)["connections"] == 2)
    sim.push_order(TENANT)
    assert wait_for(lambda: len(first_seen.orders) == 1 and len(second_seen.orders) == 1)


def test_wrong_key_is_reported_and_retried_slowly(sim, listen, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    waits = []  # the seconds of each wait between two connections (on the wake-up socket alone)
    real_select = select.select

    def recording_select(rlist, wlist, xlist, timeout=None):
        if len(rlist) == 1 and not wlist:
            waits.append(timeout)
        return real_select(rlist, wlist, xlist, timeout)

    monkeypatch.setattr(listener_module.select, "select", recording_select)
    listener, seen = listen(api_key=WRONG_KEY, refused_retry=30.0)
    # Seen waiting refused_retry, not the reconnection backoff: no attempt comes before it ends.
    assert wait_for(lambda: 30.0 in waits)
    assert sim.stats(TENANT)["refused"] == 1
    assert listener.status().state == "key_refused"
    assert "HTTP 401" in listener.status().last_error and "pos_…2222" in listener.status().last_error
    assert WRONG_KEY not in caplog.text


def test_refusal_by_close_code_right_after_open(sim, listen):
    sim.set_faults(TENANT, refuse_for=10, refuse_mode="close")
    listener, seen = listen(refused_retry=30.0)
    assert wait_for(lambda: listener.status().state == "key_refused")
    assert "code 4001" in listener.status().last_error
    assert seen.connected == 1  # the upgrade itself succeeded


def test_refused_key_recovers_when_accepted_again(sim, listen):
    sim.set_faults(TENANT, refuse_for=0.6)
    listener, seen = listen(refused_retry=0.4)
    assert wait_for(lambda: listener.status().state == "key_refused")
    assert wait_for(lambda: connected(listener), timeout=5)
    assert "key_refused" in seen.states


def test_pings_are_sent_and_answered(sim, listen):
    listener, seen = listen(ping_interval=0.1, pong_timeout=0.5)
    assert wait_for(lambda: sim.stats(TENANT)["pongs"] >= 4)
    assert connected(listener)
    assert sim.stats(TENANT)["connections_total"] == 1


def test_missing_pong_means_a_dead_link(sim, listen):
    sim.set_faults(TENANT, no_pong=True)
    listener, seen = listen(ping_interval=0.2, pong_timeout=0.3)
    assert wait_for(lambda: connected(listener))
    assert wait_for(lambda: "reconnecting" in seen.states, timeout=3)
    assert "no pong" in listener.status().last_error
    assert wait_for(lambda: sim.stats(TENANT)["connections_total"] >= 2, timeout=3)
    sim.set_faults(TENANT, no_pong=False)
    assert wait_for(lambda: connected(listener))


def test_orders_arriving_keep_a_link_alive_whose_pong_is_late(sim, listen):
    # A busy evening: frames keep coming while the pong is held back behind them.
    sim.set_faults(TENANT, no_pong=True)
    listener, seen = listen(ping_interval=0.2, pong_timeout=0.5)
    assert wait_for(lambda: connected(listener))
    for _ in range(15):
        sim.push_order(TENANT)
        time.sleep(0.1)
    assert wait_for(lambda: len(seen.orders) == 15)
    assert (listener.status().state, listener.status().reconnect_count) == ("connected", 0)


def test_a_server_ping_is_answered_and_the_link_stays(sim, listen):
    listener, seen = listen(ping_interval=0.2, pong_timeout=0.5)
    assert wait_for(lambda: connected(listener))
    sim.ping_clients(TENANT)
    # The listener's own pings go on after the server's: a read left waiting for a data frame
    # would send none until its deadline dropped the link (a reconnection, counted below).
    pings = sim.stats(TENANT)["pings"]
    assert wait_for(lambda: sim.stats(TENANT)["pings"] >= pings + 3)
    sim.push_order(TENANT)
    assert wait_for(lambda: len(seen.orders) == 1)
    assert (listener.status().state, listener.status().reconnect_count) == ("connected", 0)


def test_reconnects_after_a_drop(sim, listen):
    listener, seen = listen()
    assert wait_for(lambda: seen.connected == 1)
    assert sim.drop(TENANT) == 1
    assert wait_for(lambda: seen.connected == 2, timeout=3)
    status = listener.status()
    assert (status.state, status.reconnect_count) == ("connected", 1)
    assert "code 1001" in status.last_error
    assert seen.states[-3:] == ["reconnecting", "connecting", "connected"]
    sim.push_order(TENANT)
    assert wait_for(lambda: len(seen.orders) == 1)


def test_backoff_is_exponential_capped_jittered_and_reset(sim, listen, monkeypatch):
    ceilings = []

    def highest(low, high):
        ceilings.append((low, high))
        return high

    monkeypatch.setattr(listener_module.random, "uniform", highest)
    with socket.socket() as probe:  # a port with nothing behind it: every connect fails
        probe.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    listener, seen = listen(base_url=dead_url, backoff_first=0.02, backoff_cap=0.1)
    assert wait_for(lambda: len(ceilings) >= 6)
    listener.stop()
    assert ceilings[:6] == [(0, 0.02), (0, 0.04), (0, 0.08), (0, 0.1), (0, 0.1), (0, 0.1)]
    assert "refused" in listener.status().last_error.lower()

    ceilings.clear()  # a connection that stayed up long enough resets the backoff
    stable, _ = listen(backoff_first=0.02, backoff_cap=0.1, stable_after=0.2)
    assert wait_for(lambda: connected(stable))
    sim.drop(TENANT)
    assert wait_for(lambda: len(ceilings) == 1)
    assert wait_for(lambda: connected(stable))
    time.sleep(0.3)
    sim.drop(TENANT)
    assert wait_for(lambda: len(ceilings) == 2)
    assert ceilings == [(0, 0.02), (0, 0.02)]


def test_orders_missed_during_an_outage_are_recovered_by_a_pull(sim, listen):
    pulled = {}

    def catch_up():  # what the Odoo side does on every (re)connect
        with PullClient(sim.base_url, TENANT, sim.api_key) as client:
            pulled.update((o["id"], o) for o in client.pull().orders)

    listener, seen = listen(on_connected=catch_up, refused_retry=0.2)
    assert wait_for(lambda: len(pulled) == 3)  # the samples, pulled on the first connect
    sim.set_faults(TENANT, refuse_for=0.5)
    sim.drop(TENANT)
    assert wait_for(lambda: not connected(listener))
    missed = sim.push_order(TENANT, push=False)  # the platform could not push it
    assert wait_for(lambda: missed["orderId"] in pulled, timeout=5)
    assert seen.orders == []  # it never came through the WebSocket


def test_malformed_frames_are_skipped_and_the_link_lives_on(sim, listen):
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    sim.set_faults(TENANT, malformed_next=5)
    pushed = [sim.push_order(TENANT)["orderId"] for _ in range(6)]
    assert wait_for(lambda: len(seen.orders) == 6)
    assert seen.order_ids == pushed
    assert len(seen.invalid) == 1  # the one new_order whose data is not an order
    raw, error = seen.invalid[0]
    assert isinstance(error, PayloadError) and raw["orderNumber"] == "BAD-0001"
    errors = [s.last_error for s in seen.statuses if s.last_error]
    assert any("not JSON" in e for e in errors) and any("not valid UTF-8" in e for e in errors)
    assert any("binary frame" in e for e in errors) and any("JSON list" in e for e in errors)
    assert connected(listener) and sim.stats(TENANT)["connections_total"] == 1


@pytest.mark.parametrize("frame", [
    b"\xc3\x28 invalid UTF-8",
    b"null",
    b'{"type": "new_order"}',
    b'{"type": "new_order", "data": [1, 2]}',
    b'{"type": "new_order", "data": {"orderId": "x", "items": [{"name": "a", "price": NaN}]}}',
    b"\x00" * 100_000,
    b"[" * 100_000,
])
def test_hostile_frames_do_not_break_the_link(sim, listen, frame):
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    sim.send_raw(TENANT, frame)
    sim.push_order(TENANT)
    assert wait_for(lambda: len(seen.orders) == 1)
    assert listener.status().last_error is not None
    assert sim.stats(TENANT)["connections_total"] == 1


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_python_cannot_hold_is_that_orders_error_only(sim, listen, created_at):
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    bad = {"orderId": "bad-time-1", "orderNumber": "KIT-0001", "createdAt": created_at,
           "items": [{"name": "Margherita pizza", "price": 10.5, "quantity": 1}]}
    sim.send_raw(TENANT, json.dumps({"type": "new_order", "data": bad}))
    good = sim.push_order(TENANT)  # right after it, on the same socket
    assert wait_for(lambda: len(seen.orders) == 1)
    assert seen.order_ids == [good["orderId"]]
    [(raw, error)] = seen.invalid
    assert raw == bad and isinstance(error, PayloadError) and error.field == "createdAt"
    assert connected(listener) and sim.stats(TENANT)["connections_total"] == 1


def test_an_oversized_frame_is_reported_by_its_id_and_the_link_stays(sim, listen):
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    huge = {"type": "new_order", "data": {"orderId": "big-1", "orderNumber": "KIT-9999",
                                          "items": [{"name": "x" * 100, "price": 1}] * 20_000}}
    frame = json.dumps(huge).encode()
    assert len(frame) > MAX_FRAME_BYTES
    sim.send_raw(TENANT, frame)
    good = sim.push_order(TENANT)
    assert wait_for(lambda: len(seen.orders) == 1)
    assert seen.order_ids == [good["orderId"]]
    [(raw, error)] = seen.invalid
    assert (raw["orderId"], raw["orderNumber"], raw["frameBytes"]) == ("big-1", "KIT-9999", len(frame))
    assert len(raw["frameStart"]) <= OVERSIZED_FRAME_KEEP and len(json.dumps(raw)) < 2 * OVERSIZED_FRAME_KEEP
    assert isinstance(error, PayloadError) and error.field == "frame" and error.order_number == "KIT-9999"
    assert f"{len(frame)} bytes, over the limit of {MAX_FRAME_BYTES}" in str(error)
    assert "Oversized frame" in listener.status().last_error
    assert connected(listener) and sim.stats(TENANT)["connections_total"] == 1


def test_unknown_message_types_are_ignored_and_logged_once(sim, listen, caplog):
    caplog.set_level(logging.DEBUG, logger="orderweb.listener")
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    for _ in range(3):
        sim.send_raw(TENANT, '{"type": "menu_updated", "timestamp": "2025-11-20T22:00:00.000Z"}')
    sim.push_order(TENANT)
    assert wait_for(lambda: len(seen.orders) == 1)
    assert caplog.text.count("ignores messages of type 'menu_updated'") == 1
    assert listener.status().last_error is None and seen.invalid == []


def test_unknown_message_types_remembered_are_bounded(sim, listen, caplog):
    # A server inventing a new type per message must not grow the listener's memory.
    caplog.set_level(logging.DEBUG, logger="orderweb.listener")
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    for index in range(MAX_REMEMBERED_UNKNOWN_TYPES + 40):
        sim.send_raw(TENANT, json.dumps({"type": f"invented_{index}"}))
    sim.push_order(TENANT)
    assert wait_for(lambda: len(seen.orders) == 1)
    assert len(listener._unknown_types) == MAX_REMEMBERED_UNKNOWN_TYPES
    assert caplog.text.count("ignores messages of type") == MAX_REMEMBERED_UNKNOWN_TYPES
    assert connected(listener) and sim.stats(TENANT)["connections_total"] == 1


def test_duplicate_frames_are_delivered_for_the_caller_to_dedupe(sim, listen):
    sim.set_faults(TENANT, duplicate=True)
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    order_id = sim.push_order(TENANT)["orderId"]
    assert wait_for(lambda: seen.order_ids == [order_id, order_id])


def test_a_failing_callback_does_not_kill_the_thread(sim, listen, caplog):
    def explode(order, raw):
        raise RuntimeError("database is down")

    listener, seen = listen(on_order=explode, on_connected=lambda: 1 / 0)
    assert wait_for(lambda: connected(listener))
    sim.push_order(TENANT)
    sim.drop(TENANT)
    assert wait_for(lambda: listener.status().reconnect_count == 1 and connected(listener), timeout=3)
    assert "database is down" in caplog.text and "ZeroDivisionError" in caplog.text


def _stop_quickly(listener):
    began = time.monotonic()
    listener.stop()
    assert time.monotonic() - began < 2.0
    assert listener.status().state == "stopped"
    assert not any(t.name == "orderweb-listener-kitchen" for t in threading.enumerate())


def test_stop_while_connected(sim, listen):
    listener, seen = listen(ping_interval=30.0)
    assert wait_for(lambda: connected(listener))
    _stop_quickly(listener)
    assert seen.states[-1] == "stopped"
    assert wait_for(lambda: sim.stats(TENANT)["connections"] == 0)


def test_stop_during_backoff(sim, listen):
    listener, _ = listen(backoff_first=60.0, backoff_cap=60.0)
    assert wait_for(lambda: connected(listener))
    sim.drop(TENANT)
    assert wait_for(lambda: listener.status().state == "reconnecting")
    _stop_quickly(listener)


def test_stop_while_the_key_is_refused(listen):
    listener, _ = listen(api_key=WRONG_KEY, refused_retry=300.0)
    assert wait_for(lambda: listener.status().state == "key_refused")
    _stop_quickly(listener)


def test_stop_during_an_unanswered_handshake(listen):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts TCP, never answers
        listener, _ = listen(base_url=f"http://127.0.0.1:{silent.getsockname()[1]}", connect_timeout=30.0)
        assert wait_for(lambda: listener.status().state == "connecting")
        time.sleep(0.2)
        _stop_quickly(listener)


def test_stop_during_a_stuck_tcp_connect(listen):
    # A listening socket whose accept queue is full drops new SYNs: connect() hangs.
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        address = full.getsockname()
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(address)
            fillers.append(filler)
        try:
            listener, _ = listen(base_url=f"http://127.0.0.1:{address[1]}", connect_timeout=30.0)
            assert wait_for(lambda: listener.status().state == "connecting")
            time.sleep(0.3)
            _stop_quickly(listener)
        finally:
            for filler in fillers:
                filler.close()


def test_connect_timeout_leads_to_a_retry(listen):
    with socket.create_server(("127.0.0.1", 0)) as silent:
        listener, seen = listen(base_url=f"http://127.0.0.1:{silent.getsockname()[1]}", connect_timeout=0.3)
        assert wait_for(lambda: "reconnecting" in seen.states, timeout=3)
        assert "timed out" in listener.status().last_error


def test_start_twice_is_harmless_and_restart_works(sim, listen):
    listener, seen = listen()
    listener.start()
    assert wait_for(lambda: connected(listener))
    assert sim.stats(TENANT)["connections"] == 1
    listener.stop()
    listener.start()
    assert wait_for(lambda: connected(listener))
    assert wait_for(lambda: sim.stats(TENANT)["connections"] == 1)


def test_unknown_tenant_upgrade_is_retried_with_backoff(sim, listen):
    listener, seen = listen(tenant="nowhere")
    assert wait_for(lambda: "reconnecting" in seen.states)
    assert "HTTP 404" in listener.status().last_error



@pytest.mark.parametrize("start, hints", [
    (b'{"type": "new_order", "data": {"orderId": 42, "orderNumber": "KIT-\\u00e9"',
     {"orderId": 42, "orderNumber": "KIT-é"}),
    (b'{"data": {"orderId": "\\ud83d", "orderNumber": "a\\u0000"', {}),  # not storable: no hint
    (b'{"data": {"orderId": "bad \\x escape", "orderNumber": ["KIT-1"]', {}),
    (b'{"data": {"note": "\\"orderId\\": \\"fake\\"", "orderId"', {}),  # inside a string, or cut off
    (b'\xff\x00{"orderId": "ok"', {"orderId": "ok"}),
])
def test_an_oversized_frame_names_only_ids_that_can_be_stored(start, hints):
    recorder = Recorder()
    listener = Listener("http://127.0.0.1:9", TENANT, WRONG_KEY, on_order=recorder.on_order,
                        on_invalid=recorder.on_invalid)
    listener._handle(Message(ABNF.OPCODE_TEXT, start, 5 * MAX_FRAME_BYTES, oversized=True))
    [(raw, error)] = recorder.invalid
    assert {k: v for k, v in raw.items() if k in ("orderId", "orderNumber")} == hints
    assert raw["frameBytes"] == 5 * MAX_FRAME_BYTES and is_storable_text(raw["frameStart"])
    assert error.field == "frame" and recorder.orders == []
