"""Sample tenants and orders of the stand-in, and generated realistic orders."""

import random
import uuid
from datetime import datetime, timezone
from decimal import Decimal

# The protocol note's tenant and its three sample orders. Created times are the
# platform's local (UK, GMT in November) times, so equal to UTC.
KNOWN_TENANTS = {
    "kitchen": {"id": "2b82acee-450a-4f35-a76f-c388d709545e", "name": "Kitchen Restaurant", "slug": "kitchen"},
}

SAMPLE_ORDERS = {
    "kitchen": [
        {
            # Items 36.43, charged 40.00: the gap (service charge, bag) must show.
            "orderId": "69fb5687-044a-48af-ac0e-d6b817aec684",
            "orderNumber": "KIT-3763",
            "customerName": "Galib Qurishi",
            "customerPhone": "+447700900000",
            "orderType": "pickup",
            "orderSource": "online",
            "status": "confirmed",
            "totalAmount": 40.00,
            "items": [
                {"id": "item-classic-burger", "name": "Classic Burger", "price": 12.99, "quantity": 2,
                 "selectedAddons": [{"id": "addon-extra-cheese", "name": "Extra cheese", "price": 1.00,
                                     "quantity": 1, "group": "Extras"}]},
                {"id": "item-sweet-potato-fries", "name": "Sweet potato fries", "price": 4.50, "quantity": 1,
                 "selectedAddons": []},
                {"id": "item-vanilla-shake", "name": "Vanilla milkshake", "price": 3.95, "quantity": 1,
                 "selectedAddons": [{"id": "addon-whipped-cream", "name": "Whipped cream"}]},
            ],
            "specialInstructions": "Extra sauce please",
            "scheduledFor": None,
            "createdAt": "2025-11-20T21:50:58.000Z",
        },
        {
            # Items add up to exactly 20.00.
            "orderId": "3f1c2b8e-7d4a-4e6b-9a51-2c8d0e7f4b13",
            "orderNumber": "KIT-4227",
            "customerName": "Aisha Khan",
            "customerPhone": "+447700900123",
            "orderType": "pickup",
            "orderSource": "online",
            "status": "confirmed",
            "totalAmount": 20.00,
            "items": [
                {"id": "item-margherita", "name": "Margherita pizza", "price": 10.50, "quantity": 1,
                 "selectedAddons": [{"id": "addon-extra-mozzarella", "name": "Extra mozzarella",
                                     "price": 1.50, "quantity": 1, "group": "Toppings"}]},
                {"id": "item-garlic-bread", "name": "Garlic bread", "price": 4.00, "quantity": 2,
                 "selectedAddons": []},
            ],
            "specialInstructions": "Please ring the bell, the buzzer is broken",
            "scheduledFor": None,
            "createdAt": "2025-11-20T21:45:29.000Z",
        },
        {
            # Items 37.50, charged 40.00.
            "orderId": "a7e9d3c1-5b2f-4c8e-8f6a-9d1b3e5c7a20",
            "orderNumber": "KIT-7163",
            "customerName": "Tom Hughes",
            "customerPhone": "+447700900456",
            "orderType": "pickup",
            "orderSource": "online",
            "status": "confirmed",
            "totalAmount": 40.00,
            "items": [
                {"id": "item-katsu-curry", "name": "Chicken katsu curry", "price": 11.50, "quantity": 2,
                 "selectedAddons": [{"id": "addon-extra-rice", "name": "Extra rice", "price": 2.00,
                                     "quantity": 1, "group": "Sides"}]},
                {"id": "item-veg-gyoza", "name": "Vegetable gyoza", "price": 5.50, "quantity": 1,
                 "notes": "No chilli oil", "selectedAddons": []},
                {"id": "item-soft-drink", "name": "Soft drink", "price": 2.50, "quantity": 2,
                 "selectedAddons": [{"id": "addon-no-ice", "name": "No ice", "price": 0, "group": "Serve"}]},
            ],
            "specialInstructions": None,
            "scheduledFor": None,
            "createdAt": "2025-11-20T21:25:11.000Z",
        },
    ],
}

FIRST_NAMES = ("Olivia", "Amelia", "Isla", "Harry", "Oliver", "George", "Priya", "Mohammed",
               "Siobhan", "Callum", "Freya", "Rhys", "Chloe", "Kwame", "Zainab", "Dylan")
LAST_NAMES = ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Patel",
              "Khan", "Murphy", "O'Neill", "MacDonald", "Okafor", "Wright", "Hughes", "Begum")
