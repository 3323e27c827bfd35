import threading
from contextlib import closing
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, new_test_user, tagged

from ..orderweb.simulator import SimulatorThread
from .common import OrderWebCommon, orderweb_settings


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


# A bound for a hang, far above what a run takes: only a call that never returns meets it.
RETURN_DEADLINE = 60


@tagged('post_install', '-at_install')
class TestRunManuallyReturns(TransactionCase):
    """"Run manually" and "Pull now" as a request runs them: on connections of their own, whose
    commits are real. 19.0 runs a job run manually in a transaction of its own, next to the
    request's (which holds the job's lock), and waits for it; 18.0 in the request's.

    A plain TransactionCase: its own transaction holds nothing the connections could wait
    for. What they commit is removed again.
    """

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        # The test runner holds the registry's lock while tests run: a request's thread opening
        # the registry (as 19.0's job run does) would wait for the test. Lifted as Odoo's own
        # HttpCase lifts it.
        self.enterContext(patch.object(Registry, '_lock', DummyRLock()))
        self.sim = self.enterContext(SimulatorThread(tenants=('kitchen',), empty=True))
        self.setup_env = self.committed_env()
        company = self.company = self.setup_env.company
        config = self.setup_env['pos.config'].search([('company_id', '=', company.id)]).filtered(
            lambda config: not config.current_session_id)[:1]
        self.setup_env.cr.execute("SELECT coalesce(max(id), 0) FROM orderweb_order")
        last_id = self.setup_env.cr.fetchone()[0]
        kept = company.read(['orderweb_enabled', 'orderweb_url', 'orderweb_tenant', 'orderweb_api_key',
                             'orderweb_target', 'orderweb_pos_config_id', 'orderweb_last_pull_at'])[0]
        crons = self.setup_env['ir.cron'].browse([self.pull_cron().id, self.fire_cron().id])
        kept_crons = crons.read(['nextcall', 'lastcall', 'failure_count', 'first_failure_date'])
        # Pulled a moment ago: only a run by hand pulls now. No session of the shop is open:
        # the orders pulled wait for one.
        company.write({**orderweb_settings(config, self.sim.base_url), 'orderweb_last_pull_at': fields.Datetime.now()})
        self.setup_env.cr.commit()

        def restore():
            env = self.setup_env
            env.cr.rollback()
            env.invalidate_all()
            env['orderweb.order'].search([('id', '>', last_id)]).unlink()
            env['orderweb.connection'].search([('company_id', '=', company.id)]).unlink()
            company.write({key: value for key, value in kept.items() if key != 'id'})
            for values in kept_crons:
                env.cr.execute(
                    "UPDATE ir_cron SET nextcall = %s, lastcall = %s, failure_count = %s, first_failure_date = %s "
                    "WHERE id = %s", [values['nextcall'], values['lastcall'] or None, values['failure_count'],
                                      values['first_failure_date'] or None, values['id']])
            env.cr.commit()
            env.cr.close()
        self.addCleanup(restore)

    def committed_env(self):
        """A superuser environment on a connection of its own, whose commits are real."""
        cr = db_connect(self.dbname).cursor()
        self.addCleanup(lambda: cr.closed or cr.close())
        return api.Environment(cr, SUPERUSER_ID, {})

    def pull_cron(self):
        return self.env.ref('pos_orderweb.ir_cron_orderweb_pull')

    def fire_cron(self):
        return self.env.ref('pos_orderweb.ir_cron_orderweb_fire')

    def as_request(self, call):
        """``call(env)`` as a request runs it: in a thread, on a connection of its own, committed
        on return. Fails the test if it did not return by RETURN_DEADLINE.

        :return: what it returned
        """
        env = self.committed_env()
        pid = env.cr._cnx.get_backend_pid()
        outcome = {}

        def run():
            try:
                outcome['result'] = call(env)
                env.cr.commit()
            except Exception as error:  # raised in the test's thread
                env.cr.rollback()
                outcome['error'] = error

        thread = threading.Thread(target=run, name='orderweb-test-request', daemon=True)
        thread.start()
        thread.join(RETURN_DEADLINE)
        if thread.is_alive():
            # Free it for the clean-up: the request's query, and whatever waits on its transaction, fail.
            with closing(db_connect(self.dbname).cursor()) as cr:
                cr.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                           "WHERE pid = %s OR %s = ANY(pg_blocking_pids(pid))", [pid, pid])
            thread.join(RETURN_DEADLINE)
            self.fail("the call did not return within %s s" % RETURN_DEADLINE)
        if 'error' in outcome:
            raise outcome['error']
        return outcome['result']

    def committed_orders(self, orders):
        """The online orders of these OrderWeb orders as committed, by state."""
        with closing(db_connect(self.dbname).cursor()) as cr:
            cr.execute("SELECT state, count(*) FROM orderweb_order WHERE company_id = %s AND orderweb_id = ANY(%s) "
                       "GROUP BY state", [self.company.id, [order['orderId'] for order in orders]])
            return dict(cr.fetchall())

    def queue_orders(self, count=2):
        return [self.sim.push_order('kitchen', push=False) for _ in range(count)]

    def test_run_manually_pulls_now_and_returns(self):
        orders = self.queue_orders()
        self.as_request(lambda env: env['ir.cron'].browse(self.pull_cron().id).method_direct_trigger())
        self.assertEqual(self.committed_orders(orders), {'waiting': 2})

    def test_run_manually_returns_when_the_pull_was_due(self):
        # As reported: the pull was due anyway.
        self.company.orderweb_last_pull_at = False
        self.setup_env.cr.commit()
        orders = self.queue_orders()
        self.as_request(lambda env: env['ir.cron'].browse(self.pull_cron().id).method_direct_trigger())
        self.assertEqual(self.committed_orders(orders), {'waiting': 2})

    def test_run_manually_while_another_server_runs_the_job(self):
        # Another server's cron holds the job (its row lock) and is in the middle of a pull.
        other = self.committed_env()
        other.cr.execute("SELECT id FROM ir_cron WHERE id = ANY(%s) FOR NO KEY UPDATE",
                         [[self.pull_cron().id, self.fire_cron().id]])
        self.company.orderweb_last_pull_at = False
        self.setup_env.cr.commit()
        other['orderweb.connection']._cron_pull()
        orders = self.queue_orders()
        for cron in (self.pull_cron(), self.fire_cron()):
            self.as_request(lambda env, cron=cron: env['ir.cron'].browse(cron.id).method_direct_trigger())
        self.assertEqual(self.committed_orders(orders), {'waiting': 2})
        other.cr.rollback()

    def test_run_manually_fires_and_returns(self):
        self.as_request(lambda env: env['ir.cron'].browse(self.fire_cron().id).method_direct_trigger())
        with closing(db_connect(self.dbname).cursor()) as cr:
            cr.execute("SELECT lastcall FROM ir_cron WHERE id = %s", [self.fire_cron().id])
            self.assertTrue(cr.fetchone()[0], "the run is committed")

    def test_pull_now_while_another_server_pulls(self):
        other = self.committed_env()
        self.company.orderweb_last_pull_at = False
        self.setup_env.cr.commit()
        other['orderweb.connection']._cron_pull()
        orders = self.queue_orders()
        message = self.as_request(
            lambda env: env['orderweb.connection']._orderweb_pull_now(env.company)['params']['message'])
        self.assertIn('2 order(s) pulled', message)
        self.assertEqual(self.committed_orders(orders), {'waiting': 2})
        other.cr.rollback()

    def test_pull_now_after_a_setting_changed_in_the_same_request(self):
        # The settings form saves what the manager changed before its Pull now runs.
        def pull_now(env):
            env.company.orderweb_pull_interval = 7
            return env['orderweb.connection']._orderweb_pull_now(env.company)['params']['message']
        orders = self.queue_orders()
        self.assertIn('2 order(s) pulled', self.as_request(pull_now))
        self.assertEqual(self.committed_orders(orders), {'waiting': 2})
