"""Food safety on the server: who may move an online order and learn of its customer, no path
past the red-flag acknowledgement, the kitchen ticket sent once by the screen that claimed it,
two screens claiming at once without a database error, and the online order's chatter."""
import threading
import time
import uuid
from contextlib import closing

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged

from .common import OrderWebCommon, company_user, new_order

ALLERGY = "Severe PEANUT allergy, table of Mrs Smith"


@tagged('post_install', '-at_install')
class TestWhoMovesAnOnlineOrder(OrderWebCommon):
    """A portal customer, an internal user without POS rights and another company's cashier
    call what the POS screen calls, on an order flagged for an allergy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = company_user(cls.env, 'ow_safe_cashier', cls.company)
        other = cls.env['res.company'].create({'name': "Other Restaurant"})
        cls.outsiders = {
            'portal': company_user(cls.env, 'ow_safe_portal', cls.company, 'base.group_portal'),
            'internal': company_user(cls.env, 'ow_safe_internal', cls.company, 'base.group_user'),
            'other company': company_user(cls.env, 'ow_safe_other', other),
        }

    def setUp(self):
        super().setUp()
        self.open_new_session()
        self.online_order = self.receive(new_order(orderNumber='KIT-8001', specialInstructions=ALLERGY))
        self.pos_order = self.online_order.pos_order_id
        self.assertTrue(self.pos_order.orderweb_flagged)

    def screen_calls(self, orders):
        config_id = self.config.id
        return {
            'accept': lambda: orders.orderweb_accept(config_id),
            'accept acknowledged': lambda: orders.orderweb_accept(config_id, acknowledge_flags=True),
            'ready': lambda: orders.orderweb_ready(config_id),
            'done': lambda: orders.orderweb_done(config_id),
            'kitchen claim': orders.orderweb_kitchen_claim,
            'kitchen sent': orders.orderweb_kitchen_sent,
        }

    def test_outsiders_learn_nothing(self):
        for who, user in self.outsiders.items():
            for call, method in self.screen_calls(self.pos_order.with_user(user)).items():
                with self.subTest(who=who, call=call), self.assertRaises(AccessError) as caught:
                    method()
                message = str(caught.exception)
                for secret in ('PEANUT', 'Smith', 'KIT-8001', self.pos_order.name):
                    self.assertNotIn(secret, message)
        self.assertEqual(self.pos_order.orderweb_status, 'new')
        self.assertFalse(self.pos_order.orderweb_flags_acknowledged_by)
        self.assertFalse(self.pos_order.orderweb_kitchen_claimed_at)

    def test_the_cashier_is_told_the_number_not_the_customer_words(self):
        # The error goes to the server's log too (Odoo logs each refused call): numbers only.
        with self.assertRaises(UserError) as caught:
            self.pos_order.with_user(self.cashier).orderweb_accept(self.config.id)
        self.assertIn('KIT-8001', str(caught.exception))
        self.assertNotIn('PEANUT', str(caught.exception))
        self.assertNotIn('Smith', str(caught.exception))


@tagged('post_install', '-at_install')
class TestNoPathPastTheAcknowledgement(OrderWebCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cashier = company_user(cls.env, 'ow_ack_cashier', cls.company)
        cls.colleague = company_user(cls.env, 'ow_ack_colleague', cls.company)

    def setUp(self):
        super().setUp()
        self.open_new_session()
        self.company.orderweb_payment_method_id = self.bank_pm1  # paid online: Done needs no payment

    def flagged(self):
        return self.receive(new_order(specialInstructions=ALLERGY)).pos_order_id.with_user(self.cashier)

    def test_ready_and_done_refuse_a_new_order(self):
        pos_order = self.flagged()
        self.assertEqual(pos_order.state, 'paid')
        for call in (pos_order.orderweb_ready, pos_order.orderweb_done):
            with self.subTest(call=call.__name__), self.assertRaisesRegex(UserError, 'Accept'):
                call(self.config.id)
        self.assertEqual(pos_order.orderweb_status, 'new')
        self.assertFalse(pos_order.orderweb_flags_acknowledged_by)
        # Unflagged, the same: its kitchen ticket goes out on acceptance.
        plain = self.receive(new_order()).pos_order_id.with_user(self.cashier)
        with self.assertRaises(UserError):
            plain.orderweb_ready(self.config.id)
        self.assertEqual(plain.orderweb_status, 'new')

        pos_order.orderweb_accept(self.config.id, acknowledge_flags=True)
        pos_order.orderweb_ready(self.config.id)
        pos_order.orderweb_done(self.config.id)
        self.assertEqual(pos_order.orderweb_status, 'done')
        self.assertEqual(pos_order.orderweb_flags_acknowledged_by, self.cashier)

    def test_the_ticket_is_sent_once_by_the_screen_holding_the_claim(self):
        pos_order = self.flagged()
        screen_1 = pos_order.with_context(login_number=1)
        screen_2 = pos_order.with_context(login_number=2)
        self.assertEqual(screen_1.orderweb_kitchen_claim(), [], "not accepted: nothing for the kitchen")
        self.assertEqual(screen_1.orderweb_kitchen_sent(), [])
        self.assertFalse(pos_order.orderweb_sent_at)

        pos_order.orderweb_accept(self.config.id, acknowledge_flags=True)
        self.assertEqual(screen_1.orderweb_kitchen_claim(), pos_order.ids)
        # Marked ready while the ticket prints: still the first screen's to note as sent.
        pos_order.orderweb_ready(self.config.id)
        self.assertEqual(screen_2.orderweb_kitchen_claim(), [])
        self.assertEqual(screen_2.orderweb_kitchen_sent(), [], "another screen of the same cashier")
        self.assertEqual(pos_order.with_user(self.colleague).with_context(login_number=1).orderweb_kitchen_sent(),
                         [], "another cashier's screen")
        self.assertFalse(pos_order.orderweb_sent_at)
        self.assertEqual(screen_1.orderweb_kitchen_sent(), pos_order.ids)
        self.assertTrue(pos_order.orderweb_sent_at)

    def test_an_order_marked_ready_before_its_ticket_went_out_is_still_sent(self):
        pos_order = self.receive(new_order()).pos_order_id.with_user(self.cashier)
        pos_order.orderweb_accept(self.config.id)
        pos_order.orderweb_ready(self.config.id)
        self.assertEqual(pos_order.orderweb_kitchen_claim(), pos_order.ids)
        self.assertEqual(pos_order.orderweb_kitchen_sent(), pos_order.ids)

    def test_the_online_order_says_what_happened(self):
        pos_order = self.flagged()
        online_order = pos_order.orderweb_order_id
        pos_order.orderweb_accept(self.config.id, acknowledge_flags=True)
        pos_order.orderweb_ready(self.config.id)
        pos_order.orderweb_done(self.config.id)
        messages = online_order.sudo().message_ids.sorted('id')
        bodies = [message.body for message in messages]
        for expected in ('Flagged', 'acknowledged by %s' % self.cashier.name, 'Accepted', 'ready', 'Done'):
            self.assertTrue(any(expected in body for body in bodies), (expected, bodies))
        self.assertFalse(any('PEANUT' in body for body in bodies), "no customer words")
        acknowledged = messages.filtered(lambda message: 'acknowledged' in message.body)
        self.assertEqual(acknowledged.author_id, self.cashier.partner_id)


@tagged('post_install', '-at_install')
class TestKitchenClaimContention(TransactionCase):
    """Two screens claim the same kitchen ticket in two real transactions: one gets it, and the
    database logs no error (it used to fail to serialize the second, which Odoo retried).

    A plain TransactionCase whose connections commit: the test removes what it made."""

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        self.env_a = self.committed_env()
        self.env_b = self.committed_env()
        self.addCleanup(self.env_b.cr.close)
        self.addCleanup(self.env_a.cr.close)
        env = self.env_a
        config = env['pos.config'].create({'name': f"Claim race {uuid.uuid4()}"})
        session = env['pos.session'].create({'config_id': config.id, 'user_id': SUPERUSER_ID})
        self.orders = env['pos.order'].create([{
            'session_id': session.id, 'company_id': config.company_id.id, 'amount_tax': 0, 'amount_total': 0,
            'amount_paid': 0, 'amount_return': 0,
        } for _index in range(2)])
        self.orders._orderweb_as_import().write({'orderweb_status': 'accepted'})
        env.cr.commit()
        self.addCleanup(self.remove, config, session)

    def committed_env(self):
        return api.Environment(db_connect(self.dbname).cursor(), SUPERUSER_ID, {})

    def remove(self, config, session):
        with db_connect(self.dbname).cursor() as cr:  # commits as it closes
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.orders.with_env(env).unlink()
            session.with_env(env).unlink()
            config.with_env(env).unlink()

    def claim(self, env, orders):
        return orders.with_env(env).orderweb_kitchen_claim()

    def test_the_second_screen_waits_for_nothing_and_logs_nothing(self):
        first, second = self.orders
        with self.assertNoLogs('odoo.sql_db', 'ERROR'):
            # A claims and holds the row; B, at once, leaves it to A (it claims the other one).
            self.assertEqual(self.claim(self.env_a, first), first.ids)
            result = {}
            screen_b = threading.Thread(target=lambda: result.update(b=self.claim(self.env_b, self.orders)))
            screen_b.start()
            self.wait_until_done_or_blocked(screen_b, self.env_b.cr)
            self.env_a.cr.commit()  # lets B on if it waits for A's lock
            screen_b.join()
            self.assertEqual(result.get('b'), second.ids)
            self.env_b.cr.commit()

    def test_a_claim_committed_meanwhile_is_left_without_an_error(self):
        first, second = self.orders
        with self.assertNoLogs('odoo.sql_db', 'ERROR'):
            self.env_b.cr.execute("SELECT 1")  # B's snapshot: before A's claim
            self.assertEqual(self.claim(self.env_a, first), first.ids)
            self.env_a.cr.commit()
            self.assertEqual(self.claim(self.env_b, self.orders), second.ids,
                             "the first claimed by A since B began; the second still B's to claim")
            self.env_b.cr.commit()
        self.env_a.invalidate_all()
        self.assertEqual(self.claim(self.env_a, self.orders), [], "each claimed once")
        self.env_a.cr.rollback()

    def wait_until_done_or_blocked(self, thread, cr):
        """Until ``thread`` ended, or its connection waits for a lock (what the old claim did)."""
        pid = cr._cnx.get_backend_pid()
        with closing(db_connect(self.dbname).cursor()) as watcher:
            for _poll in range(6000):  # at most a minute: a stuck claim fails the test, not hangs it
                if not thread.is_alive():
                    return
                watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                if watcher.fetchone()[0] == 'Lock':
                    return
                watcher.rollback()
                time.sleep(0.01)


@tagged('post_install', '-at_install')
class TestClaimFieldsAreTheServers(OrderWebCommon):

    def test_no_client_claims_for_a_screen(self):
        self.open_new_session()
        pos_order = self.receive(new_order()).pos_order_id
        pos_order.write({'orderweb_kitchen_claimed_by': self.env.uid, 'orderweb_kitchen_claim_screen': 7,
                         'orderweb_fired_at': fields.Datetime.now()})
        self.assertFalse(pos_order.orderweb_kitchen_claimed_by)
        self.assertFalse(pos_order.orderweb_fired_at)
