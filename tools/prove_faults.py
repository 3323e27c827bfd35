"""The fault matrix: real Odoo servers, the stand-in, real faults.

    python tools/prove_faults.py [--refuse-window 60] [--pg-window 8] [ROW ...]

Run with Odoo's Python, like tools/prove_deployments.py, whose helpers and
environment it shares (``OW_ADDONS``, ``OW_PROVE_DB``, ``OW_PROVE_PORT``,
``OW_PROVE_SIM_PORT``, ``ODOO_BIN``). A threaded Odoo server listens to the
stand-in through a TCP relay of this script (``SIM_PORT + 1``), so that the
network itself can refuse connections. Each row injects one fault in the middle
of a burst of orders and checks in the database that every order sent is
imported exactly once: one ``orderweb.order`` row and one ``pos.order`` per
platform id. All rows share one database (installed once, about a minute) and one
server; the whole matrix takes about 8 minutes on a quiet 2-core machine, the
refusal window included. The table (with the windows used and the load) is printed
at the end whatever happened; exits 1 if a row loses, duplicates or breaks.
"""
import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prove_deployments as base

sys.path.insert(0, base.HERE)
from orderweb.const import MAX_FRAME_BYTES, PULL_RETRIES

PROXY_PORT = base.SIM_PORT + 1
PROXY = 'http://127.0.0.1:%s' % PROXY_PORT
RECOVER_LIMIT = 120.0  # seconds a row waits for its orders after the fault ended
WRONG_KEY = 'pos_' + 'f' * 64  # a fake key the stand-in refuses
SERVER_PORT = base.PORT + 6
SERVER_ARGS = ('--http-port', str(SERVER_PORT), '--max-cron-threads', '1')
CATCH_UP = 200  # orders at once: four batches (IMPORT_BATCH), imported by two threads
ADMIN_ID, ADMIN_PASSWORD = 2, 'admin'  # base.user_admin of a new database


