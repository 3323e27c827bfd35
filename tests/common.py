import copy
import uuid
from decimal import Decimal

from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.tests import new_test_user

from ..compat import SERIES_INFO, lend_test_lock
from ..orderweb.const import SIMULATOR_API_KEY
from ..orderweb.simulator.data import SAMPLE_ORDERS
from ..service import importer

# The groups of a shop's staff, as new_test_user takes them.
CASHIER = 'base.group_user,point_of_sale.group_pos_user'
POS_MANAGER = 'base.group_user,point_of_sale.group_pos_manager'

# Nothing listens on the discard port: a pull there fails at once.
UNREACHABLE_URL = 'http://127.0.0.1:9'


def new_order(**values):
    """A fresh push-shape order with its own id: one burger for 12.99 unless ``values`` say otherwise."""
    order = {
        'orderId': str(uuid.uuid4()),
        'orderNumber': 'KIT-%04d' % (uuid.uuid4().int % 10000),
        'customerName': 'Priya Patel',
        'customerPhone': '+447700900777',
        'orderType': 'delivery',
        'totalAmount': 12.99,
        'items': [{'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 1,
                   'selectedAddons': []}],
        'specialInstructions': None,
        'scheduledFor': None,
        'createdAt': '2025-11-20T21:50:58.000Z',
    }
    order.update(values)
    return order


def company_user(env, login, company, groups=CASHIER):
    """A user of ``company`` alone (its current and only allowed company), in ``groups``."""
    return new_test_user(env, login, groups=groups, company_id=company.id, company_ids=company.ids)


def orderweb_settings(config, url=UNREACHABLE_URL):
    """res.company values that send the stand-in's tenant to ``config``'s sessions."""
    return {
        'orderweb_enabled': True,
        'orderweb_url': url,
        'orderweb_tenant': 'kitchen',
        'orderweb_api_key': SIMULATOR_API_KEY,
        'orderweb_target': 'pos',
        'orderweb_pos_config_id': config.id,
    }


class OrderWebCommon(TestPoSCommon):
    """A company with taxes, a POS shop and OrderWeb enabled, in registry test mode.

    The importer (service/importer.py) and the runner open their own cursors (payloads are committed
    before the import): test mode makes those cursors share the test transaction, so each test
    still rolls back; the runner's threads take the test lock for each cursor (compat).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._orderweb_test_mode = False
        if not SERIES_INFO['registry_test_mode']:
            if not cls._registry_patched:  # an HttpCase is in test mode already
                cls.registry_enter_test_mode_cls()
                cls._orderweb_test_mode = True
        elif cls.registry.test_cr is None:  # an HttpCase is in test mode already
            cls.registry.enter_test_mode(cls.cr)
            cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.config = cls.basic_config
        cls.company.write(orderweb_settings(cls.config))
        # Prices are tax-included on OrderWeb: one included and one excluded tax, on purpose.
        cls.burger = cls._create_menu_product('Classic Burger', 12.99, cls.taxes['tax10'])
        cls.fries = cls._create_menu_product('Sweet potato fries', 4.50, cls.taxes['tax7'])
        cls.cheese = cls._create_menu_product('Extra cheese', 1.00, cls.taxes['tax10'])
        cls.OnlineOrder = cls.env['orderweb.order']

    def setUp(self):
        super().setUp()
        if self._orderweb_test_mode:  # an HttpCase lends the lock around its requests itself
            self.enterContext(lend_test_lock())

    @classmethod
    def _create_menu_product(cls, name, price, tax):
        return cls.env['product.product'].create({
            'name': name,
            'list_price': price,
            'available_in_pos': True,
            'taxes_id': [(6, 0, tax.ids)],
        })

    def assertTotal(self, odoo_order, platform_total):
        self.assertEqual(
            Decimal(str(odoo_order.amount_total)).quantize(Decimal('0.01')),
            Decimal(str(platform_total)).quantize(Decimal('0.01')))

    def sample(self, number):
        """A sample order of the protocol note (push shape), by order number."""
        return copy.deepcopy(next(o for o in SAMPLE_ORDERS['kitchen'] if o['orderNumber'] == number))

    def samples(self):
        return copy.deepcopy(SAMPLE_ORDERS['kitchen'])

    @staticmethod
    def pull_shape(order):
        pulled = {key: value for key, value in order.items() if key not in ('orderId', 'totalAmount')}
        pulled.update(id=order['orderId'], total=order['totalAmount'])
        return pulled

    def receive(self, *raw_orders, channel='push', company=None):
        # Ingestion reads through its own cursors: what the test changed must be in the database.
        self.env.flush_all()
        return importer.receive(self.env, company or self.company, list(raw_orders), channel)
