import json
from unittest.mock import patch

from psycopg2 import IntegrityError
from psycopg2.pool import PoolError

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.translate import code_translations

from ..const import MAX_AUTO_ATTEMPTS, MAX_PAYLOAD_LENGTH, PAYLOAD_DISPLAY_MAX_LENGTH
from ..orderweb.simulator import SimulatorThread
from ..orderweb.simulator.data import nested
from ..service import importer
from ..utils import is_outage
from .common import OrderWebCommon, new_order

LOGGER = 'odoo.addons.pos_orderweb.models.orderweb_order'


@tagged('post_install', '-at_install')
class TestPoisonOrders(OrderWebCommon):
    """No order, however broken, stops the orders behind it."""

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()

    def test_lone_surrogate_is_stored_exactly_and_the_batch_goes_on(self):
        # What JSON.stringify writes for a name cut in the middle of an emoji.
        poison = new_order(customerName='Zoe \ud83d', specialInstructions='Ring \udc00 twice')
        good = new_order()
        online_orders = self.receive(poison, good)
        self.assertEqual(online_orders.mapped('state'), ['done', 'done'], online_orders.mapped('error'))
        self.assertEqual(json.loads(online_orders[0].payload), poison, "the exact original reads back")
        self.assertNotIn('\ud83d', online_orders[0].customer_name, "the display copy is storable")
        self.assertEqual(online_orders[0].pos_order_id.partner_id.name, online_orders[0].customer_name)
        self.assertEqual(self.receive(poison), online_orders[0], "the same order again is the same record")

    def test_why_an_order_cannot_be_read_is_said_in_the_users_language(self):
        # The wire client's reasons are English templates marked for this addon's catalogue:
        # a French manager reads the whole reason in French, not French around English.
        self.env['res.lang']._activate_lang('fr_FR')
        catalogue = {  # what i18n/fr.po would hold
            "OrderWeb sent an order that cannot be read: its field “%(field)s” %(reason)s.":
                "OrderWeb a envoyé une commande illisible : son champ « %(field)s » %(reason)s.",
            "is longer than %(limit)s characters": "dépasse %(limit)s caractères",
        }
        with patch.dict(code_translations.python_translations, {('pos_orderweb', 'fr_FR'): catalogue}):
            online_order = importer.receive(self.env(context={'lang': 'fr_FR'}), self.company,
                                          [new_order(orderId='x' * 200)], 'push')
        self.assertEqual(online_order.error, "OrderWeb a envoyé une commande illisible : son champ « orderId » "
                                             "dépasse 128 caractères.")

    def test_nul_in_the_id_of_an_unreadable_order(self):
        poison = {'orderId': 'abc\x00def', 'orderNumber': 'KIT-\x00', 'items': []}
        good = new_order()
        online_orders = self.receive(poison, good)
        self.assertEqual(online_orders.mapped('state'), ['error', 'done'])
        self.assertEqual(json.loads(online_orders[0].payload), poison)
        self.assertTrue(online_orders[0].orderweb_id.startswith('invalid-'), "an id that cannot be stored is no key")
        self.assertIn('orderId', online_orders[0].error)  # the wire refuses an id it could not key on
        self.assertEqual(self.receive(poison), online_orders[0])

    def test_poison_in_a_pull_does_not_roll_the_pull_back(self):
        with SimulatorThread(tenants=('kitchen',), empty=True) as sim:
            self.company.orderweb_url = sim.base_url
            first = sim.push_order('kitchen', new_order(createdAt='2025-11-20T21:00:00Z'), push=False)
            sim.push_order('kitchen', new_order(customerName='Zoe \ud83d', createdAt='2025-11-20T21:01:00Z'),
                           push=False)
            sim.push_order('kitchen', {'orderId': 'nul\x00id', 'items': None, 'createdAt': '2025-11-20T21:02:00Z'},
                           push=False)
            last = sim.push_order('kitchen', new_order(createdAt='2025-11-20T21:03:00Z'), push=False)
            self.env.flush_all()
            online_orders = self.env['orderweb.connection']._orderweb_pull(self.company)
        self.assertEqual(len(online_orders), 4)
        self.assertEqual(sorted(online_orders.mapped('state')), ['done', 'done', 'done', 'error'])
        self.assertEqual(online_orders.filtered(
            lambda record: record.orderweb_id in (first['orderId'], last['orderId'])).mapped('state'), ['done', 'done'])

    def test_deep_nesting_is_stored_and_explained(self):
        deep = new_order(extra=nested(3000))
        online_order = self.receive(deep)
        self.assertEqual(online_order.state, 'error')
        self.assertIn('nested too deeply', online_order.error)
        self.assertTrue(online_order.payload.startswith('{') and online_order.payload.count('[') == 3000 + 2)

    def test_an_order_that_cannot_be_stored_is_set_aside_and_the_others_go_on(self):
        # PostgreSQL itself refuses this order's row, as it refused lone surrogates before.
        self.env.cr.execute("ALTER TABLE orderweb_order ADD CONSTRAINT test_refused "
                            "CHECK (customer_name IS DISTINCT FROM 'Refused by PostgreSQL')")
        refused = new_order(customerName='Refused by PostgreSQL')
        good = new_order()
        with self.assertLogs(LOGGER, 'ERROR') as logged:
            online_orders = self.receive(refused, good)
        self.assertIn('set aside', logged.output[0])
        aside, imported = online_orders
        self.assertEqual(imported.state, 'done')
        self.assertTrue(aside.set_aside)
        self.assertEqual((aside.state, aside.pos_order_id.id), ('error', False))
        self.assertIn('test_refused', aside.error)
        self.assertEqual(json.loads(aside.payload), refused, "set aside with its raw text")
        with mute_logger(LOGGER):
            self.assertEqual(self.receive(refused), aside, "set aside once")
        self.assertTrue(self.OnlineOrder.search([('set_aside', '=', True), ('company_id', '=', self.company.id)]),
                        "the manager finds it in the online orders")

        card = self.env['orderweb.connection']._orderweb_report(self.company, {'state': 'connected'})
        self.assertEqual(card.set_aside_count, 1)
        self.assertEqual(card.last_set_aside_at, aside.received_at)
        self.assertEqual(self.OnlineOrder.search(card.action_view_set_aside()['domain']), aside)

    def test_an_order_too_large_is_kept_in_error(self):
        # One item carrying a 2 MB unknown field: the same bound catches 500 items × 100 add-ons.
        huge = new_order(description='x' * (2 * MAX_PAYLOAD_LENGTH))
        online_order = self.receive(huge)
        self.assertEqual((online_order.state, online_order.orderweb_id, online_order.name),
                         ('error', huge['orderId'], huge['orderNumber']))
        self.assertIn('characters long', online_order.error)
        self.assertFalse(online_order.pos_order_id)
        self.assertEqual(json.loads(online_order.payload), huge, "nothing is lost")
        # A readable copy of reasonable size is imported in its place.
        fixed = self.receive(self.pull_shape(new_order(orderId=huge['orderId'], orderNumber=huge['orderNumber'])),
                            channel='pull')
        self.assertEqual((fixed, fixed.state), (online_order, 'done'))


