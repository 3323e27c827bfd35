import json
import uuid
from decimal import Decimal

from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError, ValidationError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..orderweb.simulator import SimulatorThread
from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestIngestToPos(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()

    def assertTotal(self, pos_order, platform_total):
        self.assertEqual(
            Decimal(str(pos_order.amount_total)).quantize(Decimal('0.01')),
            Decimal(str(platform_total)).quantize(Decimal('0.01')))

    def test_protocol_samples_become_pos_orders(self):
        logs = self.ingest(*self.samples())
        self.assertEqual(logs.mapped('state'), ['done'] * 3, logs.mapped('error'))
        orders = logs.pos_order_id
        self.assertEqual(len(orders), 3)
        self.assertEqual(orders.session_id, self.session)
        for log in logs:
            platform = self.sample(log.name)
            self.assertTotal(log.pos_order_id, platform['totalAmount'])
            self.assertEqual(log.pos_order_id.orderweb_number, platform['orderNumber'])
            self.assertIn(platform['orderNumber'], log.pos_order_id.pos_reference)
            self.assertEqual(log.pos_order_id.partner_id.name, platform['customerName'])
            self.assertEqual(log.pos_order_id.orderweb_type, 'pickup')
            self.assertEqual(log.pos_order_id.orderweb_status, 'new')
            self.assertEqual(json.loads(log.payload), platform, "the raw payload is kept verbatim")

        burger_order = logs.filtered(lambda log: log.name == 'KIT-3763').pos_order_id
        self.assertEqual(burger_order.general_note, 'Extra sauce please')
        burger = burger_order.lines.filtered(lambda line: line.product_id == self.burger)
        self.assertEqual((burger.qty, burger.price_unit, burger.price_type), (2, 12.99, 'manual'))
        self.assertIn('Extra cheese', burger.note)
        cheese = burger_order.lines.filtered(lambda line: line.product_id == self.cheese)
        self.assertEqual((cheese.qty, cheese.price_subtotal_incl), (2, 2.0), "an add-on is priced per unit of its item")
        self.assertEqual(cheese.orderweb_item_line_uuid, burger.uuid)
        # 36.43 of items for 40.00 charged: the gap is a line of its own, not hidden in prices.
        fees = burger_order.lines.filtered(lambda line: line.full_product_name.startswith('Fees'))
        self.assertAlmostEqual(fees.price_subtotal_incl, 3.57)
        # 3.95 with 15% excluded tax has no two-decimal base: that penny shows as its own line.
        rounding = burger_order.lines.filtered(lambda line: line.full_product_name == 'Tax rounding')
        self.assertLessEqual(abs(rounding.price_subtotal_incl), 0.01)
        # Unknown items keep their own name on the fallback product and are listed for mapping.
        shake = burger_order.lines.filtered(lambda line: line.full_product_name == 'Vanilla milkshake')
        self.assertEqual(shake.product_id, self.env.ref('pos_orderweb.product_orderweb_item'))
        self.assertTrue(self.env['orderweb.product.map'].search([('orderweb_item_id', '=', 'item-vanilla-shake')]))

    def test_same_order_push_twice_and_pull_once(self):
        order = self.sample('KIT-4227')
        first = self.ingest(order)
        again = self.ingest(order)
        pulled = self.ingest(self.pull_shape(order), channel='pull')
        self.assertEqual(first, again)
        self.assertEqual(first, pulled)
        self.assertEqual(first.channel, 'push')
        self.assertEqual(self.env['pos.order'].search_count([('orderweb_number', '=', 'KIT-4227')]), 1)

    def test_excluded_tax_keeps_the_customer_price(self):
        log = self.ingest(new_order(
            totalAmount=13.50,
            items=[{'id': 'x', 'name': 'Sweet potato fries', 'price': 4.50, 'quantity': 3}]))
        pos_order = log.pos_order_id
        self.assertTotal(pos_order, 13.50)
        self.assertEqual(pos_order.lines.product_id, self.fries)
        self.assertGreater(pos_order.amount_tax, 0, "the excluded tax is inside the customer's price")

    def test_discount_becomes_a_negative_line(self):
        log = self.ingest(new_order(totalAmount=10.00))
        self.assertTotal(log.pos_order_id, 10.00)
        discount = log.pos_order_id.lines.filtered(lambda line: line.price_subtotal_incl < 0)
        self.assertAlmostEqual(discount.price_subtotal_incl, -2.99)

    def test_explicit_item_mapping_wins_over_name(self):
        self.env['orderweb.product.map'].create({
            'company_id': self.company.id, 'orderweb_item_id': 'item-classic-burger', 'product_id': self.fries.id})
        log = self.ingest(new_order(totalAmount=12.99))
        self.assertEqual(log.pos_order_id.lines.product_id, self.fries)
        self.assertEqual(log.pos_order_id.lines.full_product_name, 'Classic Burger')

    def test_customer_found_by_normalised_phone_then_created_once(self):
        self.company.country_id = self.env.ref('base.uk')
        known = self.env['res.partner'].create({'name': 'P. Patel', 'phone': '07911 123456'})
        log = self.ingest(new_order(customerPhone='+447911123456'))
        self.assertEqual(log.pos_order_id.partner_id, known)
        first = self.ingest(new_order(customerName='Dev Mistry', customerPhone='+447911123457'))
        second = self.ingest(new_order(customerName='Dev Mistry', customerPhone='07911 123457'))
        self.assertEqual(first.pos_order_id.partner_id, second.pos_order_id.partner_id)

    def test_prepaid_order_is_paid_with_the_online_method(self):
        self.company.orderweb_payment_method_id = self.bank_pm1
        log = self.ingest(self.sample('KIT-7163'))
        pos_order = log.pos_order_id
        self.assertEqual(pos_order.state, 'paid')
        self.assertTrue(pos_order.orderweb_prepaid)
        self.assertEqual(pos_order.payment_ids.payment_method_id, self.bank_pm1)
        self.assertAlmostEqual(pos_order.amount_paid, 40.00)

    def test_bad_payloads_are_kept_in_error(self):
        no_items = new_order(items=[])
        logs = self.ingest(no_items, ['not', 'an', 'order'], {'orderNumber': 'KIT-0001'})
        self.assertEqual(logs.mapped('state'), ['error'] * 3)
        self.assertIn('items', logs[0].error)
        self.assertEqual(logs[0].name, no_items['orderNumber'])
        self.assertFalse(logs.pos_order_id)
        self.assertEqual(json.loads(logs[1].payload), ['not', 'an', 'order'])
        # The same bad payload again is the same record, not a new one.
        self.assertEqual(self.ingest(['not', 'an', 'order']), logs[1])

    def test_a_readable_copy_replaces_an_unreadable_one(self):
        order = new_order()
        broken = self.ingest({**order, 'customerPhone': 7700900777})
        self.assertEqual(broken.state, 'error')
        fixed = self.ingest(self.pull_shape(order), channel='pull')
        self.assertEqual(fixed, broken)
        self.assertEqual(fixed.state, 'done')
        self.assertTotal(fixed.pos_order_id, order['totalAmount'])

    def test_an_imported_order_keeps_its_log(self):
        log = self.ingest(new_order())
        with self.assertRaises(IntegrityError), mute_logger('odoo.sql_db'):
            log.unlink()

    def test_mapping_failure_is_explained_and_retry_imports(self):
        self.company.orderweb_item_product_id = False
        self.env.ref('pos_orderweb.product_orderweb_item').active = False
        log = self.ingest(new_order(items=[{'id': 'z', 'name': 'Mystery dish', 'price': 5, 'quantity': 1}], totalAmount=5))
        self.assertEqual(log.state, 'error')
        self.assertIn('Mystery dish', log.error)
        self.env.ref('pos_orderweb.product_orderweb_item').active = True
        log.action_retry()
        self.assertEqual(log.state, 'done')
        self.assertTotal(log.pos_order_id, 5)


@tagged('post_install', '-at_install')
class TestIngestWithoutSession(OrderWebCommon):

    def test_order_waits_for_a_session_then_is_imported(self):
        log = self.ingest(self.sample('KIT-4227'))
        self.assertEqual(log.state, 'waiting')
        self.assertIn(self.config.name, log.error)
        cron = self.env.ref('pos_orderweb.ir_cron_orderweb_pull')
        triggers = self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)])
        session = self.open_new_session()
        self.assertGreater(self.env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)]), triggers,
                           "opening a session wakes the import up")
        self.company.orderweb_last_pull_at = '2100-01-01'  # not due: this run only retries
        self.log._cron_pull()
        self.assertEqual(log.state, 'done')
        self.assertEqual(log.pos_order_id.session_id, session)


