"""The live listener runner on real Odoo, against the OrderWeb stand-in over real sockets.

The registry is in test mode (OrderWebCommon): the runner's cursors are test cursors
sharing the test transaction and its lock, so this thread reads only under
``self.registry.cursor()`` while runners are alive. Two *server processes* on one
database need committed data: that proof is tools/prove_deployments.py.
"""
import json
import subprocess
import sys
import textwrap
import threading
import time

import psutil

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import HttpCase, tagged

from .. import service
from ..compat import config_list
from ..const import IMPORT_BATCH
from ..orderweb import listener as listener_module
from ..orderweb import order as order_module
from ..orderweb.const import MAX_FRAME_BYTES, MSG_NEW_ORDER, PULL_RETRIES
from ..orderweb.simulator import SimulatorThread
from ..service import threads
from ..service.inbox import Inbox
from ..service.locks import LockConnection
from ..service.runner import Runner
from .common import OrderWebCommon, new_order

TENANT = 'kitchen'
SETTINGS_DEADLINE = 10.0  # settings apply within 10 s


@tagged('post_install', '-at_install')
class TestListenerRunner(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.sim = SimulatorThread(host='127.0.0.1', port=0, tenants=(TENANT,), empty=True).start()
        self.addCleanup(self.sim.stop)
        self.company.write({'orderweb_url': self.sim.base_url, 'orderweb_api_key': self.sim.api_key})
        self.session = self.open_new_session()

    def start_runner(self):
        self.env.flush_all()  # the runner reads through its own (test) cursors
        runner = Runner([self.env.cr.dbname], tick=0.3, backoff_first=0.2, backoff_cap=1.0, refused_retry=1.0)
        runner.start()
        self.addCleanup(runner.stop)
        self.runner = runner
        return runner

    def wait_caught_up(self):
        """The catch-up pull of the connection is done and its answer imported: what follows comes after it."""
        self.wait_for(lambda env: env['res.company'].browse(self.company.id).orderweb_last_pull_at and all(
            inbox.idle() for inbox in self.runner._inboxes.values()))

    def wait_for(self, condition, timeout=SETTINGS_DEADLINE, message=""):
        """Poll ``condition(env)`` under the test lock; return its first truthy value."""
        deadline = time.monotonic() + timeout
        while True:
            with self.registry.cursor() as cr:
                result = condition(api.Environment(cr, SUPERUSER_ID, {}))
            if result or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertTrue(result, message or "not within %s s" % timeout)
        return result

    def in_transaction(self, function):
        with self.registry.cursor() as cr:
            return function(api.Environment(cr, SUPERUSER_ID, {'allowed_company_ids': self.company.ids}))

    def status(self, env, state):
        """The status record's values when it is in ``state`` (read now: the cursor closes)."""
        record = env['res.company'].browse(self.company.id)._orderweb_connection_status()
        return record.state == state and record.read()[0]

    def connections(self):
        return self.sim.stats(TENANT)['connections']

    def wait_connected(self):
        record = self.wait_for(lambda env: self.status(env, 'connected'), message="never connected")
        self.assertEqual(self.connections(), 1)
        return record

    def test_not_started_by_the_test_runner(self):
        # Started with the server, it would be running by now: no need to wait for it.
        self.assertIsNone(service._threaded_runner)
        self.assertEqual([thread.name for thread in threading.enumerate() if thread.name == 'orderweb.runner'], [])

    def test_listener_starts_after_settings_save(self):
        self.company.orderweb_enabled = False
        # A status left connected: the runner's pass with OrderWeb disabled says disabled.
        self.env['orderweb.connection']._orderweb_report(self.company, {'state': 'connected', 'holder': 'gone:1'})
        self.start_runner()
        self.wait_for(lambda env: self.status(env, 'disabled'), message="no pass with OrderWeb disabled")
        self.assertEqual(self.sim.stats(TENANT)['connections_total'], 0)

        saved_at = time.monotonic()
        self.in_transaction(lambda env: env['res.config.settings'].create({
            'orderweb_enabled': True,
            'orderweb_url': self.sim.base_url,
            'orderweb_tenant': TENANT,
            'orderweb_api_key': self.sim.api_key,
            'orderweb_target': 'pos',
            'orderweb_pos_config_id': self.config.id,
        }).execute())
        record = self.wait_connected()
        self.assertLess(time.monotonic() - saved_at, SETTINGS_DEADLINE)
        self.assertEqual(record['tenant'], TENANT)
        self.assertTrue(record['holder'])

    def test_pushed_order_arrives_as_pos_order(self):
        self.start_runner()
        self.wait_connected()
        # the catch-up pull of the connection is done: it cannot list the order first
        self.wait_caught_up()
        pushed_at = time.monotonic()
        order = self.sim.push_order(TENANT, new_order())
        imported = self.wait_for(lambda env: [
            (log.channel, log.pos_order_id.session_id.id) for log in env['orderweb.order'].search(
                [('orderweb_id', '=', order['orderId']), ('pos_order_id', '!=', False)])])
        elapsed = time.monotonic() - pushed_at
        self.assertEqual(imported, [('push', self.session.id)])
        self.assertLess(elapsed, 3.0, "pushed order took %.2f s" % elapsed)
        self.wait_for(lambda env: (self.status(env, 'connected') or {}).get('last_order_at'),
                      message="last order not shown")

    def test_drop_reconnect_recovers_pull_only_orders(self):
        self.start_runner()
        self.wait_connected()
        # The catch-up pull of the first connection is done: what follows comes after it.
        self.wait_caught_up()
        # Orders OrderWeb holds but never pushes to this client: only the pull brings them.
        missed = [self.sim.push_order(TENANT, new_order(), push=False) for _i in range(2)]
        self.assertEqual(self.sim.drop(TENANT), 1)
        self.wait_for(lambda env: env['orderweb.order'].search_count(
            [('orderweb_id', 'in', [o['orderId'] for o in missed]), ('pos_order_id', '!=', False)]) == 2,
            message="orders missed during the outage were not recovered")
        record = self.wait_for(lambda env: (self.status(env, 'connected') or {}).get('reconnect_count') and
                               self.status(env, 'connected'), message="no reconnection shown")
        self.assertGreaterEqual(record['reconnect_count'], 1)
        self.assertEqual(self.connections(), 1)

    def test_failed_catch_up_pull_is_retried(self):
        self.start_runner()
        self.wait_connected()
        self.wait_caught_up()
        self.sim.set_faults(TENANT, pull_error_status=500)
        missed = self.sim.push_order(TENANT, new_order(), push=False)  # only a pull brings it
        pulls = self.sim.stats(TENANT)['pulls']
        self.assertEqual(self.sim.drop(TENANT), 1)
        # the catch-up pull of the new connection fails: every attempt of it answered 500
        self.wait_for(lambda env: self.sim.stats(TENANT)['pulls'] >= pulls + 1 + PULL_RETRIES,
                      message="no catch-up pull after the reconnection")
        self.sim.set_faults(TENANT, pull_error_status=None)
        # no new connection and no cron here: only a retry of the pull can bring it
        self.wait_for(lambda env: env['orderweb.order'].search_count(
            [('orderweb_id', '=', missed['orderId']), ('pos_order_id', '!=', False)]),
            message="the failed catch-up pull was not retried")
        self.assertEqual(self.sim.stats(TENANT)['connections_total'], 2)

    def test_oversized_frame_keeps_its_reason(self):
        self.start_runner()
        self.wait_connected()
        # orderId comes first: the listener finds it in the beginning it keeps of the frame
        oversized = new_order(specialInstructions='x' * MAX_FRAME_BYTES)
        self.sim.send_raw(TENANT, json.dumps({'type': MSG_NEW_ORDER, 'data': oversized}))
        following = self.sim.push_order(TENANT, new_order())
        errors = self.wait_for(lambda env: env['orderweb.order'].search(
            [('orderweb_id', '=', oversized['orderId'])]).mapped('error'), message="oversized order not stored")
        self.assertEqual(len(errors), 1)
        self.assertIn("over the limit of %s" % MAX_FRAME_BYTES, errors[0])
        self.assertNotIn("items", errors[0])

        def retry(env):  # as the cron does: the summary is read again
            online_order = env['orderweb.order'].search([('orderweb_id', '=', oversized['orderId'])])
            online_order._import()
            return online_order.read(['state', 'error', 'attempt_count'])[0]
        retried = self.in_transaction(retry)
        self.assertEqual((retried['state'], retried['error'], retried['attempt_count']), ('error', errors[0], 1))
        self.wait_for(lambda env: env['orderweb.order'].search_count(
            [('orderweb_id', '=', following['orderId']), ('pos_order_id', '!=', False)]),
            message="the order after the oversized frame was not imported")

    def test_one_connection_for_two_runners(self):
        # Two runners = two PostgreSQL sessions competing for the company's lock, as two processes.
        holder = self.start_runner()
        self.wait_connected()
        # The other runner's passes, run here one after another: each finds the company held.
        standby = Runner([self.env.cr.dbname], tick=0.3, backoff_first=0.2, backoff_cap=1.0, refused_retry=1.0)
        self.addCleanup(standby.close)
        for _pass in range(3):
            standby.tick()
            self.assertFalse(standby._links, "a second link for a held company")
        stats = self.sim.stats(TENANT)
        self.assertEqual((stats['connections'], stats['connections_total']), (1, 1))

        standby.start()
        self.addCleanup(standby.stop)
        holder.stop()
        self.wait_for(lambda env: standby._links and self.status(env, 'connected'), message="no takeover")
        self.assertEqual(self.connections(), 1)

    def test_disable_stops_listener(self):
        self.start_runner()
        self.wait_connected()
        self.in_transaction(lambda env: env['res.company'].browse(self.company.id).write({'orderweb_enabled': False}))
        self.wait_for(lambda env: self.status(env, 'disabled'), message="status not disabled")
        # the stand-in sees the close frame a moment after the runner wrote the status
        self.wait_for(lambda env: self.connections() == 0, message="WebSocket still open")

    def test_stop_is_prompt_and_leaves_no_thread(self):
        runner = self.start_runner()
        self.wait_connected()
        started = time.monotonic()
        runner.stop()
        self.assertLess(time.monotonic() - started, 3.0)
        self.assertEqual([t.name for t in threading.enumerate() if t.name.startswith(
            ('orderweb.runner', 'orderweb-listener', 'orderweb-inbox'))], [])
        self.assertEqual(self.connections(), 0)
        self.wait_for(lambda env: self.status(env, 'stopped'))

    def test_database_work_waits_for_a_slot(self):
        # A burst to many companies must not ask Odoo's pool for more connections than it
        # has: received orders are stored when one of the process's few slots is free.
        self.start_runner()
        self.wait_connected()
        self.wait_caught_up()
        taken = 0
        try:
            while threads.db_slots.acquire(blocking=False):
                taken += 1
            self.assertEqual(taken, threads.DB_SLOTS)
            order = self.sim.push_order(TENANT, new_order())
            # The inbox holds the order and waits for a slot (stored without one, it never would).
            self.wait_for(lambda env: threads.db_slots.waiting, message="the inbox did not wait for a slot")
            self.assertFalse(self.in_transaction(lambda env: env['orderweb.order'].search_count(
                [('orderweb_id', '=', order['orderId'])])), "stored without a slot")
            # The pass and the status writes do not wait behind the inboxes' work.
            self.sim.drop(TENANT)
            self.wait_for(lambda env: (self.status(env, 'connected') or {}).get('reconnect_count'),
                          message="the reconnection waited for an inbox's slot")
        finally:
            for _i in range(taken):
                threads.db_slots.release()
        self.wait_for(lambda env: env['orderweb.order'].search_count(
            [('orderweb_id', '=', order['orderId']), ('pos_order_id', '!=', False)]),
            message="not imported once a slot was free")

    def test_what_queued_behind_a_busy_database_is_all_stored_and_imported(self):
        # Received orders, an unreadable one and a catch-up pull queue up while the inbox waits
        # for the database; once it answers, each is stored (the unreadable one with its
        # reason) and the orders imported: nothing queued among the others is dropped.
        self.start_runner()
        self.wait_connected()
        self.wait_caught_up()
        # The test's cursor held: the runner's threads wait for the database (the test lock).
        with self.registry.cursor():
            first = [self.sim.push_order(TENANT, new_order()) for _i in range(3)]
            unreadable = new_order(items='not a list')
            self.sim.send_raw(TENANT, json.dumps({'type': MSG_NEW_ORDER, 'data': unreadable}))
            missed = self.sim.push_order(TENANT, new_order(), push=False)  # only the catch-up pull brings it
            self.assertEqual(self.sim.drop(TENANT), 1)
        orders = [*first, missed]
        self.wait_for(lambda env: env['orderweb.order'].search_count(
            [('orderweb_id', 'in', [order['orderId'] for order in orders]), ('state', '=', 'done')]) == len(orders),
            message="not every order was stored and imported")
        self.assertEqual(self.in_transaction(lambda env: env['orderweb.order'].search(
            [('orderweb_id', '=', unreadable['orderId'])]).mapped('state')), ['error'])

    def test_a_burst_longer_than_a_batch_wakes_the_import_cron_at_once(self):
        # More than one batch stored at once: the import cron's workers are woken when they are
        # stored, not only each time the inbox imported a whole batch (twice for 2 batches and 1).
        self.start_runner()
        self.wait_connected()
        self.wait_caught_up()
        cron = self.env.ref('pos_orderweb.ir_cron_orderweb_import')

        def triggers(env):
            return env['ir.cron.trigger'].search_count([('cron_id', '=', cron.id)])
        before = self.in_transaction(triggers)
        inbox = self.runner._inboxes[self.env.cr.dbname, self.company.id]
        # One order first, which the inbox takes and holds while it waits for a database slot (all
        # taken here); the rest of the burst queues behind it (the listener needs none) and is
        # stored at once. A loaded machine's listener would otherwise hand it over in smaller stores.
        taken = 0
        try:
            while threads.db_slots.acquire(blocking=False):
                taken += 1
            received = inbox.received
            burst = [self.sim.push_order(TENANT, new_order())]
            self.wait_for(lambda env: threads.db_slots.waiting == 1, message="the inbox did not wait for a slot")
            burst += [self.sim.push_order(TENANT, new_order()) for _i in range(2 * IMPORT_BATCH)]
            self.wait_for(lambda env: inbox.received == received + len(burst))
        finally:
            for _i in range(taken):
                threads.db_slots.release()
        self.wait_for(lambda env: env['orderweb.order'].search_count(
            [('orderweb_id', 'in', [order['orderId'] for order in burst]), ('state', '=', 'done')]) == len(burst))
        self.wait_for(lambda env: inbox.idle())
        self.assertGreaterEqual(self.in_transaction(triggers), before + 3)

    def test_a_pushed_order_is_parsed_once_by_the_listener_and_once_by_the_import(self):
        # The listener's parse is what the order is stored with; the import reads the stored
        # payload, the truth, once. Its shop's screens are rung once, by the POS order's side.
        parsed = []

        def counting(parse):
            def parse_order(raw):
                parsed.append(raw.get('orderId'))
                return parse(raw)
            return parse_order
        self.patch(listener_module, 'parse_order', counting(listener_module.parse_order))
        self.patch(order_module, 'parse_order', counting(order_module.parse_order))
        self.start_runner()
        self.wait_connected()
        self.wait_caught_up()
        order = self.sim.push_order(TENANT, new_order())
        pos_order_id = self.wait_for(lambda env: env['orderweb.order'].search(
            [('orderweb_id', '=', order['orderId'])]).pos_order_id.id)
        self.assertEqual(parsed.count(order['orderId']), 2)

        def rung(env):
            messages = env['bus.bus'].sudo().search([('channel', 'like', self.config.access_token)]).mapped('message')
            return [json.loads(message)['payload']['order_ids'] for message in messages
                    if 'ORDERWEB_NEW_ORDER' in message]
        self.assertEqual(self.in_transaction(rung), [[pos_order_id]])

    def test_pass_cost_does_not_grow_with_companies(self):
        # A hundred companies of one database are a hundred links: their heartbeats are
        # written in one transaction, and a standby process asks for their locks in one query.
        dbname = self.env.cr.dbname
        other_sim = SimulatorThread(host='127.0.0.1', port=0, tenants=('t2', 't3'), empty=True).start()
        self.addCleanup(other_sim.stop)
        others = self.env['res.company'].create([{
            'name': 'OrderWeb %s' % tenant, 'orderweb_url': other_sim.base_url, 'orderweb_tenant': tenant,
            'orderweb_api_key': other_sim.api_key, 'orderweb_target': 'sale'} for tenant in ('t2', 't3')])
        self.env.flush_all()
        runner = Runner([dbname], tick=0, backoff_first=0.2, backoff_cap=1.0)
        self.addCleanup(runner.close)
        standby = Runner([dbname], tick=0)
        self.addCleanup(standby.close)
        standby_queries = []
        real_query = LockConnection._query

        def counted_query(connection, query, params=()):
            if standby._locks.get(dbname) is connection:
                standby_queries.append(query)
            return real_query(connection, query, params)
        self.patch(LockConnection, '_query', counted_query)

        def pass_queries(companies):
            runner.tick()
            self.wait_for(lambda env: env['orderweb.connection'].search_count(
                [('company_id', 'in', companies.ids), ('state', '=', 'connected')]) == len(companies) and all(
                env['res.company'].browse(companies.ids).mapped('orderweb_last_pull_at')))
            # Their catch-up pulls' answers imported: the inboxes' work shares the test cursor.
            self.wait_for(lambda env: all(inbox.idle() for inbox in runner._inboxes.values()))
            for link in runner._links.values():
                link._beat = 0.0  # heartbeat due
            counted = self.cr.sql_log_count
            runner.tick()
            holder = self.cr.sql_log_count - counted
            standby_queries.clear()
            standby.tick()
            self.assertFalse(standby._links)
            return holder, len(standby_queries)

        alone = pass_queries(self.company)
        self.in_transaction(lambda env: env['res.company'].browse(others.ids).write({'orderweb_enabled': True}))
        self.assertEqual(pass_queries(self.company | others), alone)

    def test_threads_reserve_small_stacks(self):
        # A hundred companies are two hundred threads: at Linux's default 8 MiB of address
        # space each, Odoo's memory limits (on address space) stop or restart the process.
        process = psutil.Process()
        before = process.memory_info().vms
        inboxes = [Inbox(self.env.cr.dbname, -number) for number in range(1, 51)]
        grown = process.memory_info().vms - before
        for inbox in inboxes:
            inbox.stop()
        for inbox in inboxes:
            inbox.join(5)
        self.assertLess(grown, len(inboxes) * 3 * 2**20)

    def test_prefork_worker_caps_malloc_arenas(self):
        # Threads allocating at once, as a hundred listeners do in a burst: glibc's arenas
        # (64 MiB of address space each, 8 per core) would count against Odoo's memory limits.
        script = textwrap.dedent('''
            import sys, threading, psutil
            from odoo.tools import config
            config.parse_config(['--addons-path=' + sys.argv[1]])
            from odoo.addons.pos_orderweb.service import cap_malloc_arenas
            cap_malloc_arenas()
            threading.stack_size(256 * 1024)
            before = psutil.Process().memory_info().vms
            start = threading.Barrier(64)
            def allocate():
                start.wait()
                for _i in range(2000):
                    kept = [bytes(50000) for _j in range(4)]
            threads = [threading.Thread(target=allocate) for _i in range(64)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            print(psutil.Process().memory_info().vms - before)
        ''')
        addons_path = ','.join(config_list('addons_path'))
        grown = int(subprocess.run([sys.executable, '-c', script, addons_path], check=True,
                                   capture_output=True, text=True, timeout=120).stdout.split()[-1])
        self.assertLess(grown, 300 * 2**20)

    def test_refused_key_shows_in_status(self):
        wrong_key = 'pos_' + 'f' * 64
        self.company.orderweb_api_key = wrong_key
        self.start_runner()
        record = self.wait_for(lambda env: self.status(env, 'key_refused'), message="refusal not shown")
        self.assertNotIn(wrong_key, record['last_error'] or '')
        self.assertEqual(self.connections(), 0)
        self.assertGreaterEqual(self.sim.stats(TENANT)['refused'], 1)

        # a new key saved in the settings applies without restart
        self.in_transaction(lambda env: env['res.company'].browse(self.company.id).write(
            {'orderweb_api_key': self.sim.api_key}))
        self.wait_connected()


@tagged('post_install', '-at_install')
class TestConnectionDashboard(HttpCase):

    def test_dashboard_shows_the_status(self):
        self.env['orderweb.connection']._orderweb_report(self.env.company, {
            'state': 'key_refused', 'tenant': TENANT, 'since': fields.Datetime.now(),
            'last_error': "OrderWeb refused the API key pos_…beef for tenant kitchen (HTTP 401)"})
        self.browser_js('/odoo/action-pos_orderweb.action_orderweb_connection', """
            const deadline = Date.now() + 20000;
            (function check() {
                const card = document.querySelector('.o_kanban_record');
                const text = card ? card.textContent : '';
                if (text.includes('Key Refused') && text.includes('kitchen') && text.includes('HTTP 401')) {
                    console.log('test successful');
                } else if (Date.now() > deadline) {
                    console.error('dashboard card not rendered as expected: ' + text);
                } else {
                    setTimeout(check, 100);
                }
            })();
        """, login='admin')
