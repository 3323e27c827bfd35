"""A cashier, over the same JSON-RPC as the POS screen, tries to take an online order's place."""
import uuid

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestCashierCannotHideAnOnlineOrder(OrderWebCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Another shop of the company, whose cashier knows the online order's number and id.
        cls.counter = cls.env['pos.config'].create({
            'name': "Takeaway Counter", 'payment_method_ids': [(6, 0, cls.bank_pm1.ids)]})
        cls.cashier = new_test_user(
            cls.env, 'ow_counter_cashier', groups='base.group_user,point_of_sale.group_pos_user',
            company_id=cls.company.id, company_ids=[cls.company.id])
        cls.counter.with_user(cls.cashier).open_ui()

    def sync_over_rpc(self, order_uuid):
        """The cashier saves, as the POS screen does, a £0.01 order of their shop under ``order_uuid``."""
        self.authenticate(self.cashier.login, self.cashier.login)
        ui_order = {
            'uuid': order_uuid, 'name': "Order 99999-001-0001", 'session_id': self.counter.current_session_id.id,
            'sequence_number': 1, 'user_id': self.cashier.id, 'state': 'draft', 'partner_id': False,
            'pricelist_id': self.counter.pricelist_id.id, 'fiscal_position_id': False,
            'amount_paid': 0, 'amount_return': 0, 'amount_tax': 0, 'amount_total': 0.01,
            'lines': [(0, 0, {'product_id': self.burger.id, 'qty': 1, 'price_unit': 0.01, 'price_subtotal': 0.01,
                              'price_subtotal_incl': 0.01, 'tax_ids': [], 'uuid': str(uuid.uuid4())})],
            'payment_ids': [],
        }
        result = self.make_jsonrpc_request('/web/dataset/call_kw/pos.order/sync_from_ui', {
            'model': 'pos.order', 'method': 'sync_from_ui', 'args': [[ui_order]],
            'kwargs': {'context': {'lang': 'en_US'}},
        })
        return self.env['pos.order'].browse(result['pos.order'][0]['id'])

    def test_the_pos_order_uuid_cannot_be_predicted(self):
        # All a cashier knows of an online order (its company, number, OrderWeb id) does not
        # give its POS order's uuid: the database's secret does, which they cannot read.
        self.open_new_session()
        online = self.receive(new_order())
        self.assertEqual(online.state, 'done', online.error)
        PosOrder = self.env['pos.order']
        made = online.pos_order_id.uuid
        uuid_of = lambda online: PosOrder._orderweb_uuid(online.company_id, online.orderweb_id)  # noqa: E731
        self.assertEqual(uuid_of(online), made, "a re-import finds what the import made")
        self.authenticate(self.cashier.login, self.cashier.login)
        with self.assertRaisesRegex(Exception, 'AccessError|not allowed'), mute_logger('odoo.http'):
            self.make_jsonrpc_request('/web/dataset/call_kw/ir.config_parameter/get_param', {
                'model': 'ir.config_parameter', 'method': 'get_param', 'args': ['database.secret'], 'kwargs': {}})
        self.env['ir.config_parameter'].set_param('database.secret', str(uuid.uuid4()))
        self.assertNotEqual(uuid_of(online), made, "another secret, another uuid")

    def test_an_order_the_import_did_not_make_is_never_taken_for_it(self):
        # Even with the uuid leaked, the import takes as already made only an order it marked itself.
        online = self.receive(new_order(orderNumber='KIT-7001'))
        decoy = self.sync_over_rpc(self.env['pos.order']._orderweb_uuid(online.company_id, online.orderweb_id))

        self.open_new_session()
        online.action_retry()
        self.assertEqual(online.state, 'error')
        self.assertIn("the import did not make it", online.error)
        self.assertIn(decoy.name, online.error)
        self.assertFalse(online.pos_order_id)
        self.assertFalse(decoy.orderweb_order_id)
        # Health is not green while it waits on a person.
        health = self.env['orderweb.connection']._orderweb_health()
        mine = next(company for company in health if company['company_id'] == self.company.id)
        self.assertEqual((mine['orders_in_error'], mine['healthy']), (1, False))