@tagged('post_install', '-at_install')
class TestIngestToSale(OrderWebCommon):

    def test_sale_order_with_lines_reference_and_date(self):
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': True})
        platform = self.sample('KIT-3763')
        platform['scheduledFor'] = '2025-11-21T12:30:00Z'
        log = self.ingest(platform)
        sale = log.sale_order_id
        self.assertEqual(log.state, 'done', log.error)
        self.assertEqual(sale.state, 'sale')
        self.assertEqual(sale.client_order_ref, 'KIT-3763')
        self.assertEqual(str(sale.commitment_date), '2025-11-21 12:30:00')
        self.assertIn('Extra sauce please', str(sale.note))
        self.assertAlmostEqual(sale.amount_total, 40.00)
        self.assertTrue(any('Extra cheese' in line.name for line in sale.order_line))

    def test_quotation_when_not_confirming(self):
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False})
        log = self.ingest(new_order(customerName=None, customerPhone=None))
        self.assertEqual(log.sale_order_id.state, 'draft')
        self.assertEqual(log.sale_order_id.partner_id, self.env.ref('pos_orderweb.partner_orderweb_guest'))


@tagged('post_install', '-at_install')
class TestSettingsAndSecurity(OrderWebCommon):

    def test_settings_write_the_company(self):
        settings = self.env['res.config.settings'].with_company(self.company).create({
            'orderweb_tenant': 'bistro', 'orderweb_url': 'https://orderweb.net', 'orderweb_pull_interval': 2})
        settings.execute()
        self.assertEqual((self.company.orderweb_tenant, self.company.orderweb_pull_interval), ('bistro', 2))

    def test_bad_settings_are_refused(self):
        with self.assertRaises(ValidationError):
            self.company.write({'orderweb_url': 'ftp://orderweb.net'})
        with self.assertRaises(ValidationError, msg="the key never travels in clear to another machine"):
            self.company.write({'orderweb_url': 'ws://orderweb.net'})
        with self.assertRaises(ValidationError):
            self.company.write({'orderweb_api_key': False})

    def test_one_company_per_tenant(self):
        other = self.env['res.company'].create({'name': 'Other Restaurant'})
        with self.assertRaises(ValidationError):
            other.write({**self.company.read(['orderweb_url', 'orderweb_tenant'])[0], 'id': other.id,
                         'orderweb_enabled': True, 'orderweb_target': 'sale', 'orderweb_api_key': 'pos_fake'})

    def test_only_settings_admins_see_the_key(self):
        cashier = new_test_user(self.env, 'ow_cashier', groups='base.group_user,point_of_sale.group_pos_user', company_id=self.company.id)
        manager = new_test_user(self.env, 'ow_manager', groups='base.group_user,point_of_sale.group_pos_manager', company_id=self.company.id)
        for user in (cashier, manager):
            with self.assertRaises(AccessError):
                self.company.with_user(user).read(['orderweb_api_key'])
        self.assertTrue(self.company.with_user(cashier).read(['orderweb_tenant']))

    def test_companies_are_isolated(self):
        other = self.env['res.company'].create({'name': 'Other Restaurant'})
        order = new_order()
        mine = self.ingest(order)
        theirs = self.log.with_company(other)._store_payloads(other, [order], 'push')
        self.assertNotEqual(mine, theirs, "one record per platform order per company")
        cashier = new_test_user(self.env, 'ow_cashier2', groups='base.group_user,point_of_sale.group_pos_user',
                                company_id=other.id, company_ids=[other.id])
        visible = self.log.with_user(cashier).search([('orderweb_id', '=', order['orderId'])])
        self.assertEqual(visible, theirs)

    def test_test_connection_says_what_happened(self):
        settings = self.env['res.config.settings'].with_company(self.company).create({})
        with SimulatorThread(tenants=('kitchen',)) as sim:
            self.company.orderweb_url = sim.base_url
            self.assertIn('3 order(s) waiting', settings.action_orderweb_test_connection()['params']['message'])
            self.company.orderweb_api_key = 'pos_' + 'f' * 60 + 'fake'
            self.assertIn('refused', settings.action_orderweb_test_connection()['params']['message'])
            self.company.write({'orderweb_api_key': sim.api_key, 'orderweb_tenant': 'nowhere'})
            self.assertIn('does not know', settings.action_orderweb_test_connection()['params']['message'])
        self.company.orderweb_url = 'http://127.0.0.1:9'
        self.assertIn('could not be reached', settings.action_orderweb_test_connection()['params']['message'])


