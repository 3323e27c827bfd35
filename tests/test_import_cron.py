from odoo.tests import tagged

from ..const import IMPORT_BATCH
from ..service import importer
from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestImportCron(OrderWebCommon):
    """The import cron is the import job's safety net: what a worker stored but never imported
    (it died) is imported by the next run; and it helps an inbox whose catch-up is longer
    than the batch the inbox imports at a time."""

    def test_the_cron_imports_what_a_dead_worker_stored(self):
        self.open_new_session()
        online_order = importer.store_committed(self.env, self.company, [new_order()], 'push')
        self.assertEqual(online_order.state, 'received')
        self.env['orderweb.connection']._cron_pull()  # not the pull's: it only pulls
        self.assertEqual(online_order.state, 'received')
        self.env['orderweb.order']._cron_orderweb_import()
        self.assertEqual(online_order.state, 'done')

    def test_a_long_catch_up_wakes_the_cron_to_help(self):
        self.open_new_session()
        cron = self.env.ref('pos_orderweb.ir_cron_orderweb_import')
        Trigger = self.env['ir.cron.trigger']
        triggers = Trigger.search_count([('cron_id', '=', cron.id)])
        online_orders = importer.store_committed(
            self.env, self.company, [new_order(orderNumber='KIT-%04d' % index) for index in range(IMPORT_BATCH + 1)],
            'push')
        self.assertEqual(importer.import_pending(self.env, self.company.ids, batches=1), IMPORT_BATCH)
        self.assertEqual(online_orders.mapped('state').count('done'), IMPORT_BATCH, "one batch, the oldest")
        self.assertEqual(online_orders[-1].state, 'received')
        self.assertEqual(Trigger.search_count([('cron_id', '=', cron.id)]), triggers + 1, "the cron helps")
        self.assertEqual(importer.import_pending(self.env, self.company.ids, batches=1), 1)
        self.assertEqual(set(online_orders.mapped('state')), {'done'})
        self.assertEqual(Trigger.search_count([('cron_id', '=', cron.id)]), triggers + 1,
                         "nothing more waits: the cron is left alone")