@tagged('post_install', '-at_install')
class TestPayloadDisplay(OrderWebCommon):
    """The form of any stored order opens; what it shows is bounded and says so."""

    def store(self, payload):
        return self.OnlineOrder.create({'name': 'KIT-DISPLAY', 'orderweb_id': payload[:20], 'payload': payload,
                                'channel': 'push', 'state': 'error'})

    def test_deep_payload_opens(self):
        online_order = self.store(json.dumps({'orderId': 'deep', 'extra': nested(500)}))
        display = Form(online_order).payload_display
        self.assertIn('"orderId": "deep"', display)
        self.assertIn('nested deeper than', display)
        self.assertLess(len(display), 5000)

    def test_frame_of_960_levels_opens(self):
        online_order = self.store(json.dumps({'orderId': 'deep', 'extra': nested(960)}))
        display = online_order.payload_display
        self.assertIn('"orderId"', display)
        self.assertLess(len(display), 5000)

    def test_payload_too_deep_to_decode_opens(self):
        online_order = self.store('[' * 40000 + ']' * 40000)
        self.assertIn('nested too deeply', online_order.payload_display)
        self.assertLess(len(online_order.payload_display), PAYLOAD_DISPLAY_MAX_LENGTH + 100)

    def test_huge_payload_is_cut(self):
        online_order = self.store(json.dumps({'orderId': 'big', 'blob': 'x' * 5_000_000}))
        self.assertLess(len(online_order.payload_display), PAYLOAD_DISPLAY_MAX_LENGTH + 100)
        self.assertRegex(online_order.payload_display, r'truncated, \d+ characters more')

    def test_lone_surrogate_is_shown_escaped(self):
        online_order = self.store(json.dumps({'customerName': 'Zoe \ud83d'}))
        self.assertIn('Zoe \\ud83d', online_order.payload_display)
        online_order.payload_display.encode('utf-8')  # what the browser receives


