import logging
import random
import time
import uuid
from collections import Counter

from odoo.tests import tagged

from ..orderweb.const import MAX_ID_LENGTH
from ..orderweb.simulator import SimulatorThread
from ..orderweb.simulator.data import nested
from ..orderweb.simulator.server import _pull_shape as served_by_pull
from ..orderweb.utils import is_storable_text, json_text
from .common import OrderWebCommon

_logger = logging.getLogger(__name__)

SEED = 20251125
PAYLOADS = 2000  # through importer.receive, push and pull shapes alternating by batch
BATCH = 40
SIMULATED_PULL = 80  # more through a real pull from the stand-in (at most one pull's worth)

TEXT_FIELDS = ('orderNumber', 'customerName', 'customerPhone', 'customerEmail', 'orderType',
               'specialInstructions', 'scheduledFor', 'createdAt', 'status')
HOSTILE_TEXTS = (
    'Zoe \ud83d', '\udc00 cut', 'nul\x00inside', '\x00', '', '   ', 'ñandú 😀', '\u202eevil', '\ufffd',
    "'; DROP TABLE orderweb_order; --", '<img src=x onerror=alert(1)>', '2025-13-45T99:99:99Z',
)
HOSTILE_NUMBERS = (
    10 ** 30, 10 ** 400, -1, -0.01, -1e308, 1e308, float('inf'), float('-inf'), float('nan'), 0, -0.0,
    1e-300, 2 ** 63, '12.5', '1e999', 'abc', True, None,
)


