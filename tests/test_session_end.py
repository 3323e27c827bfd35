"""Closing time: a session's end loses no online order. What is paid online or for another day
goes on to the next session of the shop; only an unpaid order for today holds the closing."""
from datetime import datetime

from odoo.tests import freeze_time, tagged

from .common import OrderWebCommon, new_order

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
        ready.orderweb_ready(self.config.id)
        later = self.receive_order(scheduledFor=TOMORROW)
        unpaid_later = self.receive_order(prepaid=False, scheduledFor=TOMORROW)
        handed_over = self.receive_order()
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
