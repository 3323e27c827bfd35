"""Property tests (Hypothesis) of the wire parser and of the listener's frame handling.

Whatever arrives, nothing but the documented PayloadError leaves parse_order, no
exception leaves the listener's handling of a frame, and a live link keeps reading.
The runs are bounded and derandomized (the "wire" profile in conftest.py).
"""

import json
from datetime import datetime, timedelta, timezone

from conftest import TENANT, Recorder, connected, wait_for
from hypothesis import given, settings
from hypothesis import strategies as st
from websocket import ABNF

from orderweb.const import MAX_FRAME_BYTES, MAX_ID_LENGTH, MAX_ORDER_LINES
from orderweb.frames import Message
from orderweb.listener import Listener
from orderweb.order import Order, PayloadError, parse_order
from orderweb.simulator import SimulatorThread
from orderweb.utils import is_storable_text, json_text

# Any text Python can hold, lone surrogates and NUL included, plus known troublemakers.
any_text = st.text(st.characters(exclude_categories=()), max_size=30) | st.sampled_from([
    "\ud83d", "Zoe \ud83d", "\udc00x", "\x00", "a\x00b", " ", "x" * 10_000, "NaN", "-Infinity", "-1",
    "1e999", "9" * 5000, " 12.5 ", "2025-11-20T21:50:58Z", "2025-13-45T99:99:99", "<img src=x>",
])
numbers = (st.integers(-10, 10 ** 7) | st.integers(-(10 ** 300), 10 ** 300)
           | st.floats(allow_nan=True, allow_infinity=True))
scalars = st.none() | st.booleans() | numbers | any_text
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20)
# ISO-8601 texts of any moment Python can hold, at any offset: near year 1 or 9999 some
# cannot be moved to UTC (OverflowError, not ValueError).
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda minutes: timezone(timedelta(minutes=minutes)))
timestamps = (st.datetimes(timezones=st.none() | offsets).map(datetime.isoformat)
              | st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z",
                                 "9999-12-31T23:59:59.999999-23:59"]))
field_values = any_text | numbers | json_values | timestamps

ADDON_KEYS = ("id", "name", "price", "quantity", "group", "groupName", "extra")
ITEM_KEYS = ("id", "name", "price", "quantity", "notes", "note", "specialInstructions", "extra")
ORDER_KEYS = ("orderId", "id", "orderNumber", "customerName", "customerPhone", "customerEmail",
              "orderType", "orderSource", "status", "totalAmount", "total", "specialInstructions",
              "scheduledFor", "createdAt", "extra")


def shaped(keys, **fixed):
    """Objects with some of ``keys`` (any values) and the ``fixed`` strategies."""
    return st.fixed_dictionaries(fixed, optional={key: field_values for key in keys if key not in fixed})


addons = st.lists(any_text | shaped(ADDON_KEYS) | shaped(ADDON_KEYS, name=any_text, price=numbers)
                  | json_values, max_size=4)
items = shaped(ITEM_KEYS, name=any_text, price=numbers, selectedAddons=addons) | shaped(ITEM_KEYS)
# Order-like objects reach deep into the parser; bare JSON values test its front door.
orders = (shaped(ORDER_KEYS, orderId=any_text | numbers, items=st.lists(items, min_size=1, max_size=4))
          | shaped(ORDER_KEYS, items=st.lists(items, max_size=3) | json_values))
payloads = orders | json_values


def _storable(text):
    return text is None or is_storable_text(text)


@given(payloads)
def test_parse_order_raises_nothing_but_payload_error(raw):
    try:
        order = parse_order(raw)
    except PayloadError as error:
        assert error.field and error.reason
        str(error).encode("utf-8", "surrogatepass")  # the message can always be shown
        return
    assert isinstance(order, Order)
    assert _storable(order.order_id) and 0 < len(order.order_id) <= MAX_ID_LENGTH
    texts = [order.number, order.customer_name, order.customer_phone, order.customer_email,
             order.order_type, order.source, order.status, order.special_instructions]
    for item in order.items:
        texts += [item.id, item.name, item.note, *(t for a in item.addons for t in (a.id, a.name, a.group))]
    assert all(_storable(text) for text in texts)
    assert len(order.items) + sum(len(item.addons) for item in order.items) <= MAX_ORDER_LINES
    assert order.items_total >= 0


@given(json_values)
def test_json_text_round_trips_any_received_value(value):
    text = json_text(value)
    assert is_storable_text(text)
    assert json_text(json.loads(text)) == text  # NaN != NaN: compare the texts


def test_json_text_writes_values_nested_past_the_recursion_limit():
    deep = []
    for _ in range(50_000):
        deep = [deep, "\ud83d"]
    text = json_text(deep)
    assert text.startswith('[[[') and text.endswith('"\\ud83d"]') and is_storable_text(text)