class Relay:
    """A TCP relay to the stand-in. ``down()`` cuts every connection and leaves the port
    closed (connections refused) until ``up()``."""

    def __init__(self, port, upstream_port):
        self.port, self.upstream_port = port, upstream_port
        self._listener = None
        self._open = set()
        self._lock = threading.Lock()

    def up(self):
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self):
        listener, self._listener = self._listener, None
        if listener is None:
            return
        # close() alone leaves a thread blocked in accept() listening on Linux (it took the
        # next connection): shutdown() wakes it and the port refuses at once.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        with self._lock:
            for sock in list(self._open):
                self._close(sock)

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                upstream = socket.create_connection(('127.0.0.1', self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._close(source)
            self._close(target)

    def _close(self, sock):
        self._open.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


class Matrix:

    def __init__(self, options):
        self.options = options
        self.relay = Relay(PROXY_PORT, base.SIM_PORT)
        self.server = None
        self.company_id = None
        self.rows = []

    # --- helpers --------------------------------------------------------------

    def start(self):
        self.server = base.start_server('faults', *SERVER_ARGS)
        self.wait_connected()

    def wait_connected(self, timeout=60):
        connected = base.wait(lambda: base.sim('GET', '/_sim/stats')['connections'] == 1 and base.sql(
            "SELECT 1 FROM orderweb_connection WHERE state = 'connected' AND company_id = %s",
            (self.company_id,)), timeout)
        if not connected:
            raise RuntimeError('the server did not connect within %s s' % timeout)

    def faults(self, **faults):
        base.sim('POST', '/_sim/faults', json=faults)

    def push(self, count=1, pace=0.02, **values):
        ids = []
        for _i in range(count):
            ids.append(base.sim('POST', '/_sim/orders', json=values)['orderId'])
            time.sleep(pace)
        return ids

    def send_frame(self, data_text):
        """A ``new_order`` frame whose data is ``data_text`` as written (a lone surrogate or NUL
        escape stays as it is), sent live only: the stand-in does not list it for the pull."""
        frame = '{"type": "new_order", "timestamp": "2025-11-20T21:00:00.000Z", "data": %s}' % data_text
        base.sim('POST', '/_sim/send', data=frame.encode())

    def store_for_pull(self, data_text):
        """An order the stand-in lists for the pull only, given as raw JSON text."""
        base.sim('POST', '/_sim/orders', params={'push': '0'}, data=data_text.encode())

    def rpc(self, model, method, *args, **kwargs):
        """A model method called as the admin through the running server (JSON-RPC)."""
        response = requests.post('http://127.0.0.1:%s/jsonrpc' % SERVER_PORT, timeout=60, json={
            'jsonrpc': '2.0', 'method': 'call', 'params': {
                'service': 'object', 'method': 'execute_kw',
                'args': [base.DB, ADMIN_ID, ADMIN_PASSWORD, model, method, list(args), kwargs]}})
        response.raise_for_status()
        answer = response.json()
        if 'error' in answer:
            raise RuntimeError('%s.%s: %s' % (model, method, answer['error']['data']['message']))
        return answer['result']

    def reset(self):
        """After a row that broke: no fault left for the next one."""
        self.relay.up()
        base.sql_postgres('ALTER DATABASE "%s" ALLOW_CONNECTIONS true' % base.DB, ())
        self.faults(no_pong=False, pull_error_status=None, pull_delay=0.0, pull_deep=0, pull_trickle=0.0)

    def counts(self, order_ids):
        """{platform id: (log rows, POS orders)} for this company."""
        rows = base.sql("""
            SELECT log.orderweb_id, count(DISTINCT log.id), count(pos.id)
              FROM orderweb_order log LEFT JOIN pos_order pos ON pos.orderweb_order_id = log.id
             WHERE log.company_id = %s AND log.orderweb_id = ANY(%s) GROUP BY log.orderweb_id""",
                        (self.company_id, list(order_ids)))
        found = {orderweb_id: (logs, pos) for orderweb_id, logs, pos in rows}
        return {order_id: found.get(order_id, (0, 0)) for order_id in order_ids}

    def settle(self, order_ids, since, timeout=RECOVER_LIMIT):
        """Wait until each order is imported once; (imported once, lost, duplicated, seconds since ``since``)."""
        deadline = time.monotonic() + timeout
        while True:
            counts = self.counts(order_ids)
            once = sum(1 for logs, pos in counts.values() if logs == 1 and pos == 1)
            duplicated = sum(1 for logs, pos in counts.values() if logs > 1 or pos > 1)
            if once == len(order_ids) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        # a duplicate may come late: look again a moment later
        time.sleep(1.0)
        counts = self.counts(order_ids)
        once = sum(1 for logs, pos in counts.values() if logs == 1 and pos == 1)
        duplicated = sum(1 for logs, pos in counts.values() if logs > 1 or pos > 1)
        return once, len(order_ids) - once - duplicated, duplicated, time.monotonic() - since - 1.0

    def row(self, fault, order_ids, since, note='', timeout=RECOVER_LIMIT):
        once, lost, duplicated, seconds = self.settle(order_ids, since, timeout)
        self.rows.append((fault, len(order_ids), once, lost, duplicated, seconds if not lost else None, note))
        base.log('%s: %d sent, %d imported once, %d lost, %d duplicated', fault, len(order_ids), once, lost,
                 duplicated)

    # --- rows ---------------------------------------------------------------

    def row_ws_drop(self):
        ids = self.push(10)
        base.sim('POST', '/_sim/drop')
        dropped = time.monotonic()
        ids += self.push(10)  # some while nobody listens: the catch-up pull brings them
        self.row('WebSocket dropped mid-burst', ids, dropped)

    def row_refused(self):
        window = self.options.refuse_window
        ids = self.push(5)
        self.relay.down()
        for _i in range(5):  # during the window: connection refused, pulls too
            ids += self.push(1)
            time.sleep(window / 5)
        self.relay.up()
        self.row('connections refused %d s' % window, ids, time.monotonic(),
                 note='TCP refused (relay closed), pulls too; recovery counted from the end')

    def row_no_pong(self):
        before = base.sim('GET', '/_sim/stats')['connections_total']
        self.faults(no_pong=True)
        started = time.monotonic()
        ids = self.push(5)
        # the listener pings every 30 s and gives up 10 s later without a pong
        base.wait(lambda: base.sim('GET', '/_sim/stats')['connections_total'] > before, 60, step=0.5)
        ids += self.push(5)
        self.faults(no_pong=False)
        self.row('pongs stop', ids, started, note='new connection after %.0f s' % (time.monotonic() - started))

    def row_kill_odoo(self):
        ids = self.push(10)
        os.kill(self.server.pid, signal.SIGKILL)
        self.server.wait(10)
        killed = time.monotonic()
        ids += self.push(10)
        self.server = base.start_server('faults', *SERVER_ARGS)
        self.row('Odoo killed -9 mid-burst, restarted', ids, killed)

    def row_postgres_gone(self):
        window = self.options.pg_window
        # Without the pull: what reached Odoo must be stored from memory alone.
        self.faults(pull_error_status=500)
        try:
            ids = self.push(10)
            base.sql_postgres('ALTER DATABASE "%s" ALLOW_CONNECTIONS false' % base.DB, ())
            base.sql_postgres("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = %s AND pid <> pg_backend_pid()", (base.DB,))
            ids += self.push(10, pace=0.01)
            # they reached Odoo: the WebSocket was still open after the last one
            reached = base.sim('GET', '/_sim/stats')['connections'] == 1
            time.sleep(window)
            base.sql_postgres('ALTER DATABASE "%s" ALLOW_CONNECTIONS true' % base.DB, ())
            back = time.monotonic()
            self.row('PostgreSQL connections killed, refused %d s' % window, ids, back,
                     note='pull answering 500 throughout' + ('' if reached else '; WebSocket closed during the burst'))
        finally:
            base.sql_postgres('ALTER DATABASE "%s" ALLOW_CONNECTIONS true' % base.DB, ())
            self.faults(pull_error_status=None)
        self.wait_connected()

    def row_catch_up_postgres_gone(self):
        # A catch-up of four batches is mapped by two threads: their connections die mid-mapping.
        ids = self.push(CATCH_UP, pace=0)
        importing = base.wait(lambda: 50 <= self.imported(ids) < CATCH_UP - 50, 60, step=0.05)
        base.sql_postgres("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (base.DB,))
        when = '%d imported' % self.imported(ids) if importing else "the import NOT under way"
        self.row('catch-up of %d, PostgreSQL connections killed mid-import' % CATCH_UP, ids, time.monotonic(),
                 note='killed with %s' % when)

    def imported(self, order_ids):
        return base.sql("SELECT count(*) FROM orderweb_order WHERE company_id = %s AND orderweb_id = ANY(%s) "
                        "AND state = 'done'", (self.company_id, list(order_ids)))[0][0]

    def row_two_servers(self):
        second = base.start_server('faults_b', '--http-port', str(base.PORT + 7), '--max-cron-threads', '2')
        try:
            login = 'http://127.0.0.1:%s/web/login' % (base.PORT + 7)
            if not base.wait(lambda: requests.get(login, timeout=10).ok, 90):
                raise RuntimeError('the second server did not answer within 90 s')
            started = time.monotonic()
            ids = self.push(5, pace=0)
            # the same orders pulled at once by the cron (either server) and by the holder's catch-up pull
            base.sql("UPDATE res_company SET orderweb_last_pull_at = NULL WHERE id = %s", (self.company_id,))
            base.sql("INSERT INTO ir_cron_trigger (cron_id, call_at) SELECT res_id, now() at time zone 'utc' "
                     "FROM ir_model_data WHERE module = 'pos_orderweb' AND name = 'ir_cron_orderweb_pull'; "
                     "NOTIFY cron_trigger, %s", (base.DB,))
            base.sim('POST', '/_sim/drop')
            ids += self.push(5, pace=0)
            self.row('pushed and pulled, two servers', ids, started,
                     note='push + catch-up pull + cron pull, 2 servers on one database')
        finally:
            base.stop_server(second, 'second server')

    def row_poison(self):
        marker = uuid.uuid4().hex[:8]
        started = time.monotonic()
        ids = self.push(5)
        # A whole order but for a name cut in the middle of an emoji (a lone surrogate, as
        # JavaScript writes it), and an unreadable order with a NUL in its id: live and pulled;
        # and a frame over the listener's bound, live.
        numbers = ['SURR-P-' + marker, 'NUL-P-' + marker, 'SURR-L-' + marker, 'NUL-L-' + marker, 'BIG-P-' + marker]
        self.send_frame(surrogate_order(str(uuid.uuid4()), numbers[0]))
        self.send_frame('{"orderId": "bad\\u0000%s", "orderNumber": "%s", "items": "x"}' % (marker, numbers[1]))
        self.send_frame('{"orderId": "big-%s", "orderNumber": "%s", "specialInstructions": "%s"}' % (
            marker, numbers[4], 'x' * MAX_FRAME_BYTES))
        self.store_for_pull(surrogate_order(str(uuid.uuid4()), numbers[2]))
        self.store_for_pull('{"orderId": "bad\\u0000l%s", "orderNumber": "%s", "items": "x"}' % (marker, numbers[3]))
        ids += self.push(5)
        base.sim('POST', '/_sim/drop')  # the catch-up pull lists the pulled poison
        ids += self.push(5)
        once, lost, duplicated, seconds = self.settle(ids, started, timeout=45)
        def logged():
            return [base.sql("SELECT count(*) FROM orderweb_order WHERE company_id = %s AND payload LIKE %s",
                             (self.company_id, '%' + number + '%'))[0][0] for number in numbers]
        base.wait(lambda: all(logged()), 30)
        kept = logged()
        logged_once = sum(1 for count in kept if count == 1)
        lost += sum(1 for count in kept if count == 0)
        duplicated += sum(1 for count in kept if count > 1)
        big_reason = base.sql("SELECT error FROM orderweb_order WHERE company_id = %s AND orderweb_id = %s",
                              (self.company_id, 'big-' + marker))
        big_said = bool(big_reason) and 'over the limit' in (big_reason[0][0] or '')
        self.rows.append(('poison orders mid-burst (push+pull)', len(ids) + len(numbers), once + logged_once, lost,
                          duplicated, seconds if not lost else None,
                          'lone surrogate, NUL in id (push, pull), oversized frame (push): %d/%d logged once%s' % (
                              logged_once, len(numbers), '' if big_said else '; oversized reason NOT shown')))

    def row_no_session(self):
        main_shop = self.rpc('res.company', 'read', [self.company_id], ['orderweb_pos_config_id'])[0][
            'orderweb_pos_config_id'][0]
        shop = self.rpc('pos.config', 'create', {'name': 'OrderWeb fault shop %s' % uuid.uuid4().hex[:6],
                                                 'company_id': self.company_id})
        self.rpc('res.company', 'write', [self.company_id], {'orderweb_pos_config_id': shop})
        try:
            ids = self.push(5)
            waiting = base.wait(lambda: base.sql(
                "SELECT count(*) FROM orderweb_order WHERE orderweb_id = ANY(%s) AND state = 'waiting'",
                (ids,))[0][0] == len(ids), 30)
            self.rpc('pos.config', 'open_ui', [shop])
            opened = time.monotonic()
            self.row('no open session', ids, opened,
                     note='%s, imported once a session opened' % ('waited' if waiting else 'did NOT wait'))
        finally:
            self.rpc('res.company', 'write', [self.company_id], {'orderweb_pos_config_id': main_shop})

    def row_unknown_product(self):
        marker = uuid.uuid4().hex[:8]
        started = time.monotonic()
        ids = self.push(3, items=[{'id': 'item-mystery-' + marker, 'name': 'Mystery dish ' + marker,
                                   'price': 9.5, 'quantity': 1, 'selectedAddons': []}])
        once, lost, duplicated, seconds = self.settle(ids, started)
        fallback = base.sql("""
            SELECT count(*) FROM pos_order_line line JOIN pos_order pos ON pos.id = line.order_id
              JOIN orderweb_order log ON log.id = pos.orderweb_order_id
             WHERE log.orderweb_id = ANY(%s) AND line.product_id = COALESCE(
                   (SELECT orderweb_item_product_id FROM res_company WHERE id = %s),
                   (SELECT res_id FROM ir_model_data WHERE module = 'pos_orderweb' AND name = 'product_orderweb_item'))
        """, (ids, self.company_id))[0][0]
        self.rows.append(('unknown product', len(ids), once, lost, duplicated, seconds if not lost else None,
                          '%d/%d on the fallback product' % (fallback, len(ids))))

    def row_key_refused(self):
        (good_key,), = base.sql("SELECT orderweb_api_key FROM res_company WHERE id = %s", (self.company_id,))
        base.sql("UPDATE res_company SET orderweb_api_key = %s WHERE id = %s", (WRONG_KEY, self.company_id))
        try:
            shown = base.wait(lambda: base.sql("SELECT state FROM orderweb_connection WHERE company_id = %s",
                                               (self.company_id,))[0][0] == 'key_refused', 40)
            ids = self.push(5)  # held by the platform meanwhile
        finally:
            base.sql("UPDATE res_company SET orderweb_api_key = %s WHERE id = %s", (good_key, self.company_id))
        fixed = time.monotonic()
        self.row('key refused, then fixed', ids, fixed,
                 note='status %s key_refused; counted from the fix' % ('showed' if shown else 'did NOT show'))

    def row_pull_faults(self):
        started = time.monotonic()
        self.faults(pull_error_status=500)
        pulls = base.sim('GET', '/_sim/stats')['pulls']
        base.sim('POST', '/_sim/drop')
        ids = self.push(5)  # while reconnecting: only a pull brings these
        self.wait_connected()
        ids += self.push(5)  # live while the pull fails
        # the catch-up pull failed (all its attempts answered 500) before the platform recovers
        failed = base.wait(lambda: base.sim('GET', '/_sim/stats')['pulls'] >= pulls + 1 + PULL_RETRIES, 30)
        self.faults(pull_error_status=None, pull_delay=8.0)
        base.sim('POST', '/_sim/drop')
        self.wait_connected()
        ids += self.push(5)  # live while a slow pull runs
        try:
            self.row('pull answering 500, then slowly (8 s)', ids, started,
                     note='catch-up pull %s, then a slow one' % ('failed' if failed else 'did NOT fail'))
        finally:
            self.faults(pull_delay=0.0)

    def row_race(self):
        """The same new customers' orders pushed and pulled at once: whichever path loses a race
        on an order or a customer imports it again at once; none waits for the next scheduled pull
        (nor the import cron's next run)."""
        connection = self.rpc('orderweb.connection', 'search', [('company_id', '=', self.company_id)])
        interval = self.rpc('res.company', 'read', [self.company_id], ['orderweb_pull_interval'])[0][
            'orderweb_pull_interval']
        self.rpc('res.company', 'write', [self.company_id], {'orderweb_pull_interval': 600})  # no scheduled pull
        marker = uuid.uuid4().hex[:6]
        started = time.monotonic()
        ids = []
        pulling = threading.Event()

        def pull_meanwhile():
            while not pulling.is_set():
                self.rpc('orderweb.connection', 'action_pull_now', connection)
        puller = threading.Thread(target=pull_meanwhile)
        puller.start()
        try:
            for index in range(8):  # two orders per new customer, one of them with an e-mail
                phone = '+4477009%05d' % (int(marker, 16) % 90000 + index)
                ids += self.push(1, pace=0, customerName='Race %s %s' % (marker, index), customerPhone=phone,
                                 customerEmail='race%s%s@example.com' % (marker, index))
                ids += self.push(1, pace=0, customerName='Race %s %s' % (marker, index), customerPhone=phone)
        finally:
            time.sleep(2)
            pulling.set()
            puller.join()
        try:
            once, lost, duplicated, seconds = self.settle(ids, started, timeout=30)
        finally:
            self.rpc('res.company', 'write', [self.company_id], {'orderweb_pull_interval': interval})
        contacts = base.sql("SELECT count(*) FROM res_partner WHERE name LIKE %s", ('Race %s %%' % marker,))[0][0]
        self.rows.append(('pushed and pulled at once', len(ids), once, lost, duplicated, seconds if not lost else None,
                          'new customers, within 30 s (no scheduled pull); %d contacts for 8 customers%s'
                          % (contacts, '' if contacts == 8 else ' NOT one each')))

    def row_deep_pull(self):
        """Hole 4: the catch-up pull's answer holds an order nested 5,000 deep."""
        self.faults(pull_deep=5000)
        try:
            started = time.monotonic()
            ids = self.push(5)
            base.sim('POST', '/_sim/drop')
            ids += self.push(5, pace=0)  # while reconnecting: only the pull brings these
            self.wait_connected()
            ids += self.push(5)
            once, lost, duplicated, seconds = self.settle(ids, started)
            kept = base.wait(lambda: base.sql(
                "SELECT count(*) FROM orderweb_order WHERE company_id = %s AND state = 'error' AND payload LIKE %s",
                (self.company_id, '%deep-5000%'))[0][0] == 1, 30)
        finally:
            self.faults(pull_deep=0)
        self.rows.append(('order nested 5,000 deep in a pull', len(ids), once, lost, duplicated,
                          seconds if not lost else None,
                          'the deep one %s' % ('kept once, in error' if kept else 'NOT kept')))

    def row_trickling_pull(self):
        """Hole 5: the catch-up pull's answer trickles in (a byte every 0.5 s, minutes in all):
        orders pushed meanwhile are imported at once, the pull gives up at its deadline."""
        def failed_pulls():
            counted = base.sql("SELECT 1 FROM information_schema.columns WHERE table_name = 'orderweb_connection' "
                               "AND column_name = 'pull_failure_count'")
            if not counted:  # a version of the addon that does not count them
                return None
            return base.sql("SELECT coalesce(sum(pull_failure_count), 0) FROM orderweb_connection "
                            "WHERE company_id = %s", (self.company_id,))[0][0]
        failed_before = failed_pulls()
        self.faults(pull_trickle=0.5)
        try:
            base.sim('POST', '/_sim/drop')
            self.wait_connected()  # its catch-up pull now trickles
            started = time.monotonic()
            ids = self.push(5)
            once, lost, duplicated, seconds = self.settle(ids, started, timeout=15)
            noted = failed_before is not None and base.wait(lambda: failed_pulls() > failed_before, 60)
        finally:
            self.faults(pull_trickle=0.0)
        self.rows.append(('pull answer trickling (1 byte / 0.5 s)', len(ids), once, lost, duplicated,
                          seconds if not lost else None,
                          'pushed orders imported during the pull; pull %s' % (
                              'given up at its deadline and counted' if noted else 'NOT given up')))

    def row_bad_timestamp(self):
        """Hole 6: an order whose createdAt Python cannot hold, live, between good ones."""
        marker = uuid.uuid4().hex[:8]
        connections = base.sim('GET', '/_sim/stats')['connections_total']
        started = time.monotonic()
        ids = self.push(3)
        self.send_frame(json.dumps({'orderId': 'badtime-' + marker, 'orderNumber': 'TIME-' + marker,
                                    'createdAt': '0001-01-01T00:00:00+01:00', 'totalAmount': 10.5,
                                    'items': [{'name': 'Margherita pizza', 'price': 10.5, 'quantity': 1}]}))
        ids += self.push(3, pace=0)  # right after it, on the same socket
        once, lost, duplicated, seconds = self.settle(ids, started, timeout=20)
        kept = base.wait(lambda: base.sql(
            "SELECT count(*) FROM orderweb_order WHERE orderweb_id = %s AND state = 'error' AND error LIKE %s",
            ('badtime-' + marker, '%createdAt%'))[0][0] == 1, 20)
        same_socket = base.sim('GET', '/_sim/stats')['connections_total'] == connections
        self.rows.append(('createdAt year 1 (+01:00), live', len(ids), once, lost, duplicated,
                          seconds if not lost else None, 'bad one %s; link %s' % (
                              'in error with its reason' if kept else 'NOT kept',
                              'kept' if same_socket else 'NOT kept (reconnected)')))

    ROWS = {
        'ws-drop': row_ws_drop, 'refused': row_refused, 'no-pong': row_no_pong, 'kill-odoo': row_kill_odoo,
        'postgres': row_postgres_gone, 'catch-up-postgres': row_catch_up_postgres_gone,
        'two-servers': row_two_servers, 'poison': row_poison,
        'no-session': row_no_session, 'unknown-product': row_unknown_product, 'key-refused': row_key_refused,
        'pull': row_pull_faults, 'race': row_race, 'deep-pull': row_deep_pull,
        'trickling-pull': row_trickling_pull, 'bad-timestamp': row_bad_timestamp,
    }

    def run(self, names):
        for name in names or self.ROWS:
            base.log('--- %s', name)
            started, first = time.monotonic(), len(self.rows)
            try:
                self.ROWS[name](self)
                if self.server.poll() is not None:
                    raise RuntimeError('the server died')
                self.wait_connected()
            except (Exception, SystemExit) as error:  # a failed check() exits: the table says which row broke
                base.log('row %s broke: %r', name, error)
                self.rows.append((name, 0, 0, 0, 0, None, 'BROKE: %s' % (error or type(error).__name__)))
                try:
                    if self.server.poll() is not None:
                        self.start()
                    self.reset()
                except Exception as second:
                    base.log('could not recover from row %s: %r', name, second)
            took = time.monotonic() - started
            self.rows[first:] = [(*row, took) for row in self.rows[first:]]
            base.log('row took %.0f s', took)

    def table(self):
        header = ('fault', 'sent', 'imported once', 'lost', 'duplicated', 'recovered in', 'row took', 'note')
        lines = [header] + [(fault, str(sent), str(once), str(lost), str(duplicated),
                             '%.1f s' % seconds if seconds is not None else '-', '%.0f s' % took, note)
                            for fault, sent, once, lost, duplicated, seconds, note, took in self.rows]
        widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
        for index, line in enumerate(lines):
            print(' | '.join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
            if index == 0:
                print('-+-'.join('-' * width for width in widths))

    def failed(self):
        return [row for row in self.rows if row[3] or row[4] or row[2] != row[1] or row[6].startswith('BROKE')
                or ' NOT ' in row[6]]


def surrogate_order(order_id, number):
    """A whole order as JSON text whose customer name ends in a lone surrogate."""
    # created now: the pull lists the newest orders only
    created = datetime.now(timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
    order = {'orderId': order_id, 'orderNumber': number, 'customerName': 'NAME', 'customerPhone': '+447700900123',
             'orderType': 'pickup', 'totalAmount': 10.5, 'createdAt': created,
             'items': [{'id': 'item-margherita', 'name': 'Margherita pizza', 'price': 10.5, 'quantity': 1,
                        'selectedAddons': []}]}
    return json.dumps(order).replace('"NAME"', '"Zoe \\ud83d"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--refuse-window', type=float, default=float(os.environ.get('OW_REFUSE_WINDOW', '60')),
                        help='seconds during which connections are refused (default 60)')
    parser.add_argument('--pg-window', type=float, default=8.0,
                        help='seconds during which PostgreSQL refuses connections to the database')
    parser.add_argument('rows', nargs='*', metavar='ROW',
                        help='rows to run (default all): %s' % ', '.join(Matrix.ROWS))
    options = parser.parse_args()
    unknown = set(options.rows) - set(Matrix.ROWS)
    if unknown:
        parser.error('unknown rows: %s' % ', '.join(sorted(unknown)))
    matrix = Matrix(options)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    stopped_by = None
    stand_in = base.start_stand_in()
    try:
        try:
            matrix.relay.up()
            base.prepare_database(url=PROXY)
            (matrix.company_id,), = base.sql("SELECT id FROM res_company WHERE orderweb_enabled LIMIT 1")
            matrix.start()
            matrix.run(options.rows)
        finally:
            if matrix.server and matrix.server.poll() is None:
                matrix.server.send_signal(signal.SIGINT)
                try:
                    matrix.server.wait(30)
                except subprocess.TimeoutExpired:
                    matrix.server.kill()
            matrix.relay.down()
            stand_in.terminate()
            stand_in.wait(10)
    except (Exception, SystemExit, KeyboardInterrupt) as error:  # the table is printed whatever happened
        stopped_by = error
        base.log('the matrix stopped early: %r', error)
    failed = matrix.failed()
    print()
    print('Fault matrix: refusal window %g s, PostgreSQL refusal window %g s; %d rows, %.0f s in all; '
          'load average %.1f before, %.1f after, %d CPUs' % (
              options.refuse_window, options.pg_window, len(matrix.rows), time.monotonic() - started,
              load_before, os.getloadavg()[0], os.cpu_count()))
    matrix.table()
    base.log('fault matrix: %d failed%s', len(failed), ', stopped early' if stopped_by is not None else '')
    sys.exit(1 if failed or stopped_by is not None else 0)


if __name__ == '__main__':
    main()
