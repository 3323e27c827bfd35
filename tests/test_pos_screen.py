"""The POS screen side of online orders, in Chromium: live arrival, list, accept, pay.

The tours run against the real store and import: once a tour has opened the register, a thread of
the test calls ``service.importer.receive`` (the path the live listener and the pull use),
while the page keeps running, then wakes the bus websockets up as Odoo's own bus tests do
(the post-commit hook that normally wakes them does not run in tests).
"""
import base64
import contextlib
import os
import pathlib
import threading
import time
from datetime import datetime, timedelta
from unittest.mock import patch
from zoneinfo import ZoneInfo

from odoo import SUPERUSER_ID, api, fields
from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.tests.common import WebsocketCase
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from ..service import importer
from .common import new_order, orderweb_settings

# README pictures, refreshed on demand only (a test run should not rewrite the repository):
#   POS_ORDERWEB_SCREENSHOTS=1 odoo ... --test-tags /pos_orderweb:TestPosScreen
SCREENSHOT = pathlib.Path(__file__).resolve().parent.parent / 'static' / 'description' / 'pos_online_order.png'


def online_order(number, **values):
    """A burger with cheese and fries, 18.49, for pickup: what the tours look for."""
    return new_order(**{
        'orderNumber': number,
        'customerName': 'Ada Lovelace',
        'customerPhone': '+447700900123',
        'orderType': 'pickup',
        'totalAmount': 18.49,
        'items': [
            {'id': 'item-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 1,
             'selectedAddons': [{'id': 'addon-cheese', 'name': 'Extra cheese', 'price': 1.00, 'quantity': 1}]},
            {'id': 'item-fries', 'name': 'Sweet potato fries', 'price': 4.50, 'quantity': 1, 'selectedAddons': []},
        ],
        'specialInstructions': 'No onions please',
        **values,
    })


