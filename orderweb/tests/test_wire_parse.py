import copy
import dataclasses
import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderweb.const import (
    ITEM_NOTE_KEYS,
    MAX_ID_LENGTH,
    MAX_LONG_TEXT,
    MAX_NUMBER_TEXT,
    MAX_ORDER_LINES,
    MAX_SHORT_TEXT,
    TRUNCATION_MARK,
)
from orderweb.order import Addon, Item, Order, PayloadError, parse_order
from orderweb.simulator.data import SAMPLE_ORDERS
from orderweb.simulator.server import _pull_shape

# The protocol note's order, with its elided add-ons filled in as the note describes.
NOTE_ORDER = {
    "orderId": "69fb5687-044a-48af-ac0e-d6b817aec684",
    "orderNumber": "KIT-3763",
    "customerName": "Galib Qurishi",
    "customerPhone": "+447700900000",
    "orderType": "pickup",
    "orderSource": "online",
    "status": "confirmed",
    "totalAmount": 40.00,
    "items": [
        {"id": "item-id", "name": "Burger", "price": 12.99, "quantity": 1,
         "selectedAddons": [{"id": "a1", "name": "Extra cheese", "price": 1.00, "quantity": 1}]},
    ],
    "specialInstructions": "Extra sauce please",
    "scheduledFor": None,
    "createdAt": "2025-11-20T21:50:58.000Z",
}
# The pull example of the note: id/total, most fields missing.
NOTE_PULLED = {"id": "p-1", "orderNumber": "KIT-3763", "customerName": "Galib Qurishi", "total": 40.00,
               "status": "confirmed", "items": [{"name": "Burger", "price": 12.99}]}


def order_with(**changes):
    raw = copy.deepcopy(NOTE_ORDER)
    raw.update(changes)
    return raw


def item_with(**changes):
    item = {"id": "i", "name": "Burger", "price": 12.99, "quantity": 1}
    item.update(changes)
    return order_with(items=[item])


def test_push_shape_from_the_protocol_note():
    order = parse_order(NOTE_ORDER)
    assert order.shape == "push"
    assert order.order_id == "69fb5687-044a-48af-ac0e-d6b817aec684"
    assert order.number == "KIT-3763"
    assert (order.customer_name, order.customer_phone) == ("Galib Qurishi", "+447700900000")
    assert (order.order_type, order.source, order.status) == ("pickup", "online", "confirmed")
    assert order.total == Decimal("40.00")
    assert order.special_instructions == "Extra sauce please"
    assert order.scheduled_for is None
    assert order.created_at == datetime(2025, 11, 20, 21, 50, 58, tzinfo=timezone.utc)
    assert order.items == (Item("item-id", "Burger", Decimal("12.99"), Decimal(1),
                                (Addon("a1", "Extra cheese", Decimal("1.0"), Decimal(1), None, {}),),
                                None, {}),)
    assert order.extra == {}
    # The gap between what the customer paid and the items is real and visible.
    assert order.items_total == Decimal("13.99")
    assert order.total - order.items_total == Decimal("26.01")


def test_pull_shape_from_the_protocol_note():
    order = parse_order(NOTE_PULLED)
    assert order.shape == "pull"
    assert (order.order_id, order.total, order.number) == ("p-1", Decimal("40.0"), "KIT-3763")
    assert order.customer_phone is order.order_type is order.created_at is None
    assert order.items[0].quantity == Decimal(1) and order.items[0].addons == ()


@pytest.mark.parametrize("sample", SAMPLE_ORDERS["kitchen"], ids=lambda s: s["orderNumber"])
def test_both_shapes_of_a_sample_give_the_same_order(sample):
    pushed, pulled = parse_order(sample), parse_order(_pull_shape(sample))
    assert (pushed.shape, pulled.shape) == ("push", "pull")
    assert pulled.source is None  # the pull shape leaves orderSource out
    same = {"shape", "source"}
    assert {f: getattr(pushed, f.name) for f in dataclasses.fields(Order) if f.name not in same} \
        == {f: getattr(pulled, f.name) for f in dataclasses.fields(Order) if f.name not in same}


def test_sample_totals_and_gaps():
    orders = {o.number: o for o in map(parse_order, SAMPLE_ORDERS["kitchen"])}
    assert {n: o.total for n, o in orders.items()} == {
        "KIT-3763": Decimal("40.0"), "KIT-4227": Decimal("20.0"), "KIT-7163": Decimal("40.0")}
    assert orders["KIT-3763"].items_total == Decimal("36.43")
    assert orders["KIT-4227"].items_total == Decimal("20.00")
    assert orders["KIT-7163"].items_total == Decimal("37.50")


def test_money_is_decimal_not_float():
    order = parse_order(item_with(price=0.1, quantity=3))
    assert order.items_total == Decimal("0.3")  # float math would give 0.30000000000000004
    assert parse_order(order_with(totalAmount="12.50")).total == Decimal("12.50")