@tagged('post_install', '-at_install')
class TestBoundedRetries(OrderWebCommon):
    """A failed order is retried a bounded number of times and says so once per change."""

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()
        # Unknown dishes have no fallback product: their orders fail to import.
        self.company.orderweb_item_product_id = False
        self.env.ref('pos_orderweb.product_orderweb_item').active = False

    def failing_order(self, **values):
        return new_order(items=[{'id': 'z', 'name': 'Mystery dish', 'price': 5, 'quantity': 1}], totalAmount=5,
                         **values)

    def messages(self, online_order):
        return self.env['mail.message'].search_count(
            [('model', '=', online_order._name), ('res_id', '=', online_order.id)])

    def test_the_same_order_again_resets_nothing(self):
        raw_order = self.failing_order()
        online_order = self.receive(raw_order)
        self.assertEqual((online_order.state, online_order.attempt_count), ('error', 1))
        messages = self.messages(online_order)
        for _pull in range(5):
            self.receive(raw_order)
            self.receive(self.pull_shape(raw_order), channel='pull')
        self.assertEqual((online_order.state, online_order.attempt_count), ('error', 1))
        # The storing step alone, in this transaction: it leaves the failed order as it is.
        self.assertEqual(
            self.OnlineOrder._store(self.company, [raw_order, self.pull_shape(raw_order)], 'pull'),
            online_order)
        self.assertEqual((online_order.state, online_order.attempt_count), ('error', 1))
        self.env.flush_all()
        self.assertEqual(self.messages(online_order), messages, "no chatter line without a change")

    def test_cron_retries_are_bounded_and_quiet(self):
        online_order = self.receive(self.failing_order())
        messages = self.messages(online_order)
        for _run in range(MAX_AUTO_ATTEMPTS + 2):
            self.env['orderweb.order']._cron_orderweb_import()
        self.assertEqual((online_order.state, online_order.attempt_count), ('error', MAX_AUTO_ATTEMPTS))
        self.assertEqual(self.messages(online_order), messages, "the same reason again is not news")

    def test_a_readable_copy_replaces_an_unreadable_one_once(self):
        raw_order = self.failing_order()
        broken = self.receive({**raw_order, 'customerPhone': 7700900777})
        self.assertEqual((broken.state, broken.attempt_count), ('error', 0))
        readable = self.receive(self.pull_shape(raw_order), channel='pull')
        self.assertEqual((readable, readable.state, readable.attempt_count), (broken, 'error', 1))
        self.assertIn('Mystery dish', readable.error)
        payload = readable.payload
        self.receive({**raw_order, 'customerName': 'Another copy'})
        self.OnlineOrder._store(self.company, [{**raw_order, 'customerName': 'Yet another copy'}], 'push')
        self.assertEqual((readable.state, readable.payload, readable.attempt_count), ('error', payload, 1),
                         "replaced once, not on every copy")