class HostileOrders:
    """Seeded generator of broken, odd and hostile order payloads."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        # A small pool of ids: many payloads share one, with different content.
        self.id_pool = [str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) for _i in range(PAYLOADS // 6)]

    def text(self):
        rng = self.rng
        return rng.choice([*HOSTILE_TEXTS, 'x' * 10_000, ''.join(chr(rng.randrange(0x10000)) for _i in range(40))])

    def wrong_type(self):
        rng = self.rng
        return rng.choice([None, True, 123, -5, 1.5, 'text', [], {}, [1, 'two'], {'a': 1}, nested(rng.randint(2, 40))])

    def hostile_id(self):
        rng = self.rng
        return rng.choice([
            None, '', '   ', 'x' * (MAX_ID_LENGTH + 1), True, 1.5, {}, [],
            f'nul\x00{rng.getrandbits(64)}', f'cut\ud83d{rng.getrandbits(64)}', rng.randrange(-10 ** 6, 10 ** 12),
        ])

    def item(self):
        rng = self.rng
        return {
            'id': f'item-{rng.randrange(50)}', 'name': rng.choice(['Classic Burger', 'Sweet potato fries', 'Mystery']),
            'price': round(rng.uniform(0, 30), 2), 'quantity': rng.randint(1, 5),
            'selectedAddons': [{'id': f'addon-{rng.randrange(20)}', 'name': 'Extra cheese',
                                'price': 1.0, 'quantity': 1} for _a in range(rng.randint(0, 3))],
        }

    def valid(self):
        rng = self.rng
        items = [self.item() for _i in range(rng.randint(1, 4))]
        return {
            'orderId': rng.choice(self.id_pool),
            'orderNumber': f'FUZ-{rng.randrange(10 ** 6)}',
            'customerName': 'Priya Patel', 'customerPhone': f'+4477009{rng.randrange(10 ** 5):05d}',
            'orderType': rng.choice(['pickup', 'delivery', 'dine-in']),
            'totalAmount': round(rng.uniform(1, 200), 2),
            'items': items,
            'specialInstructions': None, 'scheduledFor': None, 'createdAt': '2025-11-20T21:50:58.000Z',
        }

    def payload(self):
        rng = self.rng
        order = self.valid()
        for _mutation in range(rng.randint(1, 4)):
            kind = rng.randrange(10)
            items = order.get('items') if isinstance(order.get('items'), list) else []
            item = rng.choice(items) if items and isinstance(items[0], dict) else None
            if kind == 0 and order:
                del order[rng.choice(list(order))]
            elif kind == 1:
                order[rng.choice([*TEXT_FIELDS, 'items', 'totalAmount', 'orderId'])] = self.wrong_type()
            elif kind == 2:
                target = item if item and rng.random() < 0.6 else order
                key = rng.choice(['price', 'quantity']) if target is item else 'totalAmount'
                target[key] = rng.choice(HOSTILE_NUMBERS)
            elif kind == 3:
                if item and rng.random() < 0.3:
                    item['name'] = self.text()
                else:
                    order[rng.choice(TEXT_FIELDS)] = self.text()
            elif kind == 4:
                order['extra'] = nested(rng.choice([50, 500, 2000]))
            elif kind == 5:
                order['items'] = rng.choice([
                    [], [None], ['just text'], [self.item() for _i in range(rng.randint(501, 520))],
                    [{**self.item(), 'selectedAddons': ['Cheese'] * rng.randint(95, 110)}],
                ])
            elif kind == 6:
                order['orderId'] = self.hostile_id()
            elif kind == 7:
                order = rng.choice([[], ['not', 'an', 'order'], 'text', 42, None, 1.5, True, self.text()])
                break
            elif kind == 8 and item:
                item['selectedAddons'] = [
                    rng.choice([None, 7, {'name': None}, {'price': -1, 'name': 'x'}, self.text()])]
            else:
                order['totalAmount'] = rng.choice(HOSTILE_NUMBERS)
        return order


def pull_shape(raw):
    if not isinstance(raw, dict):
        return raw
    pulled = {('id' if key == 'orderId' else 'total' if key == 'totalAmount' else key): value
              for key, value in raw.items()}
    return pulled


def usable_id(raw):
    """The id a payload is stored under, if it has one: text or integer, 1 to 128 storable characters."""
    if not isinstance(raw, dict):
        return None
    raw_id = raw.get('orderId' if 'orderId' in raw else 'id')
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        return None
    raw_id = str(raw_id).strip()
    return raw_id if 0 < len(raw_id) <= MAX_ID_LENGTH and is_storable_text(raw_id) else None


@tagged('post_install', '-at_install')
class TestImportFuzz(OrderWebCommon):
    """Thousands of hostile payloads through the real store and import: nothing escapes, nothing
    is lost or doubled, and the next good order is still imported."""

    def test_hostile_payloads(self):
        started = time.monotonic()
        generator = HostileOrders(SEED)
        sent, goods = [], []
        raised = 0
        for batch_start in range(0, PAYLOADS, BATCH):
            channel = 'pull' if (batch_start // BATCH) % 2 else 'push'
            batch = [generator.payload() for _i in range(BATCH)]
            if channel == 'pull':
                batch = [pull_shape(raw) for raw in batch]
            good = {**generator.valid(), 'orderId': str(uuid.uuid4())}
            goods.append(good)
            try:
                online_orders = self.receive(*batch, good, channel=channel)
            except Exception:
                raised += 1
                _logger.exception("OrderWeb fuzz: a batch raised")
                continue
            # No session is open: the good order behind the hostile ones is imported as far as it goes.
            self.assertEqual(online_orders.filtered(lambda record: record.orderweb_id == good['orderId']).state,
                             'waiting')
            sent += batch

        with SimulatorThread(tenants=('kitchen',), empty=True) as sim:
            self.company.orderweb_url = sim.base_url
            served = {}  # the stand-in keeps one order per str(id)
            while len(served) < SIMULATED_PULL:
                raw = generator.payload()
                # The stand-in serves objects, not nested too deep, and computes no total itself.
                if not isinstance(raw, dict) or 'extra' in raw or str(raw.get('orderId')) in served:
                    continue
                raw.setdefault('totalAmount', None)
                order = sim.push_order('kitchen', raw, push=False)
                served[str(order['orderId'])] = served_by_pull(order)
            sent += served.values()
            self.env.flush_all()
            self.env['orderweb.connection']._orderweb_pull(self.company)

        self.assertFalse(raised, "no batch may raise for its payloads")
        online_orders = self.OnlineOrder.search([('company_id', '=', self.company.id)])
        per_id = Counter(online_orders.mapped('orderweb_id'))
        keys = {usable_id(raw) for raw in sent} - {None}
        self.assertEqual({key for key in keys if per_id[key] != 1}, set(), "each usable id stored exactly once")
        texts = {json_text(raw) for raw in [*sent, *goods]}
        self.assertFalse(online_orders.filtered(lambda online_order: online_order.payload not in texts),
                         "every stored payload is exactly one that was sent")
        # Without a usable id, each distinct payload is a record of its own, stored as sent.
        unkeyed = {json_text(raw) for raw in sent if usable_id(raw) is None}
        self.assertLessEqual(unkeyed, set(online_orders.mapped('payload')))
        self.assertEqual(len(online_orders), len(keys) + len(unkeyed) + len(goods), "nothing stored twice")

        session = self.open_new_session()
        good = self.receive({**generator.valid(), 'orderId': str(uuid.uuid4()), 'items': [
            {'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 1}],
            'totalAmount': 12.99})
        self.assertEqual(good.state, 'done', good.error)
        self.assertEqual(good.pos_order_id.session_id, session)

        states = Counter(online_orders.mapped('state'))
        _logger.info(
            "OrderWeb fuzz (seed %s): %s hostile payloads (%s by a real pull) + %s good ones in %.1f s; "
            "%s online orders: %s usable ids each stored once, %s distinct payloads without one; states %s; "
            "set aside %s; batches raised %s; the next good order imported",
            SEED, len(sent), SIMULATED_PULL, len(goods) + 1, time.monotonic() - started,
            len(online_orders), len(keys), len(unkeyed), dict(states), len(online_orders.filtered('set_aside')), raised)
