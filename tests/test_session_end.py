"""Closing time: a session's end loses no online order. What is paid online or for another day
goes on to the next session of the shop; only an unpaid order for today holds the closing."""
import threading
import time
from contextlib import closing
from datetime import datetime
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, freeze_time, tagged

from ..service import importer
from .common import OrderWebCommon, new_order, orderweb_settings

# A bound for a hang, far above what an import takes.
DEADLINE = 60

EVENING = datetime(2026, 3, 10, 18, 0)
LATER_TONIGHT = '2026-03-10T19:30:00Z'  # fired at 19:10 (the shop's 20 preparation minutes)
TOMORROW = '2026-03-11T19:00:00Z'


@tagged('post_install', '-at_install')
@freeze_time(EVENING)
class TestSessionEnd(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()
        self.fire = self.env['pos.order']._cron_orderweb_fire

    def receive_order(self, prepaid=True, **values):
        self.company.orderweb_payment_method_id = prepaid and self.bank_pm1
        online_order = self.receive(new_order(**values))
        self.env.invalidate_all()  # imported through cursors of its own, as a request finds it
        self.assertEqual(online_order.state, 'done', online_order.error)
        return online_order.pos_order_id

    def close(self, session):
        result = session.close_session_from_ui()
        self.env.invalidate_all()
        return result

    def test_orders_not_handed_over_go_to_the_next_session(self):
        new = self.receive_order()
        accepted = self.receive_order()
        accepted.orderweb_accept(self.config.id)
        ready = self.receive_order()
        ready.orderweb_accept(self.config.id)  # ready and done only after accepted (its ticket sent)
        ready.orderweb_ready(self.config.id)
        later = self.receive_order(scheduledFor=TOMORROW)
        unpaid_later = self.receive_order(prepaid=False, scheduledFor=TOMORROW)
        handed_over = self.receive_order()
        handed_over.orderweb_accept(self.config.id)
        handed_over.orderweb_done(self.config.id)
        pending = new | accepted | ready | later | unpaid_later
        self.assertEqual(pending.mapped('orderweb_status'), ['new', 'accepted', 'ready', 'scheduled', 'scheduled'])

        self.assertTrue(self.close(self.session)['successful'])
        self.assertEqual(self.session.state, 'closed')
        self.assertEqual(handed_over.state, 'done', "handed over: posted by this session")
        self.assertEqual((pending - unpaid_later).mapped('state'), ['paid'] * 4,
                         "not handed over: left to the session that hands them over")
        self.assertEqual(unpaid_later.state, 'draft')
        self.assertNotIn(new.name, self.session.move_id.line_ids.mapped('name'))

        session = self.open_new_session()
        self.assertEqual(pending.session_id, session, "its screens load them")
        self.assertEqual(handed_over.session_id, self.session)
        self.assertEqual(pending.mapped('orderweb_status'), ['new', 'accepted', 'ready', 'scheduled', 'scheduled'])

        # Handed over in that session, they are posted by its closing.
        (new | accepted | ready)._orderweb_as_import().write({'orderweb_status': 'done'})
        self.assertTrue(self.close(session)['successful'])
        self.assertEqual((new | accepted | ready).mapped('state'), ['done'] * 3)
        self.assertEqual((later | unpaid_later).mapped('state'), ['paid', 'draft'])
        self.assertEqual(self.open_new_session(), (later | unpaid_later).session_id)

    def test_unpaid_order_for_today_holds_the_closing_and_says_why(self):
        unpaid = self.receive_order(prepaid=False)
        unpaid_later = self.receive_order(prepaid=False, scheduledFor=TOMORROW)
        result = self.close(self.session)
        self.assertFalse(result['successful'])
        self.assertEqual(result['orderweb_order_ids'], unpaid.ids)
        self.assertIn(unpaid.orderweb_number, result['message'])
        self.assertNotIn(unpaid_later.orderweb_number, result['message'],
                         "never asked to take payment early or to cancel an order for another day")
        self.assertIn('next session', result['message'])
        self.assertEqual(self.session.state, 'opened')

    def test_orders_for_another_day_never_hold_the_closing(self):
        unpaid_later = self.receive_order(prepaid=False, scheduledFor=TOMORROW)
        self.assertTrue(self.close(self.session)['successful'])
        self.assertEqual(unpaid_later.state, 'draft')
        self.assertEqual(self.open_new_session(), unpaid_later.session_id)

    def test_orders_for_later_fire_only_in_an_open_session(self):
        later = self.receive_order(scheduledFor=LATER_TONIGHT)
        self.assertTrue(self.close(self.session)['successful'])
        with freeze_time('2026-03-10 19:15:00'):
            self.fire()
            self.assertEqual(later.orderweb_status, 'scheduled', "never fired into a closed session")
            session = self.open_new_session()
            self.assertEqual(later.session_id, session)
            self.fire()
        self.assertEqual(later.orderweb_status, 'new')

    def test_no_import_into_a_closed_session(self):
        self.assertTrue(self.close(self.session)['successful'])
        online_order = self.receive(new_order())
        self.assertEqual(online_order.state, 'waiting')
        self.assertFalse(self.env['pos.order'].search([('session_id', '=', self.session.id)]))


@tagged('post_install', '-at_install')
class TestImportMeetsTheClosing(TransactionCase):
    """An order imported while its session closes, on two real connections. A plain
    TransactionCase: its own transaction holds nothing they could wait for; what they commit
    is removed again."""

    def test_an_import_never_lands_in_a_session_closed_meanwhile(self):
        dbname = self.env.cr.dbname
        # The test runner holds the registry's lock while tests run; the import's thread opens
        # the registry (19.0's environments do). Lifted as Odoo's own HttpCase lifts it.
        self.enterContext(patch.object(Registry, '_lock', DummyRLock()))
        env = api.Environment(db_connect(dbname).cursor(), SUPERUSER_ID, {})
        self.addCleanup(env.cr.close)
        company = env.company
        config = env['pos.config'].search([('company_id', '=', company.id)]).filtered(
            lambda config: not config.current_session_id)[:1]
        kept = company.read(list(orderweb_settings(config)))[0]
        company.write(orderweb_settings(config))
        config.open_ui()
        session = config.current_session_id
        session.set_opening_control(0, None)
        online_order = env['orderweb.order']._store(company, [new_order()], 'push')
        env.cr.commit()

        def clean_up():
            env.cr.rollback()
            orders = "SELECT id FROM pos_order WHERE session_id = %(session)s"
            for query in (
                f"DELETE FROM pos_payment WHERE pos_order_id IN ({orders})",
                f"DELETE FROM pos_order_line WHERE order_id IN ({orders})",
                "UPDATE orderweb_order SET pos_order_id = NULL WHERE id = %(order)s",
                "DELETE FROM pos_order WHERE session_id = %(session)s",
                "DELETE FROM orderweb_order WHERE id = %(order)s",
                "DELETE FROM pos_session WHERE id = %(session)s",
            ):
                env.cr.execute(query, {'session': session.id, 'order': online_order.id})
            env.invalidate_all()
            company.write({key: value for key, value in kept.items() if key != 'id'})
            env.cr.commit()
        self.addCleanup(clean_up)

        # The cashier closes the register: the session row is written, not committed yet.
        session.action_pos_session_closing_control()
        env.flush_all()
        closing_pid = env.cr._cnx.get_backend_pid()
        # Meanwhile the order arrives, in a transaction begun before the closing commits.
        importing = threading.Thread(
            target=importer.import_pending, args=(self.env, company.ids, online_order.ids), daemon=True)
        importing.start()
        with closing(db_connect(dbname).cursor()) as cr:
            deadline = time.monotonic() + DEADLINE
            while importing.is_alive() and time.monotonic() < deadline:
                cr.execute("SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                           [closing_pid])
                if cr.fetchone()[0]:
                    break  # it waits for the closing
                time.sleep(0.05)
        env.cr.commit()
        importing.join(DEADLINE)
        self.assertFalse(importing.is_alive())
        with closing(db_connect(dbname).cursor()) as cr:
            cr.execute("SELECT count(*) FROM pos_order WHERE session_id = %s", [session.id])
            self.assertEqual(cr.fetchone()[0], 0, "nothing lands in the closed session")
            cr.execute("SELECT state FROM orderweb_order WHERE id = %s", [online_order.id])
            self.assertEqual(cr.fetchone()[0], 'waiting', "it waits for the next session")