@tagged('post_install', '-at_install')
class TestRetryRights(OrderWebCommon):
    """Retry is for who may change the online order; the import runs as the listener's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, 'ow_least_manager', company_id=cls.company.id,
                                    groups='base.group_user,point_of_sale.group_pos_manager')
        cls.cashier = new_test_user(cls.env, 'ow_retry_cashier', company_id=cls.company.id,
                                    groups='base.group_user,point_of_sale.group_pos_user')

    def setUp(self):
        super().setUp()
        self.open_new_session()
        self.env.ref('pos_orderweb.product_orderweb_item').active = False
        self.company.orderweb_item_product_id = False
        self.log_in_error = self.receive(new_order(
            customerName='Nadia Rahman', customerPhone='+447700900123', totalAmount=5,
            items=[{'id': 'z', 'name': 'Mystery dish', 'price': 5, 'quantity': 1}]))
        self.assertEqual(self.log_in_error.state, 'error')
        self.env.ref('pos_orderweb.product_orderweb_item').active = True

    def test_a_manager_without_contact_rights_retries(self):
        with self.assertRaises(AccessError):
            self.env['res.partner'].with_user(self.manager).create({'name': 'Not allowed'})
        self.log_in_error.with_user(self.manager).action_retry()
        self.assertEqual(self.log_in_error.state, 'done', self.log_in_error.error)
        self.assertEqual(self.log_in_error.pos_order_id.partner_id.name, 'Nadia Rahman')

    def test_a_cashier_cannot_retry(self):
        with self.assertRaises(AccessError):
            self.log_in_error.with_user(self.cashier).action_retry()
        self.assertEqual(self.log_in_error.state, 'error')

    def test_a_manager_of_another_company_cannot_retry(self):
        other = self.env['res.company'].create({'name': 'Other Restaurant'})
        outsider = new_test_user(self.env, 'ow_outsider', company_id=other.id, company_ids=[other.id],
                                 groups='base.group_user,point_of_sale.group_pos_manager')
        with self.assertRaises(AccessError):
            self.log_in_error.with_user(outsider).action_retry()
        self.assertEqual(self.log_in_error.state, 'error')


@tagged('post_install', '-at_install')
class TestImporter(OrderWebCommon):
    """Each platform order is stored once, whatever the channel, and kept whatever it holds."""

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()

    def test_same_order_push_twice_and_pull_once(self):
        raw_order = self.sample('KIT-4227')
        first = self.receive(raw_order)
        again = self.receive(raw_order)
        pulled = self.receive(self.pull_shape(raw_order), channel='pull')
        self.assertEqual(first, again)
        self.assertEqual(first, pulled)
        self.assertEqual(first.channel, 'push')
        self.assertEqual(self.env['pos.order'].search_count([('orderweb_number', '=', 'KIT-4227')]), 1)

    def test_full_connection_pool_is_an_outage(self):
        # A burst to many companies can find Odoo's pool full while an order is imported: the order
        # stays to import (its batch is retried), it is not failed as if it were at fault.
        self.assertTrue(is_outage(PoolError('The Connection Pool Is Full')))

    def test_bad_payloads_are_kept_in_error(self):
        no_items = new_order(items=[])
        online_orders = self.receive(no_items, ['not', 'an', 'order'], {'orderNumber': 'KIT-0001'})
        self.assertEqual(online_orders.mapped('state'), ['error'] * 3)
        self.assertIn('items', online_orders[0].error)
        self.assertEqual(online_orders[0].name, no_items['orderNumber'])
        self.assertFalse(online_orders.pos_order_id)
        self.assertEqual(json.loads(online_orders[1].payload), ['not', 'an', 'order'])
        # The same bad payload again is the same record, not a new one.
        self.assertEqual(self.receive(['not', 'an', 'order']), online_orders[1])

    def test_a_readable_copy_replaces_an_unreadable_one(self):
        raw_order = new_order()
        broken = self.receive({**raw_order, 'customerPhone': 7700900777})
        self.assertEqual(broken.state, 'error')
        fixed = self.receive(self.pull_shape(raw_order), channel='pull')
        self.assertEqual(fixed, broken)
        self.assertEqual(fixed.state, 'done')
        self.assertTotal(fixed.pos_order_id, raw_order['totalAmount'])

    def test_an_imported_online_order_is_kept(self):
        online_order = self.receive(new_order())
        with self.assertRaises(IntegrityError), mute_logger('odoo.sql_db'):
            online_order.unlink()
