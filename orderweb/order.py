"""One normalized order from either OrderWeb payload shape.

Push frames carry ``data`` with ``orderId``/``totalAmount``; pull results carry
``orders[]`` with ``id``/``total`` and may omit other fields. ``parse_order``
accepts both and raises :class:`PayloadError` for anything an order cannot be
built from.

Decisions on hostile or odd input (tested in ``tests/test_wire_parse.py``):

* Money and quantities are ``Decimal(str(x))`` from JSON numbers or numeric
  strings, never float arithmetic. Booleans, NaN, infinities, negative amounts,
  zero or negative quantities and values above ``MAX_AMOUNT``/``MAX_QUANTITY``
  are rejected.
* Identifiers (order, item, add-on ids) may be text or integers; one longer than
  ``MAX_ID_LENGTH``, or holding NUL or a lone surrogate, is rejected, since
  truncating or cleaning it could merge two orders.
* An order has at most ``MAX_ORDER_LINES`` items and add-ons together (and at most
  ``MAX_ITEMS`` items of ``MAX_ADDONS`` add-ons each); they are counted before any
  is read, so an oversized order is refused at once. Numbers written as text are
  at most ``MAX_NUMBER_TEXT`` characters.
* Free text longer than ``MAX_SHORT_TEXT``/``MAX_LONG_TEXT`` is truncated and
  ends with ``…`` (``MAX_LONG_TEXT``, of the customer's instructions and notes, is
  as long as a whole order may be: those are kept whole). NUL characters are
  removed and lone surrogates replaced, so the text is storable as UTF-8;
  surrounding blanks are stripped and empty text becomes ``None``.
* An item's note fields (``notes``, ``note``, ``specialInstructions``) are all
  kept, each once, joined by lines: none of the customer's words is dropped.
* A known field of the wrong type is rejected, not guessed at. Unknown fields are
  kept in ``extra``; unknown ``orderType`` values are kept verbatim.
* Timestamps are ISO-8601; one without an offset is taken as UTC (the protocol
  says all are UTC). All are returned tz-aware in UTC.
* An add-on given as bare text is an add-on of that name at price 0.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .const import (
    ADDON_GROUP_KEYS,
    ITEM_NOTE_KEYS,
    MAX_ADDONS,
    MAX_AMOUNT,
    MAX_ID_LENGTH,
    MAX_ITEMS,
    MAX_LONG_TEXT,
    MAX_NUMBER_TEXT,
    MAX_ORDER_LINES,
    MAX_QUANTITY,
    MAX_SHORT_TEXT,
    MAX_TIMESTAMP_LENGTH,
    SHAPE_PULL,
    SHAPE_PUSH,
    TRUNCATION_MARK,
)
from .utils import MessageError, _, is_storable_text

ORDER_FIELDS = {
    "orderNumber", "customerName", "customerPhone", "customerEmail", "orderType",
    "orderSource", "status", "items", "specialInstructions", "scheduledFor", "createdAt",
}
ITEM_FIELDS = {"id", "name", "price", "quantity", "selectedAddons", *ITEM_NOTE_KEYS}
ADDON_FIELDS = {"id", "name", "price", "quantity", *ADDON_GROUP_KEYS}


class PayloadError(MessageError):
    """An order payload that cannot be turned into an order: its ``field`` fails for a
    ``reason`` (an English template marked with ``_``, filled from ``params``)."""

    def __init__(self, field: str, reason: str, order_number: str | None = None, **params):
        self.field = field
        self.reason = reason % params if params else reason
        self.order_number = order_number
        super().__init__(reason, **params)
        order = f"order {order_number}" if order_number else "an order of unknown number"
        self.args = (f"Invalid OrderWeb payload for {order}: field '{field}' {self.reason}.",)


@dataclass(frozen=True)
class Addon:
    id: str | None
    name: str
    price: Decimal = Decimal(0)  # per unit of the parent item
    quantity: Decimal = Decimal(1)
    group: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    id: str | None
    name: str
    price: Decimal
    quantity: Decimal
    addons: tuple[Addon, ...] = ()
    note: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def line_total(self) -> Decimal:
        unit = self.price + sum((a.price * a.quantity for a in self.addons), Decimal(0))
        return unit * self.quantity


@dataclass(frozen=True)
class Order:
    order_id: str
    number: str | None
    customer_name: str | None
    customer_phone: str | None
    customer_email: str | None
    order_type: str | None
    source: str | None
    status: str | None
    total: Decimal | None  # what the customer was charged; may differ from items_total
    items: tuple[Item, ...]
    special_instructions: str | None
    scheduled_for: datetime | None
    created_at: datetime | None
    shape: str
    extra: dict = field(default_factory=dict)  # unknown top-level fields, verbatim

    @property
    def items_total(self) -> Decimal:
        return sum((item.line_total for item in self.items), Decimal(0))


def read_order(payload: str, raw: Any = None, max_length: int | None = None) -> Order:
    """The :class:`Order` stored as the JSON text ``payload`` (``raw``: the same, already decoded).

    :param max_length: a longer payload is refused, not decoded
    :raise PayloadError: it is not an order to import
    """
    if max_length is not None and len(payload) > max_length:
        raise PayloadError("order", _("is %(length)s characters long, more than the %(limit)s an order may have"),
                           length=len(payload), limit=max_length)
    if raw is None:
        try:
            raw = json.loads(payload)
        except RecursionError:  # json decodes recursively: a stack deeper than the listener's fails
            raise PayloadError("order", _("is nested too deeply to be read here")) from None
        except ValueError:
            raise PayloadError("order", _("is not JSON")) from None
    return parse_order(raw)


def parse_order(raw: Any) -> Order:
    """Build an :class:`Order` from a push ``data`` or a pull ``orders[]`` entry."""
    if not isinstance(raw, dict):
        raise PayloadError("order", _("must be a JSON object, got %(type)s"), type=_type_name(raw))
    parser = _Parser()
    number = parser.text(raw.get("orderNumber"), "orderNumber", MAX_SHORT_TEXT)
    parser.order_number = number
    id_key = "orderId" if "orderId" in raw else "id"
    total_key = "totalAmount" if "totalAmount" in raw else "total"
    order_id = parser.identifier(raw.get(id_key), id_key)
    if order_id is None:
        raise PayloadError("orderId", _("is missing (neither 'orderId' nor 'id' is set)"), number)
    known = ORDER_FIELDS | {id_key, total_key}
    return Order(
        order_id=order_id,
        number=number,
        customer_name=parser.text(raw.get("customerName"), "customerName", MAX_SHORT_TEXT),
        customer_phone=parser.text(raw.get("customerPhone"), "customerPhone", MAX_SHORT_TEXT),
        customer_email=parser.text(raw.get("customerEmail"), "customerEmail", MAX_SHORT_TEXT),
        order_type=parser.text(raw.get("orderType"), "orderType", MAX_SHORT_TEXT),
        source=parser.text(raw.get("orderSource"), "orderSource", MAX_SHORT_TEXT),
        status=parser.text(raw.get("status"), "status", MAX_SHORT_TEXT),
        total=parser.amount(raw.get(total_key), total_key, default=None),
        items=parser.items(raw.get("items")),
        special_instructions=parser.text(
            raw.get("specialInstructions"), "specialInstructions", MAX_LONG_TEXT
        ),
        scheduled_for=parser.timestamp(raw.get("scheduledFor"), "scheduledFor"),
        created_at=parser.timestamp(raw.get("createdAt"), "createdAt"),
        shape=SHAPE_PUSH if id_key == "orderId" else SHAPE_PULL,
        extra=_unknown(raw, known),
    )


class _Parser:
    """Field converters that name the order in every error they raise."""

    def __init__(self):
        self.order_number: str | None = None

    def error(self, field_name: str, reason: str, **params) -> PayloadError:
        return PayloadError(field_name, reason, self.order_number, **params)

    def text(self, value: Any, field_name: str, limit: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(field_name, _("must be text, got %(type)s"), type=_type_name(value))
        # NUL and lone surrogates cannot be stored as UTF-8 text (e.g. in PostgreSQL).
        clean = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()
        if len(clean) > limit:
            clean = clean[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK
        return clean or None

    def identifier(self, value: Any, field_name: str) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise self.error(field_name, _("must be text or an integer, got %(type)s"), type=_type_name(value))
        if value is not None and len(value.strip()) > MAX_ID_LENGTH:
            raise self.error(field_name, _("is longer than %(limit)s characters"), limit=MAX_ID_LENGTH)
        if value is not None and not is_storable_text(value):
            raise self.error(field_name, _("contains NUL or a lone surrogate"))
        return self.text(value, field_name, MAX_ID_LENGTH)

    def amount(
        self, value: Any, field_name: str, default: Decimal | None,
        maximum: Decimal = MAX_AMOUNT, positive: bool = False,
    ) -> Decimal | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(field_name, _("must be a number, got %(type)s"), type=_type_name(value))
        if isinstance(value, str) and len(value) > MAX_NUMBER_TEXT:
            raise self.error(field_name, _("is not a number (text of %(length)s characters)"), length=len(value))
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):  # ValueError: int too long to print
            raise self.error(field_name, _("is not a number")) from None
        if not number.is_finite():
            raise self.error(field_name, _("must be a finite number, got %(value)r"), value=value)
        if number < 0 or (positive and number == 0):
            raise self.error(field_name, _("must be above 0, got %(number)s") if positive
                             else _("must be at least 0, got %(number)s"), number=number)
        if number > maximum:
            raise self.error(field_name, _("is implausibly large (%(number)s > %(maximum)s)"),
                             number=number, maximum=maximum)
        return number

    def quantity(self, value: Any, field_name: str) -> Decimal:
        return self.amount(value, field_name, Decimal(1), MAX_QUANTITY, positive=True)

    def timestamp(self, value: Any, field_name: str) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(field_name, _("must be an ISO-8601 text, got %(type)s"), type=_type_name(value))
        if len(value) > MAX_TIMESTAMP_LENGTH:
            raise self.error(field_name, _("is too long for a timestamp"))
        try:
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            # A moment Python can read but not move to UTC (year 1 east of Greenwich, year
            # 9999 west of it) raises OverflowError: as unusable as one it cannot read.
            return moment.astimezone(timezone.utc)
        except (ValueError, OverflowError):
            raise self.error(field_name, _("is not a usable ISO-8601 timestamp: %(value)r"), value=value) from None

    def items(self, value: Any) -> tuple[Item, ...]:
        if value is None:
            raise self.error("items", _("is missing"))
        if not isinstance(value, list):
            raise self.error("items", _("must be a list, got %(type)s"), type=_type_name(value))
        if not value:
            raise self.error("items", _("is empty: an order needs at least one item"))
        if len(value) > MAX_ITEMS:
            raise self.error("items", _("has more than %(limit)s entries"), limit=MAX_ITEMS)
        lines = len(value) + sum(
            len(item["selectedAddons"]) for item in value
            if isinstance(item, dict) and isinstance(item.get("selectedAddons"), list))
        if lines > MAX_ORDER_LINES:
            raise self.error("items", _("has %(lines)s lines (items and add-ons), more than the %(limit)s an "
                                        "order may have"), lines=lines, limit=MAX_ORDER_LINES)
        return tuple(self.item(entry, f"items[{index}]") for index, entry in enumerate(value))

    def item(self, raw: Any, path: str) -> Item:
        if not isinstance(raw, dict):
            raise self.error(path, _("must be a JSON object, got %(type)s"), type=_type_name(raw))
        name = self.text(raw.get("name"), f"{path}.name", MAX_SHORT_TEXT)
        if name is None:
            raise self.error(f"{path}.name", _("is missing"))
        price = self.amount(raw.get("price"), f"{path}.price", default=None)
        if price is None:
            raise self.error(f"{path}.price", _("is missing"))
        notes = [self.text(raw.get(key), f"{path}.{key}", MAX_LONG_TEXT) for key in ITEM_NOTE_KEYS]
        return Item(
            id=self.identifier(raw.get("id"), f"{path}.id"),
            name=name,
            price=price,
            quantity=self.quantity(raw.get("quantity"), f"{path}.quantity"),
            addons=self.addons(raw.get("selectedAddons"), f"{path}.selectedAddons"),
            note="\n".join(dict.fromkeys(filter(None, notes))) or None,
            extra=_unknown(raw, ITEM_FIELDS),
        )

    def addons(self, value: Any, path: str) -> tuple[Addon, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.error(path, _("must be a list, got %(type)s"), type=_type_name(value))
        if len(value) > MAX_ADDONS:
            raise self.error(path, _("has more than %(limit)s entries"), limit=MAX_ADDONS)
        return tuple(self.addon(entry, f"{path}[{index}]") for index, entry in enumerate(value))

    def addon(self, raw: Any, path: str) -> Addon:
        if isinstance(raw, str):
            raw = {"name": raw}
        if not isinstance(raw, dict):
            raise self.error(path, _("must be a JSON object or text, got %(type)s"), type=_type_name(raw))
        name = self.text(raw.get("name"), f"{path}.name", MAX_SHORT_TEXT)
        if name is None:
            raise self.error(f"{path}.name", _("is missing"))
        group_key = next((key for key in ADDON_GROUP_KEYS if raw.get(key) is not None), None)
        return Addon(
            id=self.identifier(raw.get("id"), f"{path}.id"),
            name=name,
            price=self.amount(raw.get("price"), f"{path}.price", default=Decimal(0)),
            quantity=self.quantity(raw.get("quantity"), f"{path}.quantity"),
            group=self.text(raw.get(group_key), f"{path}.{group_key}", MAX_SHORT_TEXT) if group_key else None,
            extra=_unknown(raw, ADDON_FIELDS),
        )


def _unknown(raw: dict, known: set[str]) -> dict:
    return {key: value for key, value in raw.items() if key not in known}


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__
