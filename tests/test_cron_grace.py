from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..const import LIVE_IMPORT_GRACE
from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestCronLeavesTheLiveImport(OrderWebCommon):

    def test_cron_maps_a_stored_order_only_once_the_live_worker_had_its_time(self):
        self.open_new_session()
        online_order = self.OnlineOrder._store(self.company, [new_order()], 'push')
        self.assertEqual(online_order.state, 'received')
        self.company.orderweb_last_pull_at = '2100-01-01'  # not due: the cron only retries
        self.env.flush_all()
        self.env['orderweb.connection']._cron_pull()
        self.assertEqual(online_order.state, 'received', "the live listener's inbox imports what it stored, alone")
        online_order.sudo().received_at = fields.Datetime.now() - timedelta(seconds=LIVE_IMPORT_GRACE + 1)
        self.env.flush_all()
        self.env['orderweb.connection']._cron_pull()
        self.assertEqual(online_order.state, 'done',
                         "an order its worker stored but never imported (it died) is the cron's")