def _listener(recorder):
    return Listener("http://127.0.0.1:9", TENANT, "pos_" + "0" * 64, on_order=recorder.on_order,
                    on_invalid=recorder.on_invalid)


def _as_frame(kind, value):
    if kind == "order":  # a new_order message around any payload, surrogates escaped
        return Message(ABNF.OPCODE_TEXT, json.dumps({"type": "new_order", "data": value}).encode(), 0)
    if kind == "json":
        return Message(ABNF.OPCODE_TEXT, json.dumps(value).encode(), 0)
    if kind == "text":  # lone surrogates here make the bytes invalid UTF-8
        return Message(ABNF.OPCODE_TEXT, value.encode("utf-8", "surrogatepass"), 0)
    return Message(ABNF.OPCODE_BINARY, value, 0)


frames = (st.tuples(st.just("order"), payloads) | st.tuples(st.just("json"), json_values)
          | st.tuples(st.just("text"), st.text(st.characters(exclude_categories=()), max_size=60))
          | st.tuples(st.just("binary"), st.binary(max_size=60)))


@given(frames)
def test_the_listener_handles_any_frame_without_an_exception(frame):
    recorder = Recorder()
    listener = _listener(recorder)
    listener._handle(_as_frame(*frame))
    assert len(recorder.orders) + len(recorder.invalid) <= 1
    kind, value = frame
    if kind == "order":  # an order message always reaches one of the two callbacks
        try:
            expected = parse_order(value).order_id
        except PayloadError:
            assert len(recorder.invalid) == 1
            assert json_text(recorder.invalid[0][0]) == json_text(value)  # NaN != NaN
        else:
            assert recorder.order_ids == [expected]


# Sent over a live link, one after the other, before a good order.
HOSTILE_FRAMES = [
    (b"not JSON {", False),
    (b"[" * 900 + b"]" * 900, False),  # nested, yet readable
    (b'{"type": "new_order", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", False),
    (b'{"type": "new_order", "data": {"orderId": "s-1", "customerName": "Zoe \\ud83d", '
     b'"items": [{"name": "Tea\\u0000", "price": 2}]}}', False),  # parses: an order with odd text
    (b'{"type": "new_order", "data": {"orderId": "s-2\\u0000", "items": []}}', False),
    (b'{"type": "new_order", "data": {"orderId": "n-1", "totalAmount": 1e999999, "items": [1]}}', False),
    (b'{"type": "new_order", "data": {"orderId": ' + b"9" * 5000 + b"}}", False),
    (b'{"type": "new_order", "data": {"orderId": 1, "items": {"name": "a"}}}', False),
    (b'{"type": ["new_order"], "data": null}', False),
    (b"\x00" * 1000, False),
    (b"\xed\xa0\xbd lone surrogate as UTF-8 bytes", False),
    (b"\x00\x01\x02\xff binary", True),
    (b'{"type": "new_order", "data": {"orderId": "big", "n": "' + b"x" * (MAX_FRAME_BYTES + 1) + b'"}}', False),
]


def test_a_live_link_reads_on_through_hostile_frames(sim, listen):
    listener, seen = listen()
    assert wait_for(lambda: connected(listener))
    for payload, binary in HOSTILE_FRAMES:
        sim.send_raw(TENANT, payload, binary=binary)
    good = sim.push_order(TENANT)
    assert wait_for(lambda: good["orderId"] in seen.order_ids)
    assert seen.order_ids == ["s-1", good["orderId"]]
    assert seen.orders[0][0].customer_name == "Zoe ?"  # storable; the raw keeps the original
    assert seen.orders[0][1]["customerName"] == "Zoe \ud83d"
    # Orders that cannot be read are handed over (to be kept as errors); the rest is reported.
    assert [raw.get("orderId") for raw, _ in seen.invalid] == ["s-2\x00", "n-1", 1, "big"]
    assert [error.field for _, error in seen.invalid] == ["orderId", "totalAmount", "items", "frame"]
    assert connected(listener) and sim.stats(TENANT)["connections_total"] == 1


def test_any_frame_on_a_live_link_is_followed_by_the_next_order():
    with SimulatorThread(tenants=(TENANT,), seed=11) as sim:
        recorder = Recorder()
        listener = Listener(sim.base_url, TENANT, sim.api_key, on_order=recorder.on_order,
                            on_invalid=recorder.on_invalid, ping_interval=5.0, pong_timeout=2.0)
        listener.start()
        try:
            assert wait_for(lambda: connected(listener))

            @settings(max_examples=30)
            @given(frames)
            def check(frame):
                message = _as_frame(*frame)
                sim.send_raw(TENANT, message.payload, binary=message.opcode == ABNF.OPCODE_BINARY)
                good = sim.push_order(TENANT)
                assert wait_for(lambda: good["orderId"] in recorder.order_ids)

            check()
            assert connected(listener) and sim.stats(TENANT)["connections_total"] == 1
        finally:
            listener.stop()