def test_addon_defaults_groups_and_bare_text():
    order = parse_order(item_with(quantity=2, selectedAddons=[
        {"name": "No onions"},
        {"id": 7, "name": "Bacon", "price": 1.5, "quantity": 2, "groupName": "Extras", "sku": "B1"},
        "Extra napkins",
    ]))
    no_onions, bacon, napkins = order.items[0].addons
    assert (no_onions.price, no_onions.quantity, no_onions.group) == (Decimal(0), Decimal(1), None)
    assert (bacon.id, bacon.group, bacon.extra) == ("7", "Extras", {"sku": "B1"})
    assert napkins.name == "Extra napkins"
    # Add-on prices are per unit of the parent item.
    assert order.items_total == (Decimal("12.99") + Decimal("1.5") * 2) * 2


def test_unknown_values_and_fields_are_kept():
    raw = order_with(orderType="dine_in", loyaltyPoints=12, deliveryFee=2.5)
    raw["items"][0]["allergens"] = ["gluten"]
    raw["items"][0]["notes"] = "Well done"
    order = parse_order(raw)
    assert order.order_type == "dine_in"
    assert order.extra == {"loyaltyPoints": 12, "deliveryFee": 2.5}
    assert order.items[0].extra == {"allergens": ["gluten"]}
    assert order.items[0].note == "Well done"


def test_the_customers_words_are_all_kept():
    # What a customer wrote is read for allergies: past 4,000 characters too, and in every
    # note field of an item (each once), not only the first one found.
    long_instructions = "Please read to the end. " * 500 + "Severe peanut allergy"
    raw = order_with(specialInstructions=long_instructions)
    raw["items"][0].update(notes="No sesame bun", specialInstructions="Milk intolerance", note="No sesame bun")
    order = parse_order(raw)
    assert order.special_instructions == long_instructions
    assert order.items[0].note == "No sesame bun\nMilk intolerance"
    assert order.items[0].extra == {}


@given(notes=st.dictionaries(st.sampled_from(ITEM_NOTE_KEYS), st.text(max_size=50) | st.none()))
def test_every_note_field_reaches_the_note(notes):
    raw = order_with()
    raw["items"][0].update(notes)
    note = parse_order(raw).items[0].note or ""
    for text in notes.values():
        kept = (text or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
        assert kept in note


def test_timestamps_become_aware_utc():
    order = parse_order(order_with(scheduledFor="2025-11-20T23:30:00+01:00", createdAt="2025-11-20T21:50:58"))
    assert order.scheduled_for == datetime(2025, 11, 20, 22, 30, tzinfo=timezone.utc)
    assert order.scheduled_for.tzinfo is timezone.utc
    assert order.created_at == datetime(2025, 11, 20, 21, 50, 58, tzinfo=timezone.utc)


def test_integer_ids_become_text():
    assert parse_order(order_with(orderId=12345)).order_id == "12345"


def test_payload_error_names_field_and_order():
    with pytest.raises(PayloadError) as caught:
        parse_order({k: v for k, v in NOTE_ORDER.items() if k != "orderId"})
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.field, error.order_number) == ("orderId", "KIT-3763")
    assert "orderId" in str(error) and "KIT-3763" in str(error)
    with pytest.raises(PayloadError, match="unknown number.*'items' is missing"):
        parse_order({"orderId": "x"})


@pytest.mark.parametrize("raw, field", [
    (order_with(items=None), "items"),
    (order_with(items=[]), "items"),
    (order_with(items={"name": "Burger"}), "items"),
    (order_with(items=["Burger"]), "items[0]"),
    (order_with(orderId=None), "orderId"),
    (order_with(orderId="   "), "orderId"),
    (order_with(orderId=True), "orderId"),
    (order_with(orderId={"uuid": "x"}), "orderId"),
    (order_with(customerName=42), "customerName"),
    (order_with(orderNumber=["KIT"]), "orderNumber"),
    (order_with(totalAmount=True), "totalAmount"),
    (order_with(totalAmount="forty"), "totalAmount"),
    (order_with(totalAmount=[40]), "totalAmount"),
    (order_with(createdAt=1732139458), "createdAt"),
    (order_with(createdAt="yesterday"), "createdAt"),
    (order_with(createdAt="0001-01-01T00:00:00+01:00"), "createdAt"),
    (order_with(scheduledFor="9999-12-31T23:59:59-01:00"), "scheduledFor"),
    (order_with(scheduledFor="2025-11-20T21:50:58Z" * 10), "scheduledFor"),
    (item_with(name=None), "items[0].name"),
    (item_with(name=""), "items[0].name"),
    (item_with(price=None), "items[0].price"),
    (item_with(selectedAddons={"name": "x"}), "items[0].selectedAddons"),
    (item_with(selectedAddons=[{"price": 1}]), "items[0].selectedAddons[0].name"),
    (item_with(selectedAddons=[3]), "items[0].selectedAddons[0]"),
])
def test_missing_and_wrongly_typed_fields_are_rejected(raw, field):
    with pytest.raises(PayloadError) as caught:
        parse_order(raw)
    assert caught.value.field == field