INSTRUCTIONS = (None, None, "Extra sauce please", "No onions", "Please ring the bell",
                "Allergic to nuts", "Cutlery please", "Leave at the side door")
# (id, name, unit price, add-on choices as (id, name, price, group))
MENU = (
    ("item-classic-burger", "Classic Burger", "12.99",
     (("addon-extra-cheese", "Extra cheese", "1.00", "Extras"), ("addon-bacon", "Smoked bacon", "1.50", "Extras"))),
    ("item-margherita", "Margherita pizza", "10.50",
     (("addon-extra-mozzarella", "Extra mozzarella", "1.50", "Toppings"),
      ("addon-jalapenos", "Jalapeños", "0.80", "Toppings"))),
    ("item-katsu-curry", "Chicken katsu curry", "11.50", (("addon-extra-rice", "Extra rice", "2.00", "Sides"),)),
    ("item-fish-chips", "Fish and chips", "13.25", (("addon-mushy-peas", "Mushy peas", "1.20", "Sides"),)),
    ("item-sweet-potato-fries", "Sweet potato fries", "4.50", ()),
    ("item-garlic-bread", "Garlic bread", "4.00", ()),
    ("item-soft-drink", "Soft drink", "2.50", (("addon-no-ice", "No ice", "0.00", "Serve"),)),
)
CENT = Decimal("0.01")


def tenant_info(slug: str) -> dict:
    if slug in KNOWN_TENANTS:
        return dict(KNOWN_TENANTS[slug])
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"orderweb-simulator/{slug}")),
        "name": f"{slug.replace('-', ' ').replace('_', ' ').title()} Restaurant",
        "slug": slug,
    }


def order_prefix(slug: str) -> str:
    letters = "".join(ch for ch in slug.upper() if ch.isalpha())
    return (letters or "ORD")[:3]


def utc_timestamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def items_total(items: list) -> Decimal:
    total = Decimal(0)
    for item in items:
        addons = sum((Decimal(str(a.get("price", 0))) * Decimal(str(a.get("quantity", 1)))
                      for a in item.get("selectedAddons") or [] if isinstance(a, dict)), Decimal(0))
        total += (Decimal(str(item["price"])) + addons) * Decimal(str(item.get("quantity", 1)))
    return total


class OrderFactory:
    """Fills the missing fields of an order with realistic generated values."""

    def __init__(self, slug: str, rng: random.Random, taken_numbers: set[str]):
        self.slug = slug
        self.rng = rng
        self.taken_numbers = taken_numbers

    def complete(self, data: dict) -> dict:
        rng = self.rng
        order = {
            "orderId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "orderNumber": self._new_number(),
            "customerName": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "customerPhone": f"+447700900{rng.randrange(1000):03d}",  # Ofcom drama range
            "orderType": "pickup",
            "orderSource": "online",
            "status": "confirmed",
            "items": self._items(),
            "specialInstructions": rng.choice(INSTRUCTIONS),
            "scheduledFor": None,
            "createdAt": utc_timestamp(),
        }
        order.update(data)
        if "totalAmount" not in data:
            try:
                order["totalAmount"] = float(items_total(order["items"]).quantize(CENT))
            except (AttributeError, KeyError, TypeError, ValueError, ArithmeticError):
                order["totalAmount"] = None  # hand-written odd items: no total to invent
        self.taken_numbers.add(str(order["orderNumber"]))
        return order

    def _new_number(self) -> str:
        # Four digits like the platform's, more once half of them would be taken.
        digits = max(4, len(str(2 * len(self.taken_numbers))))
        while True:
            number = f"{order_prefix(self.slug)}-{self.rng.randrange(10 ** (digits - 1), 10 ** digits)}"
            if number not in self.taken_numbers:
                return number

    def _items(self) -> list:
        items = []
        for item_id, name, price, choices in self.rng.sample(MENU, self.rng.randint(1, 3)):
            addons = [
                {"id": addon_id, "name": addon_name, "price": float(Decimal(addon_price)),
                 "quantity": 1, "group": group}
                for addon_id, addon_name, addon_price, group in choices
                if self.rng.random() < 0.4
            ]
            items.append({"id": item_id, "name": name, "price": float(Decimal(price)),
                          "quantity": self.rng.randint(1, 2), "selectedAddons": addons})
        return items


def nested(depth):
    """A list ``depth`` levels deep, built without recursion: a hostile payload for the tests."""
    root = current = []
    for _level in range(depth - 1):
        current.append([])
        current = current[0]
    return root
