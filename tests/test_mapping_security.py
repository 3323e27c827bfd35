import threading
import time
import uuid
from random import randint

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError, ValidationError
from odoo.modules.neutralize import neutralize_database
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user, tagged

from ..orderweb.order import parse_order
from ..orderweb.simulator import SimulatorThread
from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestOnlineOrderLink(OrderWebCommon):
    """Only the import sets or changes the link of a POS or sales order to its online order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = new_test_user(
            cls.env, 'ow_link_cashier', groups='base.group_user,point_of_sale.group_pos_user',
            company_id=cls.company.id, company_ids=[cls.company.id])

    def test_pos_users_cannot_point_an_order_at_an_online_order(self):
        pending = self.ingest(new_order())
        self.assertEqual(pending.state, 'waiting')
        self.pos_session = self.open_new_session()
        # Another company's cashier, in a shop and session of their own.
        other_data = self.setup_other_company(name="Other Restaurant")
        other = other_data['company']
        other_cashier = new_test_user(
            self.env, 'ow_link_other_cashier', groups='base.group_user,point_of_sale.group_pos_user',
            company_id=other.id, company_ids=[other.id])
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
        log = self.ingest(new_order())
        online = log.pos_order_id.with_user(self.cashier)
        online.write({'orderweb_order_id': False, 'orderweb_number': 'FAKE', 'orderweb_status': 'done'})
        self.assertEqual((online.orderweb_order_id, online.orderweb_number, online.orderweb_status),
                         (log, log.name, 'new'))
        # The cashier still moves the order along from the POS screen.
        online.orderweb_accept(self.config.id)
        self.assertEqual(online.orderweb_status, 'accepted')
        online.action_pos_order_cancel()
        with self.assertRaises(UserError):
            online.unlink()
        self.assertTrue(online.exists())

    def test_only_the_import_links_a_sales_order(self):
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False})
        pending = self.log.create({
            'name': 'KIT-CLAIM', 'orderweb_id': str(uuid.uuid4()), 'company_id': self.company.id,
            'payload': '{}', 'channel': 'push'})
        salesman = new_test_user(self.env, 'ow_link_salesman', groups='base.group_user,sales_team.group_sale_salesman',
                                 company_id=self.company.id)
        sale = self.env['sale.order'].with_user(salesman).create({
            'partner_id': salesman.partner_id.id, 'orderweb_order_id': pending.id})
        self.assertFalse(sale.orderweb_order_id)


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
class TestCustomerMatching(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.open_new_session()
        self.company.country_id = self.env.ref('base.uk')

    def customer_of(self, **values):
        return self.ingest(new_order(**values)).pos_order_id.partner_id

    def test_a_name_alone_never_takes_a_contact_with_phone_or_email(self):
        priya = self.env['res.partner'].create({
            'name': 'Priya Patel', 'phone': '+44 20 7946 0000', 'email': 'priya@example.com'})
        stranger = self.customer_of(customerName='PRIYA PATEL', customerPhone=None)
        self.assertNotEqual(stranger, priya)
        self.assertEqual(self.customer_of(customerName='priya patel', customerPhone=None), stranger,
                         "a contact known by its name only is found by that name")
        self.assertNotEqual(self.customer_of(customerName='Priya Patel', customerPhone='+447700900111'), priya)

    def test_one_number_written_nationally_or_internationally_is_one_customer(self):
        # 07700 900xxx is reserved for drama: phonenumbers does not call it valid.
        known = self.env['res.partner'].create({'name': 'P. Patel', 'phone': '+44 7700 900777'})
        self.assertEqual(self.customer_of(customerPhone='07700 900777'), known)
        first = self.customer_of(customerName='Dev Mistry', customerPhone='+447700900123')
        self.assertEqual(self.customer_of(customerName='Dev Mistry', customerPhone='07700900123'), first)
        self.assertEqual(self.customer_of(customerName='D. Mistry', customerPhone='0044 7700 900 123'), first)
        self.assertEqual(first.phone, '+447700900123')

    def test_then_the_email(self):
        known = self.env['res.partner'].create({'name': 'Sam Lee', 'email': 'Sam.Lee@Example.com'})
        self.assertEqual(self.customer_of(customerName='Samuel', customerPhone='+447700900555',
                                       customerEmail='sam.lee@example.COM'), known)
        self.assertNotEqual(self.customer_of(customerName='Sam Lee', customerPhone=None,
                                          customerEmail='other@example.com'), known)


@tagged('post_install', '-at_install')
class TestConcurrentCustomer(TransactionCase):
    """Two real transactions import orders of one new customer at the same moment."""

    def test_two_imports_of_a_new_customer_make_one_contact(self):
        dbname = self.env.cr.dbname
        name = f"Race Customer {uuid.uuid4()}"
        order = parse_order(new_order(customerName=name, customerPhone='+1 555 %03d %04d' % (randint(0, 999), randint(0, 9999))))
        with db_connect(dbname).cursor() as cr:
            log_id = api.Environment(cr, SUPERUSER_ID, {})['orderweb.order'].create({
                'name': 'KIT-RACE', 'orderweb_id': str(uuid.uuid4()), 'company_id': self.env.company.id,
                'payload': '{}', 'channel': 'push'}).id
        cr_a, cr_b = db_connect(dbname).cursor(), db_connect(dbname).cursor()
        try:
            log_a, log_b = (api.Environment(cr, SUPERUSER_ID, {})['orderweb.order'].browse(log_id) for cr in (cr_a, cr_b))
            cr_b.execute("SELECT 1")  # B's snapshot: from before A's contact
            partner_a = log_a._find_partner(order)
            # A commits a moment later, from another thread; B meanwhile looks for the same customer.
            # (B runs in this thread: the test runner holds the registry lock a new cursor needs.)
            a_committed = threading.Event()

            def commit_a():
                time.sleep(1)
                a_committed.set()
                cr_a.commit()
            thread_a = threading.Thread(target=commit_a)
            thread_a.start()
            try:
                with self.assertRaises(psycopg2.errors.SerializationFailure,
                                       msg="B cannot see A's contact: its order is left for the next run"):
                    log_b._find_partner(order)
            finally:
                thread_a.join()
            self.assertTrue(a_committed.is_set(), "B waited while A imported the same customer")
            cr_b.rollback()
            self.assertEqual(log_b._find_partner(order).id, partner_a.id, "the next run finds A's contact")
            cr_b.execute("SELECT count(*) FROM res_partner WHERE name = %s", [name])
            self.assertEqual(cr_b.fetchone()[0], 1)
        finally:
            cr_a.rollback()
            cr_b.rollback()
            cr_a.execute("DELETE FROM res_partner WHERE name = %s", [name])
            cr_a.execute("DELETE FROM orderweb_order WHERE id = %s", [log_id])
            cr_a.commit()
            cr_a.close()
            cr_b.close()


@tagged('post_install', '-at_install')
class TestSpecialInstructions(OrderWebCommon):

    def test_instructions_are_text_after_the_default_terms(self):
        self.env['ir.config_parameter'].set_param('account.use_invoice_terms', True)
        self.company.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False,
                            'terms_type': 'plain', 'invoice_terms': 'Payment within 30 days'})
        instructions = ("<NO PEANUTS - severe allergy>\nRing twice "
                        "<img src=\"https://t.example/p.gif\"> <a href=\"https://evil.example\">menu</a>")
        note = str(self.ingest(new_order(specialInstructions=instructions)).sale_order_id.note)
        self.assertIn('Payment within 30 days', note)
        self.assertIn('&lt;NO PEANUTS - severe allergy&gt;', note)
        self.assertIn('<br>Ring twice', note.replace('<br/>', '<br>'))
        self.assertNotIn('<img', note)
        self.assertNotIn('<a ', note)
        self.assertLess(note.index('Payment within 30 days'), note.index('NO PEANUTS'))
        plain = self.ingest(new_order()).sale_order_id.note
        self.assertIn('Payment within 30 days', str(plain), "no instructions keeps the default terms")

    def test_pos_keeps_instructions_as_plain_text(self):
        self.open_new_session()
        instructions = "<NO PEANUTS>\n<b>now</b>"
        self.assertEqual(self.ingest(new_order(specialInstructions=instructions)).pos_order_id.general_note,
                         instructions)


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
            self.log._cron_pull()
        self.assertFalse(self.log.search([('company_id', '=', self.company.id)]))
