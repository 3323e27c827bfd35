"""What a pull answer holds, or how it fails, never stops the other companies nor the retries."""
from odoo import fields
from odoo.tests import tagged

from ..orderweb.simulator import SimulatorThread
from .common import OrderWebCommon, new_order, orderweb_settings


@tagged('post_install', '-at_install')
class TestPullFaults(OrderWebCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bistro = cls.env['res.company'].create({'name': 'Bistro', 'currency_id': cls.company.currency_id.id})
        cls.bistro.write({**orderweb_settings(cls.env['pos.config']), 'orderweb_target': 'sale',
                          'orderweb_tenant': 'bistro'})

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()
        for company in self.company | self.bistro:
            self.env['orderweb.connection']._orderweb_report(company, {
                'state': 'connected', 'since': fields.Datetime.now(), 'heartbeat': fields.Datetime.now(),
                'holder': 'test:1'})

    def cron(self, sim):
        (self.company | self.bistro).write({'orderweb_url': sim.base_url, 'orderweb_last_pull_at': False})
        self.env.flush_all()
        self.env['orderweb.connection']._cron_pull()
        self.env.invalidate_all()

    def health(self, company):
        return next(entry for entry in self.env['orderweb.connection']._orderweb_health()
                    if entry['company_id'] == company.id)

    def test_a_deep_order_in_an_answer_stops_nobody(self):
        # An order in error whose cause was fixed since: the import cron's retries still run.
        self.company.orderweb_item_product_id = False
        fallback = self.env.ref('pos_orderweb.product_orderweb_item')
        fallback.active = False
        left = self.receive(new_order(items=[{'id': 'z', 'name': 'Mystery dish', 'price': 12.99, 'quantity': 1}]))
        self.assertEqual(left.state, 'error')
        fallback.active = True
        with SimulatorThread(tenants=('kitchen', 'bistro'), empty=True) as sim:
            good = sim.push_order('kitchen', {'orderNumber': 'KIT-0101'})
            bistro_order = sim.push_order('bistro', {'orderNumber': 'BIS-0001'})
            sim.set_faults('kitchen', pull_deep=5000)
            # The kitchen's companies come first in the cron: the bistro's pull must still happen.
            self.cron(sim)
        kitchen = self.OnlineOrder.search([('company_id', '=', self.company.id)])
        stored = {online_order.name: online_order for online_order in kitchen}
        self.assertEqual(stored['KIT-0101'].state, 'done', "the good order of the answer is imported")
        self.assertEqual(stored['KIT-0101'].orderweb_id, good['orderId'])
        deep = kitchen.filtered(lambda online_order: 'nested too deeply' in (online_order.error or ''))
        self.assertEqual(len(deep), 1, "the deep one is kept apart, in error, with the reason")
        self.assertEqual(deep.state, 'error')
        self.assertIn('deep-5000', deep.payload)
        bistro = self.OnlineOrder.search([('company_id', '=', self.bistro.id)])
        self.assertEqual(bistro.mapped('orderweb_id'), [bistro_order['orderId']], "the next company was pulled")
        self.env['orderweb.order']._cron_orderweb_import()
        self.assertEqual(left.state, 'done', "the retries ran")

    def test_health_is_degraded_while_pulls_keep_failing(self):
        with SimulatorThread(tenants=('kitchen', 'bistro'), empty=True) as sim:
            sim.set_faults('kitchen', pull_garbage=True)
            for attempt in range(3):
                self.assertTrue(self.health(self.company)['healthy'], attempt)
                self.cron(sim)
                self.assertEqual(self.health(self.company)['pulls_failed_in_a_row'], attempt + 1)
            health = self.health(self.company)
            self.assertFalse(health['healthy'])
            self.assertIn('not JSON', health['last_pull_error'])
            self.assertTrue(self.health(self.bistro)['healthy'], "the other company's pulls work")
            sim.set_faults('kitchen', pull_garbage=False)
            self.cron(sim)
        health = self.health(self.company)
        self.assertEqual((health['healthy'], health['pulls_failed_in_a_row'], health['last_pull_error']),
                         (True, 0, None))