@pytest.mark.parametrize("raw", [None, [], "order", 42, b'{"orderId": "x"}'])
def test_non_objects_are_rejected(raw):
    with pytest.raises(PayloadError, match="must be a JSON object"):
        parse_order(raw)


@pytest.mark.parametrize("raw, field", [
    (item_with(price=float("nan")), "items[0].price"),
    (item_with(price=float("inf")), "items[0].price"),
    (item_with(price="-Infinity"), "items[0].price"),
    (item_with(price=-1), "items[0].price"),
    (item_with(price=1e300), "items[0].price"),
    (item_with(price=10 ** 5000), "items[0].price"),  # too long even to print
    (item_with(quantity=0), "items[0].quantity"),
    (item_with(quantity=-2), "items[0].quantity"),
    (item_with(quantity=1e9), "items[0].quantity"),
    (item_with(selectedAddons=[{"name": "x", "price": -0.5}]), "items[0].selectedAddons[0].price"),
    (item_with(selectedAddons=[{"name": "x", "quantity": 0}]), "items[0].selectedAddons[0].quantity"),
    (order_with(totalAmount=-40), "totalAmount"),
    (order_with(totalAmount=float("nan")), "totalAmount"),
])
def test_absurd_numbers_are_rejected(raw, field):
    with pytest.raises(PayloadError) as caught:
        parse_order(raw)
    assert caught.value.field == field


def test_zero_prices_are_fine():
    order = parse_order(item_with(price=0, selectedAddons=[{"name": "No ice", "price": 0}]))
    assert order.items_total == 0


def test_json_nan_and_infinity_from_the_wire_are_rejected():
    raw = json.loads('{"orderId": "x", "items": [{"name": "a", "price": NaN}], "totalAmount": Infinity}')
    with pytest.raises(PayloadError, match="finite"):
        parse_order(raw)


def test_huge_text_is_truncated_and_huge_ids_rejected():
    order = parse_order(order_with(customerName="x" * 1_000_000, specialInstructions="y" * (MAX_LONG_TEXT + 1)))
    assert len(order.customer_name) == MAX_SHORT_TEXT and order.customer_name.endswith(TRUNCATION_MARK)
    assert len(order.special_instructions) == MAX_LONG_TEXT
    with pytest.raises(PayloadError, match=f"longer than {MAX_ID_LENGTH}"):
        parse_order(order_with(orderId="9" * 10_000))
    with pytest.raises(PayloadError, match="more than"):
        parse_order(order_with(items=[{"name": "a", "price": 1}] * 10_000))


def test_an_order_of_too_many_lines_is_refused_naming_it():
    addons = [{"name": "Extra", "price": 0.5}] * 100
    with pytest.raises(PayloadError) as caught:  # 500 items x 100 add-ons
        parse_order(order_with(items=[{"name": "Burger", "price": 9, "selectedAddons": addons}] * 500))
    assert caught.value.field == "items" and caught.value.order_number == "KIT-3763"
    assert f"has 50500 lines (items and add-ons), more than the {MAX_ORDER_LINES}" in str(caught.value)
    assert "order KIT-3763" in str(caught.value)
    # Exactly the bound is an order: 200 items with 4 add-ons each.
    at_bound = [{"name": "Burger", "price": 9, "selectedAddons": ["a", "b", "c", "d"]}] * 200
    assert len(parse_order(order_with(items=at_bound)).items) == 200
    with pytest.raises(PayloadError, match="1001 lines"):
        parse_order(order_with(items=[*at_bound, {"name": "One more", "price": 1}]))


def test_long_number_text_is_refused_before_it_is_converted():
    with pytest.raises(PayloadError, match="not a number") as caught:
        parse_order(item_with(price="9" * 1_000_000))
    assert caught.value.field == "items[0].price" and len(str(caught.value)) < 200
    assert parse_order(item_with(price=" " * (MAX_NUMBER_TEXT - 4) + "12.5")).items[0].price == Decimal("12.5")


@pytest.mark.parametrize("order_id", ["KIT\x00-1", "KIT-\ud83d", "\udc00"])
def test_ids_that_cannot_be_stored_are_refused_not_merged(order_id):
    # Cleaning them would turn two different ids into one.
    with pytest.raises(PayloadError, match="NUL or a lone surrogate") as caught:
        parse_order(order_with(orderId=order_id))
    assert caught.value.field == "orderId"


def test_text_is_made_storable():
    order = parse_order(order_with(customerName="  Zo\x00e \ud800Smith  ", specialInstructions="   "))
    assert order.customer_name == "Zoe ?Smith"
    assert order.special_instructions is None
    order.customer_name.encode("utf-8")  # no lone surrogate left


def test_parsing_does_not_touch_the_raw_payload():
    raw = order_with(extraField={"nested": [1, 2]})
    before = copy.deepcopy(raw)
    parse_order(raw)
    assert raw == before


def test_order_is_immutable():
    order = parse_order(NOTE_ORDER)
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.total = Decimal(0)
