import uuid

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import tagged

from ..orderweb.simulator import SimulatorThread
from .common import POS_MANAGER, OrderWebCommon, company_user, new_order


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
        cashier = company_user(self.env, 'ow_cashier', self.company)
        manager = company_user(self.env, 'ow_manager', self.company, POS_MANAGER)
        for user in (cashier, manager):
            with self.assertRaises(AccessError):
                self.company.with_user(user).read(['orderweb_api_key'])
        self.assertTrue(self.company.with_user(cashier).read(['orderweb_tenant']))

    def test_companies_are_isolated(self):
        other = self.env['res.company'].create({'name': 'Other Restaurant'})
        raw_order = new_order()
        mine = self.receive(raw_order)
        theirs = self.OnlineOrder.with_company(other)._store(other, [raw_order], 'push')
        self.assertNotEqual(mine, theirs, "one record per platform order per company")
        cashier = company_user(self.env, 'ow_cashier2', other)
        visible = self.OnlineOrder.with_user(cashier).search([('orderweb_id', '=', raw_order['orderId'])])
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
class TestSafetySettingsAndOnlineOrdersAreGuarded(OrderWebCommon):
    """What flags an order, and what an order holds, are out of a cashier's (or anyone's) reach."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = company_user(cls.env, 'ow_guard_cashier', cls.company)
        cls.manager = company_user(cls.env, 'ow_guard_manager', cls.company, POS_MANAGER)

    def test_only_managers_change_what_flags_an_order(self):
        changes = {
            'orderweb_allergy_words': "", 'orderweb_price_tolerance': 1000.0, 'orderweb_auto_accept': True,
            'orderweb_preparation_minutes': 0, 'orderweb_unavailable_product_ids': [(6, 0, [])],
        }
        for name, value in changes.items():
            with self.subTest(setting=name), self.assertRaises(AccessError):
                self.config.with_user(self.cashier).write({name: value})
        self.assertTrue(self.config.orderweb_allergy_words)
        self.assertFalse(self.config.orderweb_auto_accept)
        # The rest of the shop stays the cashier's, as Odoo has it.
        self.config.with_user(self.cashier).write({'orderweb_sound': False})
        self.config.with_user(self.manager).write(changes)
        self.assertTrue(self.config.orderweb_auto_accept)

    def test_what_orderweb_sent_is_kept_as_stored(self):
        self.open_new_session()
        online_order = self.receive(new_order(specialInstructions="nut allergy", totalAmount=12.99))
        payload = online_order.payload
        for values in ({'payload': '{}'}, {'amount_total': 0.01}, {'flags': False}, {'name': 'KIT-FAKE'},
                       {'created_at': '2020-01-01 00:00:00'}, {'state': 'error'}, {'pos_order_id': False}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                online_order.with_user(self.manager).write(values)
        self.assertEqual((online_order.payload, online_order.amount_total), (payload, 12.99))
        self.assertTrue(online_order.flags)
        # The manager still talks in its chatter.
        online_order.with_user(self.manager).message_post(body="Called the customer back")


@tagged('post_install', '-at_install')
class TestOneTenantOneCompany(OrderWebCommon):

    def test_one_tenant_one_company_however_the_server_is_spelled(self):
        other = self.env['res.company'].create({'name': 'Other Restaurant'})
        enable = {'orderweb_enabled': True, 'orderweb_target': 'sale', 'orderweb_api_key': 'pos_fake',
                  'orderweb_tenant': self.company.orderweb_tenant}
        self.company.orderweb_url = 'http://127.0.0.1:8069'
        for url in ('ws://127.0.0.1:8069', 'HTTP://LOCALHOST:8069/', 'ws://[::1]:8069', 'http://localhost:8069'):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                other.write({**enable, 'orderweb_url': url})
        self.company.orderweb_url = 'https://orderweb.net'
        for url in ('wss://OrderWeb.net:443', 'https://orderweb.net:443/', 'wss://orderweb.net./'):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                other.write({**enable, 'orderweb_url': url})
        with self.assertRaises(ValidationError):
            other.write({**enable, 'orderweb_url': 'https://orderweb.net', 'orderweb_tenant': ' KITCHEN'})
        # Another server, or another tenant, is another feed.
        other.write({**enable, 'orderweb_url': 'https://orderweb.net:8443'})
        other.write({**enable, 'orderweb_url': 'https://orderweb.net', 'orderweb_tenant': 'bistro'})


@tagged('post_install', '-at_install')
class TestOnlineOrderLink(OrderWebCommon):
    """Only the import sets or changes the link of a POS or sales order to its online order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = company_user(cls.env, 'ow_link_cashier', cls.company)

    def test_pos_users_cannot_point_an_order_at_an_online_order(self):
        pending = self.receive(new_order())
        self.assertEqual(pending.state, 'waiting')
        self.pos_session = self.open_new_session()
        # Another company's cashier, in a shop and session of their own.
        other_data = self.setup_other_company(name="Other Restaurant")
        other = other_data['company']
        other_cashier = company_user(self.env, 'ow_link_other_cashier', other)
        other_config = self.env['pos.config'].with_company(other).create({
            'name': "Other Shop",
            'journal_id': other_data['default_journal_sale'].id,
            'invoice_journal_id': other_data['default_journal_sale'].id,
            'payment_method_ids': [(0, 0, {
                'name': "Other Cash", 'company_id': other.id, 'is_cash_count': True,
                'journal_id': other_data['default_journal_cash'].id,
                'receivable_account_id': other_data['default_account_receivable'].id,
            })],
        })
        other_config.with_user(other_cashier).open_ui()
        claim = {'orderweb_order_id': pending.id, 'orderweb_number': pending.name, 'orderweb_status': 'new'}

        ui_order = {**self.create_ui_order_data([(self.burger, 1)], payments=[]), 'state': 'draft', **claim}
        synced = self.env['pos.order'].with_user(self.cashier).sync_from_ui([ui_order])
        mine = self.env['pos.order'].browse(synced['pos.order'][0]['id'])
        theirs = self.env['pos.order'].with_user(other_cashier).with_context(
            default_orderweb_order_id=pending.id).create({
                'session_id': other_config.current_session_id.id, 'company_id': other.id,
                'amount_tax': 0, 'amount_total': 0, 'amount_paid': 0, 'amount_return': 0, **claim})
        self.assertFalse((mine | theirs).orderweb_order_id)
        self.assertFalse(any((mine | theirs).mapped('orderweb_number')))

        pending.action_retry()
        self.assertEqual(pending.state, 'done', pending.error)
        self.assertNotIn(pending.pos_order_id, mine | theirs)
        self.assertEqual(pending.pos_order_id.orderweb_order_id, pending)

    def test_pos_users_cannot_detach_nor_delete_an_online_order(self):
        self.open_new_session()
        online_order = self.receive(new_order())
        online = online_order.pos_order_id.with_user(self.cashier)
        online.write({'orderweb_order_id': False, 'orderweb_number': 'FAKE', 'orderweb_status': 'done'})
        self.assertEqual((online.orderweb_order_id, online.orderweb_number, online.orderweb_status),
                         (online_order, online_order.name, 'new'))
        # The cashier still moves the order along from the POS screen.
        online.orderweb_accept(self.config.id)
        self.assertEqual(online.orderweb_status, 'accepted')
        online.action_pos_order_cancel()
        with self.assertRaises(UserError):
            online.unlink()
        self.assertTrue(online.exists())

    def test_only_the_import_links_a_sales_order(self):
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False})
        pending = self.OnlineOrder.create({
            'name': 'KIT-CLAIM', 'orderweb_id': str(uuid.uuid4()), 'company_id': self.company.id,
            'payload': '{}', 'channel': 'push'})
        salesman = company_user(self.env, 'ow_link_salesman', self.company,
                                'base.group_user,sales_team.group_sale_salesman')
        sale = self.env['sale.order'].with_user(salesman).create({
            'partner_id': salesman.partner_id.id, 'orderweb_order_id': pending.id})
        self.assertFalse(sale.orderweb_order_id)


@tagged('post_install', '-at_install')
class TestNeutralize(OrderWebCommon):

    def test_a_neutralized_copy_takes_no_orders(self):
        self.open_new_session()
        with SimulatorThread(tenants=('kitchen',)) as sim:
            self.company.orderweb_url = sim.base_url
            self.env.flush_all()
            neutralize_database(self.env.cr)
            self.env.invalidate_all()
            self.assertFalse(self.env['res.company'].search([('orderweb_enabled', '=', True)]))
            self.env['orderweb.connection']._cron_pull()
        self.assertFalse(self.OnlineOrder.search([('company_id', '=', self.company.id)]))