@tagged('post_install', '-at_install')
class TestPullCron(OrderWebCommon):

    def test_cron_imports_the_samples_once(self):
        session = self.open_new_session()
        with SimulatorThread(tenants=('kitchen',)) as sim:
            self.company.orderweb_url = sim.base_url
            self.log._cron_pull()
            orders = self.env['pos.order'].search([('session_id', '=', session.id)])
            self.assertEqual(sorted(orders.mapped('orderweb_number')), ['KIT-3763', 'KIT-4227', 'KIT-7163'])
            self.assertEqual(sorted(orders.mapped('amount_total')), [20.0, 40.0, 40.0])
            self.company.orderweb_last_pull_at = False
            self.log._cron_pull()
            self.assertEqual(self.env['pos.order'].search_count([('session_id', '=', session.id)]), 3)
            self.assertEqual(self.log.search_count([('company_id', '=', self.company.id)]), 3)


@tagged('post_install', '-at_install')
class TestConcurrentIngest(TransactionCase):
    """Two real transactions on two connections meet on the same order, step by step.

    A plain TransactionCase, so its own transaction holds nothing the two
    connections could wait for; the steps are interleaved by hand to hit the
    exact windows where two workers (or push and pull) collide.
    """

    def test_parallel_transactions_make_one_order(self):
        dbname = self.env.cr.dbname
        order = {'orderId': str(uuid.uuid4()), 'orderNumber': 'KIT-RACE', 'totalAmount': 5.0,
                 'items': [{'id': 'race-item', 'name': 'Race special', 'price': 5.0, 'quantity': 1}]}
        with db_connect(dbname).cursor() as cr:
            company_id = api.Environment(cr, SUPERUSER_ID, {})['res.company'].create({
                'name': f"Race Kitchen {order['orderId']}", 'orderweb_target': 'sale', 'orderweb_sale_confirm': False}).id
        cr_a, cr_b = db_connect(dbname).cursor(), db_connect(dbname).cursor()
        try:
            env_a, env_b = (api.Environment(cr, SUPERUSER_ID, {}) for cr in (cr_a, cr_b))
            log_a, log_b = env_a['orderweb.order'], env_b['orderweb.order']
            company_a, company_b = env_a['res.company'].browse(company_id), env_b['res.company'].browse(company_id)

            # Store: B's snapshot predates A's commit, so B only learns of A's row from the unique key.
            cr_b.execute("SELECT 1")
            stored = log_a._store_payloads(company_a, [order], 'push')
            cr_a.commit()
            self.assertFalse(log_b._store_payloads(company_b, [order], 'pull'), "B leaves the order to A")
            cr_b.rollback()

            # Map: while A holds the row, B skips it; once A committed, B finds it done.
            cr_a.execute("SELECT id FROM orderweb_order WHERE id = %s FOR NO KEY UPDATE", [stored.id])
            log_b.browse(stored.id)._process()
            cr_b.commit()
            stored._process()
            cr_a.commit()
            log_b.browse(stored.id)._process()
            cr_b.commit()

            cr_a.execute("SELECT count(*), min(state) FROM orderweb_order WHERE company_id = %s", [company_id])
            self.assertEqual(cr_a.fetchone(), (1, 'done'))
            cr_a.execute("SELECT count(*) FROM sale_order WHERE company_id = %s", [company_id])
            self.assertEqual(cr_a.fetchone()[0], 1)
        finally:
            cr_a.rollback()
            cr_b.rollback()
            cr_a.execute("DELETE FROM sale_order WHERE company_id = %s", [company_id])
            cr_a.execute("DELETE FROM orderweb_order WHERE company_id = %s", [company_id])
            cr_a.commit()
            cr_a.close()
            cr_b.close()
