import json

from odoo.tests import tagged

from ..const import IMPORT_BATCH
from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestImportBatch(OrderWebCommon):
    """A catch-up (a burst, a pull) is imported IMPORT_BATCH orders per transaction, each order in
    a savepoint of its own, and the shop's screens are told once per batch."""

    def new_order_notifications(self):
        """The ORDERWEB_NEW_ORDER notifications of the shop's channel, oldest first."""
        self.env.flush_all()
        messages = [json.loads(message) for message in self.env['bus.bus'].sudo().search(
            [('channel', 'like', self.config.access_token)], order='id').mapped('message')]
        return [message['payload']['order_ids'] for message in messages
                if message['type'].endswith('ORDERWEB_NEW_ORDER')]

    def test_a_catch_up_is_mapped_in_batches_and_one_bad_order_spoils_nothing(self):
        self.open_new_session()
        # Unknown dishes have no fallback product: such an order fails to import, inside its savepoint.
        self.company.orderweb_item_product_id = False
        self.env.ref('pos_orderweb.product_orderweb_item').active = False
        raw_orders = [new_order(orderNumber='KIT-%04d' % index) for index in range(120)]
        raw_orders[60]['items'] = [{'id': 'z', 'name': 'Mystery dish', 'price': 12.99, 'quantity': 1}]
        raw_orders[61]['items'] = 'not a list'  # unreadable: stored in error, never imported
        before = self.new_order_notifications()

        online_orders = self.receive(*raw_orders)

        self.assertEqual(len(online_orders), 120)
        imported = online_orders.filtered(lambda online_order: online_order.state == 'done')
        self.assertEqual(len(imported), 118)
        self.assertEqual(len(imported.pos_order_id), 118, "one POS order per online order")
        failed = online_orders - imported
        self.assertEqual(failed.mapped('state'), ['error', 'error'])
        self.assertIn('Mystery dish', online_orders[60].error, "the order in error keeps its own reason")
        self.assertIn('cannot be read', online_orders[61].error)
        self.assertFalse(failed.pos_order_id)
        self.assertEqual(self.env['pos.order'].search_count([('orderweb_order_id', 'in', online_orders.ids)]), 118,
                         "the failed order's POS order went with its savepoint")
        notified = self.new_order_notifications()[len(before):]
        self.assertEqual(len(notified), -(-120 // IMPORT_BATCH), "one notification per batch")
        self.assertEqual(sorted(order_id for ids in notified for order_id in ids), sorted(imported.pos_order_id.ids))

        # Again (a pull after the burst): nothing is made twice, and nothing to tell the screens.
        self.assertEqual(self.receive(*raw_orders, channel='pull'), online_orders)
        self.assertEqual(self.env['pos.order'].search_count([('orderweb_order_id', 'in', online_orders.ids)]), 118)
        self.assertEqual(len(self.new_order_notifications()), len(before) + len(notified))

    def test_a_live_order_is_told_at_once(self):
        self.open_new_session()
        before = len(self.new_order_notifications())
        online_order = self.receive(new_order())
        self.assertEqual(online_order.state, 'done')
        self.assertEqual(self.new_order_notifications()[before:], [online_order.pos_order_id.ids])