@tagged('post_install', '-at_install')
class TestPosScreen(TestPointOfSaleHttpCommon, WebsocketCase):
    # WebsocketCase lets the page's bus websocket connect during the test (Odoo refuses
    # websockets in tests otherwise).

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.main_pos_config
        cls.company = cls.config.company_id
        cls.company.write(orderweb_settings(cls.config))
        for name, price in (('Classic Burger', 12.99), ('Sweet potato fries', 4.50), ('Extra cheese', 1.00)):
            cls.env['product.product'].create({
                'name': name, 'list_price': price, 'available_in_pos': True, 'taxes_id': [(5, 0, 0)],
            })

    def assertCanOpenTestCursor(self):
        # 19.0's WebsocketCase lets only its websockets and requests open the test cursor; here
        # the import runs in the test's thread, or in a thread of its own as the runner's inbox.
        thread = threading.current_thread()
        if thread is threading.main_thread() or thread.name == 'orderweb-inbox':
            return super(WebsocketCase, self).assertCanOpenTestCursor()
        return super().assertCanOpenTestCursor()

    def _receive_once_register_open(self, raw_order):
        """Start a thread that receives ``raw_order`` as soon as the tour opened the register.

        The page is loaded by then, so the order can only reach it live.
        """
        company_id = self.company.id
        result = {}

        def receive(env):
            online_orders = importer.receive(env, env['res.company'].browse(company_id), [raw_order], 'push')
            result['pos_order_id'] = online_orders.pos_order_id.id

        return self._once_register_open(receive), result

    def _once_register_open(self, work, not_before=None):
        """Start a thread that runs ``work(env)`` as soon as the tour opened the register (and
        not before the datetime ``not_before``), as a server's listener or cron would.

        The thread keeps off the database until the page listens on the shop's bus channel
        (the test thread is then only waiting for the browser); from there its cursors are
        test cursors, which share the test transaction one request at a time.
        """
        session_id = self.config.current_session_id.id
        channel = hashable(channel_with_db(self.registry.db_name, self.config.access_token))

        def run():
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                if dispatch._channels_to_ws.get(channel) and (not not_before or fields.Datetime.now() >= not_before):
                    with self.registry.cursor() as cr:
                        env = api.Environment(cr, SUPERUSER_ID, {})
                        if env['pos.session'].browse(session_id).state == 'opened':
                            work(env)
                            break
                time.sleep(0.2)
            # What the bus's post-commit hook does outside tests: wake the page's websocket
            # (the bus.bus rows were written when the cursor committed).
            for websocket in dispatch._channels_to_ws.get(channel, ()):
                websocket.trigger_notification_dispatching()

        thread = threading.Thread(target=run, name='orderweb-inbox')
        thread.start()
        return thread

    @contextlib.contextmanager
    def _screenshot_on_close(self, path):
        """Save what the tour's browser shows as it closes, i.e. the tour's last screen."""
        if not os.environ.get('POS_ORDERWEB_SCREENSHOTS'):
            yield
            return
        stop = ChromeBrowser.stop

        def screenshot_then_stop(browser):
            try:
                shot = browser._websocket_request('Page.captureScreenshot', timeout=20)
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(base64.b64decode(shot['data']))
            finally:
                stop(browser)

        with patch.object(ChromeBrowser, 'stop', screenshot_then_stop):
            yield

    def test_live_order_to_pay_at_counter(self):
        self.config.with_user(self.pos_user).open_ui()
        thread, result = self._receive_once_register_open(online_order('KIT-5001'))
        try:
            self.start_pos_tour('pos_orderweb_live_order')
        finally:
            thread.join()
        self.env.invalidate_all()
        order = self.env['pos.order'].browse(result['pos_order_id'])
        self.assertEqual(order.state, 'paid')
        self.assertEqual(order.orderweb_status, 'done')
        self.assertEqual(order.payment_ids.payment_method_id, self.bank_payment_method)

    def test_live_prepaid_order(self):
        self._run_prepaid_order_tour('KIT-5002', SCREENSHOT)

    def test_live_prepaid_order_on_a_tablet(self):
        """The same on a portrait tablet: the list gives way to the opened order."""
        self.browser_size = '768,1024'
        self._run_prepaid_order_tour('KIT-5002', SCREENSHOT.with_name('pos_online_order_tablet.png'))

    def _run_prepaid_order_tour(self, number, screenshot):
        self.company.orderweb_payment_method_id = self.bank_payment_method
        self.config.with_user(self.pos_user).open_ui()
        thread, result = self._receive_once_register_open(online_order(
            number, customerName='Grace Hopper', customerPhone='+447700900456', orderType='delivery',
            specialInstructions='Ring twice, flat 3'))
        try:
            with self._screenshot_on_close(screenshot):
                self.start_pos_tour('pos_orderweb_prepaid_order')
        finally:
            thread.join()
        self.env.invalidate_all()
        order = self.env['pos.order'].browse(result['pos_order_id'])
        self.assertEqual(order.orderweb_status, 'accepted')
        self.assertEqual(order.state, 'paid', "a prepaid order needs no payment at the counter")

    def test_guards_on_screen(self):
        """The screen offers no deletion of an online order, and its closing names the online
        orders still open rather than cancelling them: after the tour the order is whole."""
        self.config.with_user(self.pos_user).open_ui()
        thread, result = self._receive_once_register_open(online_order('KIT-5004'))
        try:
            self.start_pos_tour('pos_orderweb_guards')
        finally:
            thread.join()
        self.env.invalidate_all()
        order = self.env['pos.order'].browse(result['pos_order_id']).exists()
        self.assertTrue(order, "the online order's POS order is still there")
        self.assertEqual((order.state, order.orderweb_status), ('draft', 'new'), "neither cancelled nor moved")
        self.assertEqual(order.session_id.state, 'opened', "the register stays open over it")
        answer = order.session_id._cannot_close_session()
        self.assertEqual(answer['orderweb_order_ids'], order.ids, "the closing names it, as the popup did")

    def test_online_order_guards(self):
        """No deletion by mistake; closing names the open online orders instead of cancelling them."""
        self.config.open_ui()
        session = self.config.current_session_id
        online_orders = importer.receive(self.env, self.company, [online_order('KIT-5003')], 'push')
        pos_order = online_orders.pos_order_id
        self.assertEqual((pos_order.state, pos_order.orderweb_status), ('draft', 'new'))
        with self.assertRaises(UserError):
            pos_order.unlink()
        with self.assertRaises(UserError):
            pos_order.orderweb_done(self.config.id)
        answer = session._cannot_close_session()
        self.assertEqual(answer['orderweb_order_ids'], pos_order.ids)
        self.assertIn('KIT-5003', answer['message'])
        data = pos_order.orderweb_accept(self.config.id)
        self.assertEqual(data['pos.order'][0]['orderweb_status'], 'accepted')

    # ------------------------------------------------------------------
    # A busy evening (static/tests/common/tours/orderweb_busy_evening_tours.js)
    # ------------------------------------------------------------------

    @contextlib.contextmanager
    def _browser_in_zone(self, zone):
        """The tour's browser runs in time zone ``zone``, as a device set to it would."""
        navigate_to = ChromeBrowser.navigate_to

        def navigate_in_zone(browser, url, *args, **kwargs):
            browser._websocket_request('Emulation.setTimezoneOverride', params={'timezoneId': zone})
            return navigate_to(browser, url, *args, **kwargs)

        with patch.object(ChromeBrowser, 'navigate_to', navigate_in_zone):
            yield

    def test_busy_evening_in_the_shops_time(self):
        """One alert for many orders; each card's age, an order for later's firing time, in the
        shop's time zone with the device in another; that order accepted early."""
        self.company.partner_id.tz = 'Europe/London'
        self.config.orderweb_preparation_minutes = 20
        self.config.with_user(self.pos_user).open_ui()
        self.env.flush_all()  # the import reads through a cursor of its own
        london = ZoneInfo('Europe/London')
        tomorrow = (datetime.now(london) + timedelta(days=1)).date()
        scheduled = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 18, 36, tzinfo=london)
        received = importer.receive(self.env, self.company, [
            online_order('KIT-5201'),
            online_order('KIT-5202', scheduledFor=scheduled.astimezone(ZoneInfo('UTC')).strftime('%Y-%m-%dT%H:%M:%SZ')),
        ], 'push')
        waiting, later = (received.filtered(lambda o, n=number: o.name == n).pos_order_id
                          for number in ('KIT-5201', 'KIT-5202'))
        self.assertEqual((waiting.orderweb_status, later.orderweb_status), ('new', 'scheduled'))
        waiting.date_order = fields.Datetime.now() - timedelta(minutes=125)
        self.env.flush_all()
        company_id = self.company.id
        thread = self._once_register_open(lambda env: importer.receive(
            env, env['res.company'].browse(company_id),
            [online_order(number) for number in ('KIT-5203', 'KIT-5204', 'KIT-5205')], 'push'))
        try:
            with self._browser_in_zone('America/New_York'):
                self.start_pos_tour('pos_orderweb_busy_evening')
        finally:
            thread.join()
        self.env.invalidate_all()
        self.assertEqual(later.orderweb_status, 'accepted', "accepted early, on the cashier's word")

    # ------------------------------------------------------------------
    # The restaurant's evening (static/tests/common/tours/orderweb_evening_tours.js)
    # ------------------------------------------------------------------

    def test_auto_accept_sends_the_kitchen_ticket_once_with_two_screens_open(self):
        self.config.orderweb_auto_accept = True
        self.config.with_user(self.pos_user).open_ui()
        thread, result = self._receive_once_register_open(online_order('KIT-5101'))
        try:
            self.start_pos_tour('pos_orderweb_auto_accept')
        finally:
            thread.join()
        self.env.invalidate_all()
        order = self.env['pos.order'].browse(result['pos_order_id'])
        self.assertEqual(order.orderweb_status, 'accepted')
        self.assertTrue(order.orderweb_sent_at)

    def test_order_for_later_fires_on_time(self):
        self.config.orderweb_preparation_minutes = 1  # the tour's evening is short
        self.config.with_user(self.pos_user).open_ui()
        self.env.flush_all()  # the import reads through a cursor of its own
        fire_at = fields.Datetime.now() + timedelta(seconds=20)
        [online] = importer.receive(self.env, self.company, [online_order(
            'KIT-5102', scheduledFor=(fire_at + timedelta(minutes=1)).strftime('%Y-%m-%dT%H:%M:%SZ'))], 'push')
        pos_order = online.pos_order_id
        self.assertEqual(pos_order.orderweb_status, 'scheduled')
        # What the cron, woken at the order's time, does (crons do not run in tests).
        thread = self._once_register_open(lambda env: env['pos.order']._cron_orderweb_fire(), not_before=fire_at)
        try:
            self.start_pos_tour('pos_orderweb_order_for_later', timeout=150)  # it waits for its time
        finally:
            thread.join()
        self.env.invalidate_all()
        self.assertEqual(pos_order.orderweb_status, 'accepted')
        self.assertGreaterEqual(pos_order.orderweb_accepted_at, fire_at)

    def test_flagged_order_needs_the_acknowledgement(self):
        """Acknowledge and accept (the kitchen ticket, with its flags, printed once in a shop
        without kitchen printers), then Ready, then Done: no way round the acknowledgement."""
        self.assertFalse(self.config.is_order_printer and self.config.printer_ids, "a shop without kitchen printers")
        self.company.orderweb_payment_method_id = self.bank_payment_method  # Done needs no payment
        self.config.with_user(self.pos_user).open_ui()
        self.env.flush_all()  # the import reads through a cursor of its own
        [online] = importer.receive(self.env, self.company, [online_order(
            'KIT-5103', specialInstructions="Severe peanut allergy")], 'push')
        pos_order = online.pos_order_id
        self.assertTrue(pos_order.orderweb_flagged)
        self.assertEqual((pos_order.state, pos_order.orderweb_prepaid), ('paid', True))
        self.start_pos_tour('pos_orderweb_flagged_order')
        self.env.invalidate_all()
        self.assertEqual(pos_order.orderweb_status, 'done')
        self.assertEqual(pos_order.orderweb_flags_acknowledged_by, self.pos_user)
        self.assertTrue(pos_order.orderweb_sent_at, "the kitchen ticket was sent")

    def test_a_closed_session_leaves_its_online_orders_to_the_next(self):
        """Closed with orders not handed over and an order for another day, then reopened: the
        new session's screen shows them (static/tests/common/tours/orderweb_session_end_tours.js)."""
        self.config.with_user(self.pos_user).open_ui()
        closed = self.config.current_session_id
        tomorrow = (fields.Datetime.now() + timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%SZ')
        self.company.orderweb_payment_method_id = self.bank_payment_method
        self.env.flush_all()  # the import reads through cursors of its own
        paid = importer.receive(self.env, self.company, [online_order('KIT-5201'), online_order('KIT-5202')], 'push')
        accepted = paid.pos_order_id.filtered(lambda order: order.orderweb_number == 'KIT-5202')
        accepted.orderweb_accept(self.config.id)
        accepted.orderweb_kitchen_claim()
        accepted.orderweb_kitchen_sent()  # by the screen open then
        self.company.orderweb_payment_method_id = False
        self.env.flush_all()
        later = importer.receive(self.env, self.company, [online_order('KIT-5203', scheduledFor=tomorrow)], 'push')
        self.assertTrue(closed.close_session_from_ui()['successful'])
        # The closing was yesterday: a screen opened within a minute of a closing replays its
        # CLOSING_SESSION message and reloads once (Odoo 18's own behaviour), mid-tour here.
        pending = self.env.cr.precommit.data.get('bus.bus.values', [])
        pending[:] = [values for values in pending if 'CLOSING_SESSION' not in values['message']]
        self.env['bus.bus'].sudo().search([('message', 'like', '%CLOSING_SESSION%')]).unlink()
        self.config.with_user(self.pos_user).open_ui()
        session = self.config.current_session_id
        self.assertEqual((paid | later).pos_order_id.session_id, session)
        self.start_pos_tour('pos_orderweb_session_end')
        self.env.invalidate_all()
        self.assertEqual(paid.pos_order_id.mapped('orderweb_status'), ['accepted', 'accepted'])
