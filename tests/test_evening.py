"""The restaurant's evening on the server: red flags, auto-accept, the kitchen ticket sent once,
orders for later fired on time, and how late each order was."""
import json
from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import OrderWebCommon, new_order

# The instant the tests of times make their orders at (freeze_time): what they check is counted
# from it, never from the wall clock, whose second may tick between two orders of one test.
EVENING = datetime(2026, 3, 12, 18, 30)


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


@tagged('post_install', '-at_install')
class TestRedFlags(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.open_new_session()

    def flags(self, online_order):
        return (online_order.flags or '').splitlines()

    def test_allergy_words_whole_words_any_case(self):
        flagged = self.receive(new_order(
            specialInstructions="Severe PEANUT allergy, please", items=[
                {'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 1,
                 'note': 'no sesame bun'}]))
        self.assertEqual(flagged.state, 'done', "flags never stop the import")
        [instructions, note] = self.flags(flagged)
        self.assertIn('allergy, peanut', instructions)
        self.assertIn('Classic Burger', note)
        self.assertIn('sesame', note)
        self.assertTrue(flagged.pos_order_id.orderweb_flagged)
        # Part of a word is not the word: nutmeg, eggplant, dairyland.
        clean = self.receive(new_order(specialInstructions="Extra nutmeg, eggplant on the side, Dairyland cheese"))
        self.assertFalse(clean.flags)
        self.assertFalse(clean.pos_order_id.orderweb_flagged)

    def test_the_shop_words_and_tolerance(self):
        self.config.write({'orderweb_allergy_words': "coriander", 'orderweb_price_tolerance': 0.0})
        online_order = self.receive(new_order(specialInstructions="No coriander, nut lover",
                                              totalAmount=12.98, items=[
                                                  {'id': 'item-classic-burger', 'name': 'Classic Burger',
                                                   'price': 12.98, 'quantity': 1}]))
        flags = self.flags(online_order)
        self.assertEqual(len(flags), 2, flags)
        self.assertIn('coriander', flags[0])
        self.assertIn('12.98', flags[1])
        self.assertIn('12.99', flags[1])

    def test_products_the_kitchen_cannot_make(self):
        fries = self.fries
        self.config.orderweb_unavailable_product_ids = fries
        self.cheese.available_in_pos = False
        self.env['orderweb.product.map'].create({
            'company_id': self.company.id, 'orderweb_item_id': 'addon-cheese', 'product_id': self.cheese.id})
        online_order = self.receive(new_order(totalAmount=18.49, items=[
            {'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 1,
             'selectedAddons': [{'id': 'addon-cheese', 'name': 'Extra cheese', 'price': 1.00, 'quantity': 1}]},
            {'id': 'item-fries', 'name': 'Sweet potato fries', 'price': 4.50, 'quantity': 1}]))
        flags = self.flags(online_order)
        self.assertEqual(len(flags), 2, flags)
        self.assertIn('not sold in the POS', flags[0])
        self.assertIn('unavailable', flags[1])
        # Archived after it was mapped.
        self.burger.active = False
        self.env['orderweb.product.map'].create({
            'company_id': self.company.id, 'orderweb_item_id': 'item-classic-burger', 'product_id': self.burger.id})
        archived = self.receive(new_order())
        self.assertEqual(archived.state, 'done')
        self.assertIn('archived', archived.flags)

    def test_price_within_tolerance_is_not_flagged(self):
        within = self.receive(new_order(totalAmount=13.29, items=[
            {'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 13.29, 'quantity': 1}]))
        self.assertFalse(within.flags, "0.30 off, within the default 0.50")

    def test_accept_needs_the_acknowledgement_kept_on_the_order(self):
        pos_order = self.receive(new_order(specialInstructions="gluten free bun")).pos_order_id
        with self.assertRaisesRegex(UserError, 'acknowledge'):
            pos_order.orderweb_accept(self.config.id)
        self.assertEqual(pos_order.orderweb_status, 'new')
        pos_order.orderweb_accept(self.config.id, acknowledge_flags=True)
        self.assertEqual(pos_order.orderweb_status, 'accepted')
        self.assertEqual(pos_order.orderweb_flags_acknowledged_by, self.env.user)
        self.assertTrue(pos_order.orderweb_flags_acknowledged_at)
        # No client sets them itself.
        pos_order.write({'orderweb_flags_acknowledged_by': False, 'orderweb_flags_acknowledged_at': False})
        self.assertTrue(pos_order.orderweb_flags_acknowledged_by)


@tagged('post_install', '-at_install')
class TestAutoAccept(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.enterContext(freeze_time(EVENING))
        self.open_new_session()
        self.config.orderweb_auto_accept = True

    def test_accepted_on_arrival_unless_flagged(self):
        accepted = self.receive(new_order()).pos_order_id
        self.assertEqual(accepted.orderweb_status, 'accepted')
        self.assertTrue(accepted.orderweb_accepted_at)
        self.assertFalse(accepted.orderweb_sent_at, "sent by the first screen that claims it")
        flagged = self.receive(new_order(specialInstructions="nut allergy")).pos_order_id
        self.assertEqual(flagged.orderweb_status, 'new')
        self.config.orderweb_auto_accept = False
        self.assertEqual(self.receive(new_order()).pos_order_id.orderweb_status, 'new')

    def test_the_kitchen_ticket_is_claimed_once(self):
        pos_order = self.receive(new_order()).pos_order_id
        # Two screens ask at once: the first gets it, the other nothing.
        self.assertEqual(pos_order.orderweb_kitchen_claim(), pos_order.ids)
        self.assertEqual(pos_order.orderweb_kitchen_claim(), [])
        # The screen that claimed it reloaded before sending: its claim lapses, another sends it.
        pos_order._orderweb_as_import().orderweb_kitchen_claimed_at = EVENING - timedelta(minutes=1)
        self.env.flush_all()
        self.assertEqual(pos_order.orderweb_kitchen_claim(), pos_order.ids)
        pos_order.orderweb_kitchen_sent()
        self.assertTrue(pos_order.orderweb_sent_at)
        pos_order._orderweb_as_import().orderweb_kitchen_claimed_at = EVENING - timedelta(minutes=1)
        self.env.flush_all()
        self.assertEqual(pos_order.orderweb_kitchen_claim(), [], "sent: never again")

    def test_only_accepted_orders_are_claimed(self):
        self.config.orderweb_auto_accept = False
        pos_order = self.receive(new_order()).pos_order_id
        self.assertEqual(pos_order.orderweb_kitchen_claim(), [])
        pos_order.orderweb_accept(self.config.id)
        self.assertEqual(pos_order.orderweb_kitchen_claim(), pos_order.ids)


@tagged('post_install', '-at_install')
class TestOrdersForLater(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.enterContext(freeze_time(EVENING))
        self.open_new_session()
        self.fire = self.env.ref('pos_orderweb.ir_cron_orderweb_fire')

    def rings(self):
        """The ids of each ORDERWEB_NEW_ORDER notification this transaction will send."""
        messages = [json.loads(values['message']) for values in self.env.cr.precommit.data.get('bus.bus.values', [])]
        return [message['payload']['order_ids'] for message in messages
                if message['type'].endswith('ORDERWEB_NEW_ORDER')]

    def later(self, minutes, **values):
        return self.receive(new_order(
            scheduledFor=iso(EVENING + timedelta(minutes=minutes)), **values)).pos_order_id

    def test_held_then_fired_once_on_time(self):
        pos_order = self.later(60)
        self.assertEqual(pos_order.orderweb_status, 'scheduled')
        self.assertFalse(pos_order.orderweb_order_id.schedule_note)
        # The cron is woken at its time: scheduled time minus the shop's 20 minutes.
        fire_at = pos_order.orderweb_scheduled_for - timedelta(minutes=20)
        self.assertTrue(self.env['ir.cron.trigger'].search([('cron_id', '=', self.fire.id), ('call_at', '=', fire_at)]))
        # None early: a minute before its time, the cron leaves it.
        with freeze_time(fire_at - timedelta(minutes=1)):
            self.env['pos.order']._cron_orderweb_fire()
        self.assertEqual(pos_order.orderweb_status, 'scheduled')
        with freeze_time(fire_at + timedelta(seconds=30)):
            self.env['pos.order']._cron_orderweb_fire()
        self.assertEqual(pos_order.orderweb_status, 'new')
        self.assertEqual(self.rings(), [pos_order.ids], "its shop's screens ring")
        # Once: a restarted server's cron run finds nothing left to fire.
        pos_order._orderweb_as_import().orderweb_accept(self.config.id)
        with freeze_time(fire_at + timedelta(minutes=5)):
            self.env['pos.order']._cron_orderweb_fire()
        self.assertEqual(pos_order.orderweb_status, 'accepted')

    def test_fired_accepted_when_the_shop_accepts_automatically(self):
        self.config.write({'orderweb_auto_accept': True, 'orderweb_preparation_minutes': 45})
        pos_order = self.later(50)
        flagged = self.later(50, specialInstructions="dairy allergy")
        self.assertEqual((pos_order | flagged).mapped('orderweb_status'), ['scheduled'] * 2,
                         "not auto-accepted before its time")
        with freeze_time(pos_order.orderweb_scheduled_for - timedelta(minutes=45)):
            self.env['pos.order']._cron_orderweb_fire()
        self.assertEqual(pos_order.orderweb_status, 'accepted')
        self.assertEqual(flagged.orderweb_status, 'new')

    def test_due_on_arrival_goes_to_the_kitchen_list_at_once(self):
        self.assertEqual(self.later(10).orderweb_status, 'new', "within its 20 preparation minutes")

    def test_past_or_too_far_is_as_soon_as_possible_with_a_note(self):
        past = self.later(-30)
        far = self.later(8 * 24 * 60)
        self.assertEqual((past | far).mapped('orderweb_status'), ['new', 'new'])
        self.assertIn('already past', past.orderweb_schedule_note)
        self.assertIn('more than 7 days', far.orderweb_schedule_note)

    def test_the_days_orders_for_later_for_the_manager(self):
        pos_order = self.later(120)
        action_domain = [('orderweb_status', '=', 'scheduled')]
        self.assertIn(pos_order, self.env['pos.order'].search(action_domain))


@tagged('post_install', '-at_install')
class TestHowLate(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.enterContext(freeze_time(EVENING))

    def test_every_step_is_kept_and_reported(self):
        self.open_new_session()
        created = EVENING - timedelta(minutes=7)
        online_order = self.receive(new_order(createdAt=iso(created)))
        pulled = self.receive(new_order(createdAt=iso(created)), channel='pull')
        self.assertEqual(online_order.created_at, created)
        pos_order = online_order.pos_order_id
        online_order.sudo().write({'received_at': created + timedelta(minutes=1),
                            'imported_at': created + timedelta(minutes=2)})
        pos_order.orderweb_accept(self.config.id)
        pos_order.orderweb_kitchen_claim()
        pos_order.orderweb_kitchen_sent()
        pos_order.orderweb_ready(self.config.id)
        pos_order._orderweb_as_import().write({
            'orderweb_accepted_at': created + timedelta(minutes=5),
            'orderweb_ready_at': created + timedelta(minutes=20),
        })
        # The order alone tells its evening.
        self.assertEqual(
            [bool(online_order[name]) for name in
             ('created_at', 'received_at', 'imported_at', 'accepted_at', 'sent_at', 'ready_at')], [True] * 6)
        self.assertEqual(pos_order.orderweb_created_at, created)
        self.env.flush_all()
        rows = self.env['orderweb.order.report'].search([('online_order_id', 'in', (online_order | pulled).ids)])
        row = rows.filtered(lambda row: row.online_order_id == online_order)
        self.assertAlmostEqual(row.minutes_created_to_imported, 2)
        self.assertAlmostEqual(row.minutes_imported_to_accepted, 3)
        self.assertAlmostEqual(row.minutes_accepted_to_ready, 15)
        [(pulled_rate,)] = self.env['orderweb.order.report']._read_group(
            [('id', 'in', rows.ids)], [], ['pulled_rate:avg'])
        self.assertAlmostEqual(pulled_rate, 50)

    def test_metrics_histogram_from_creation(self):
        self.open_new_session()
        online_order = self.receive(new_order(createdAt=iso(EVENING - timedelta(seconds=45))))
        self.env.flush_all()
        families = {name: samples for name, _type, _help, samples in
                    self.env['orderweb.connection']._orderweb_metrics()}
        samples = families['orderweb_created_to_imported_seconds']
        buckets = {labels['le']: value for suffix, labels, value in samples
                   if suffix == '_bucket' and labels['company_id'] == online_order.company_id.id}
        self.assertEqual(buckets['30'], 0)
        self.assertEqual(buckets['60'], 1)
        self.assertEqual(buckets['+Inf'], 1)
