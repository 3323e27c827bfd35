from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..orderweb.simulator import SimulatorThread
from .common import OrderWebCommon


@tagged('post_install', '-at_install')
class TestPullActions(OrderWebCommon):
    """What an admin or a manager starts by hand pulls now, whatever the pull interval."""

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()
        # Pulled a moment ago: the scheduled pull would not pull again for 5 minutes.
        self.company.write({'orderweb_pull_interval': 5, 'orderweb_last_pull_at': fields.Datetime.now()})

    def session_orders(self):
        return self.env['pos.order'].search([('session_id', '=', self.session.id), ('orderweb_order_id', '!=', False)])

    def test_run_manually_pulls_every_company_now(self):
        cron = self.env.ref('pos_orderweb.ir_cron_orderweb_pull')
        with SimulatorThread(tenants=('kitchen',)) as sim:
            self.company.orderweb_url = sim.base_url
            self.env.flush_all()
            cron.ir_actions_server_id.run()  # what the scheduler runs: not due yet
            self.assertFalse(self.session_orders())
            cron.method_direct_trigger()
        self.assertEqual(len(self.session_orders()), 3)

    def test_pull_now_imports_as_manager_and_is_refused_to_cashiers(self):
        manager = new_test_user(self.env, 'ow_pull_manager', groups='point_of_sale.group_pos_manager',
                                company_id=self.company.id, company_ids=self.company.ids)
        cashier = new_test_user(self.env, 'ow_pull_cashier', groups='point_of_sale.group_pos_user',
                                company_id=self.company.id, company_ids=self.company.ids)
        Connection = self.env['orderweb.connection']
        status = Connection.create({'company_id': self.company.id})
        with SimulatorThread(tenants=('kitchen',)) as sim:
            self.company.orderweb_url = sim.base_url
            self.env.flush_all()
            with self.assertRaises(AccessError):
                status.with_user(cashier).action_pull_now()
            message = status.with_user(manager).action_pull_now()['params']['message']
            self.assertIn('3 order(s) pulled', message)
            self.assertIn('3 Imported', message)
            self.assertEqual(len(self.session_orders()), 3)
            # Pulling again finds the same orders and makes nothing new.
            status.with_user(manager).action_pull_now()
        self.assertEqual(len(self.session_orders()), 3)

    def test_pull_now_says_why_it_failed(self):
        settings = self.env['res.config.settings'].with_company(self.company).create({})
        with self.assertRaisesRegex(Exception, 'could not be reached|failed'):
            settings.action_orderweb_pull_now()


@tagged('post_install', '-at_install')
class TestPullCron(OrderWebCommon):

    def test_cron_imports_the_samples_once(self):
        session = self.open_new_session()
        with SimulatorThread(tenants=('kitchen',)) as sim:
            self.company.orderweb_url = sim.base_url
            self.env['orderweb.connection']._cron_pull()
            pos_orders = self.env['pos.order'].search([('session_id', '=', session.id)])
            self.assertEqual(sorted(pos_orders.mapped('orderweb_number')), ['KIT-3763', 'KIT-4227', 'KIT-7163'])
            self.assertEqual(sorted(pos_orders.mapped('amount_total')), [20.0, 40.0, 40.0])
            self.company.orderweb_last_pull_at = False
            self.env['orderweb.connection']._cron_pull()
            self.assertEqual(self.env['pos.order'].search_count([('session_id', '=', session.id)]), 3)
            self.assertEqual(self.OnlineOrder.search_count([('company_id', '=', self.company.id)]), 3)
