"""Prove the live listener in real Odoo server processes sharing one database.

    make prove   # or: <your Odoo's python> tools/prove_deployments.py [threaded] [prefork] [two-servers]

Each mode starts the OrderWeb stand-in and real ``odoo`` servers on a committed
database (created once with the addon), then checks with the stand-in's
connection counter: exactly one WebSocket at all times; ``kill -9`` of the
holder -> another process holds it within 60 s; every order pushed meanwhile is
imported once; a SIGINT stops the server within seconds with no connection left.
Exits 1 on the first failed check. Database ``$OW_PROVE_DB`` (ow_run_prove), HTTP
ports from ``$OW_PROVE_PORT`` (8272-8279), the stand-in on ``$OW_PROVE_SIM_PORT``
(9272); Odoo is ``$ODOO_BIN``, else ``odoo`` on PATH (tools/odoo_env.py). tools/prove_faults.py shares
these helpers.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import odoo_env  # tools/odoo_env.py: the user's Odoo, never one we install
import psycopg2
import requests

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = os.environ.get('OW_PROVE_DB', 'ow_run_prove')
PORT = int(os.environ.get('OW_PROVE_PORT', '8272'))
SIM_PORT = int(os.environ.get('OW_PROVE_SIM_PORT', '9272'))
SIM = 'http://127.0.0.1:%s' % SIM_PORT
KEY = 'pos_0000000000000000deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef'  # the stand-in's fake key
TENANT = 'kitchen'
ODOO = odoo_env.odoo_command('--http-interface', '127.0.0.1')
ODOO_BIN = ODOO[0]
TAKEOVER_LIMIT = 60.0

CONFIGURE = """
company = env.company
# A database without demo data (19.0's default) has no shop yet.
config = env['pos.config'].search([('company_id', '=', company.id)], limit=1) or env['pos.config'].create(
    {'name': 'OrderWeb proof'})
if not config.current_session_id:
    config.with_user(env.ref('base.user_admin')).open_ui()
company.write({'orderweb_url': %r, 'orderweb_tenant': %r, 'orderweb_api_key': %r,
               'orderweb_target': 'pos', 'orderweb_pos_config_id': config.id, 'orderweb_enabled': True})
env.cr.commit()
"""


def log(message, *args):
    print('[prove] ' + message % args, flush=True)


def check(condition, message, *args):
    if not condition:
        log('FAILED: ' + message, *args)
        raise SystemExit(1)
    log('ok: ' + message, *args)


def sim(method, path, **kw):
    response = requests.request(method, SIM + path, params={'tenant': TENANT, **kw.pop('params', {})},
                                headers={'Authorization': 'Bearer ' + KEY}, timeout=5, **kw)
    response.raise_for_status()
    return response.json()


def sql(query, params=()):
    with psycopg2.connect(dbname=DB, host='127.0.0.1', user=os.environ.get('PGUSER', 'root')) as cnx, \
            cnx.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else None


def holder_pid():
    rows = sql("SELECT holder FROM orderweb_connection WHERE state = 'connected'")
    return int(rows[0][0].rsplit(':', 1)[1]) if rows and rows[0][0] else None


def wait(condition, timeout, step=0.2):
    """The first truthy value of ``condition()`` within ``timeout`` s, else its last value (None
    if it failed): a server still starting may refuse, or accept and answer late."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (requests.RequestException, psycopg2.OperationalError):
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def odoo_shell(code):
    """Run ``code`` in ``odoo shell`` on the database (it commits itself)."""
    subprocess.run([ODOO_BIN, 'shell', *odoo_env.odoo_command()[1:], '-d', DB, '--no-http'],
                   input=code, text=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def prepare_database(url=SIM):
    exists = sql_postgres("SELECT 1 FROM pg_database WHERE datname = %s", (DB,))
    if not exists:
        install_log = log_path('install')
        log('creating %s with pos_orderweb (about a minute, log %s)', DB, install_log)
        with open(install_log, 'w') as output:
            subprocess.run(ODOO + ['-d', DB, '-i', 'pos_orderweb', '--stop-after-init', '--no-http'],
                           check=True, stdout=output, stderr=subprocess.STDOUT)
    odoo_shell(CONFIGURE % (url, TENANT, KEY))


def sql_postgres(query, params):
    with psycopg2.connect(dbname='postgres', host='127.0.0.1', user=os.environ.get('PGUSER', 'root')) as cnx, \
            cnx.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else None


def log_path(name):
    return os.path.join(tempfile.gettempdir(), 'ow_prove_%s_%s.log' % (DB, name))


def start_server(name, *args):
    with open(log_path(name), 'a') as out:
        process = subprocess.Popen(ODOO + ['-d', DB, *args], stdout=out, stderr=subprocess.STDOUT)
    log('%s: odoo %s (pid %s, log %s)', name, ' '.join(args), process.pid, log_path(name))
    return process


def stop_server(process, name):
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        check(False, '%s did not stop within 30 s', name)
    elapsed = time.monotonic() - started
    check(elapsed < 10, '%s stopped in %.1f s after SIGINT', name, elapsed)


def push_orders(count):
    return [sim('POST', '/_sim/orders', json={})['orderId'] for _i in range(count)]


def assert_imported_once(order_ids, timeout=30):
    def imported():
        rows = sql("SELECT orderweb_id, count(*), bool_and(pos_order_id IS NOT NULL) FROM orderweb_order "
                   "WHERE orderweb_id = ANY(%s) GROUP BY orderweb_id", (order_ids,))
        return len(rows) == len(order_ids) and all(n == 1 and ok for _id, n, ok in rows) and rows
    rows = wait(imported, timeout)
    check(bool(rows), '%d orders imported once each as POS orders (no loss, no duplicate)', len(order_ids))


def watch_connections(seconds):
    """The highest number of open WebSockets seen while polling the stand-in."""
    most, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        most = max(most, sim('GET', '/_sim/stats')['connections'])
        time.sleep(0.1)
    return most


def kill_holder_and_take_over(server_pids):
    pid = holder_pid()
    check(pid in server_pids(), 'the connection is held by a server process (pid %s)', pid)
    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    during = push_orders(3)  # pushed while nobody may be listening: only the catch-up pull brings them
    new_pid = wait(lambda: (holder_pid() not in (None, pid)) and sim('GET', '/_sim/stats')['connections'] == 1
                   and holder_pid(), TAKEOVER_LIMIT + 5)
    elapsed = time.monotonic() - killed_at
    check(new_pid and elapsed <= TAKEOVER_LIMIT, 'kill -9 of %s: pid %s holds the connection %.1f s later',
          pid, new_pid, elapsed)
    assert_imported_once(during)
    check(watch_connections(3) == 1, 'still exactly one WebSocket after the takeover')


def mode_threaded():
    server = start_server('threaded', '--http-port', str(PORT))
    try:
        check(wait(lambda: sim('GET', '/_sim/stats')['connections'] == 1, 30), 'threaded server connected')
        assert_imported_once(push_orders(3))
        check(watch_connections(3) == 1, 'exactly one WebSocket')
    finally:
        stop_server(server, 'threaded server')
    check(sim('GET', '/_sim/stats')['connections'] == 0, 'no WebSocket left after the stop')


def mode_prefork():
    server = start_server('prefork', '--http-port', str(PORT + 1), '--gevent-port', str(PORT + 2), '--workers', '2',
                          '--limit-request', '5', '--max-cron-threads', '1', '--load', 'base,web,pos_orderweb')

    def children():
        out = subprocess.run(['pgrep', '-P', str(server.pid)], check=False, capture_output=True, text=True).stdout
        return {int(pid) for pid in out.split()}
    try:
        # Connected, and said so in the status: the holder writes it a moment after the handshake.
        before = wait(lambda: sim('GET', '/_sim/stats')['connections'] == 1 and holder_pid(), 40)
        check(before, 'prefork server connected, held by pid %s', before)
        for _i in range(30):  # recycles the HTTP workers (limit_request 5)
            requests.get('http://127.0.0.1:%s/web/login' % (PORT + 1), timeout=10)
        check(holder_pid() == before and watch_connections(2) == 1,
              'HTTP workers recycled by limit_request: same holder %s, one WebSocket', before)
        assert_imported_once(push_orders(3))
        kill_holder_and_take_over(children)
    finally:
        stop_server(server, 'prefork server')
    check(sim('GET', '/_sim/stats')['connections'] == 0, 'no WebSocket left after the stop')


def mode_two_servers():
    servers = [start_server('server_a', '--http-port', str(PORT + 3)),
               start_server('server_b', '--http-port', str(PORT + 4), '--workers', '2', '--gevent-port', str(PORT + 5),
                            '--load', 'base,web,pos_orderweb', '--max-cron-threads', '1')]

    def pids():
        found = {s.pid for s in servers}
        for s in servers:
            out = subprocess.run(['pgrep', '-P', str(s.pid)], check=False, capture_output=True, text=True).stdout
            found.update(int(pid) for pid in out.split())
        return found
    try:
        check(wait(lambda: sim('GET', '/_sim/stats')['connections'] == 1 and holder_pid(), 40),
              'one of two servers connected')
        check(watch_connections(12) == 1, 'exactly one WebSocket for two servers over 12 s')
        assert_imported_once(push_orders(5))
        kill_holder_and_take_over(pids)
    finally:
        for server, name in zip(servers, ('server_a', 'server_b'), strict=False):
            if server.poll() is None:
                stop_server(server, name)
    check(sim('GET', '/_sim/stats')['connections'] == 0, 'no WebSocket left after the stop')


def mode_no_database():
    """Loaded server-wide on a server where no database is selected for the request (several,
    none for this host; here: a filter that matches none), health and metrics refuse: 403, no
    traceback."""
    port = PORT + 7
    with open(log_path('no_database'), 'w') as out:
        server = subprocess.Popen(
            [*odoo_env.odoo_command('--http-interface', '127.0.0.1'), '--http-port', str(port),
             '--load', 'base,web,pos_orderweb', '--db-filter', '^ow_prove_no_such_database$',
             '--max-cron-threads', '0'],
            stdout=out, stderr=subprocess.STDOUT)
    try:
        check(wait(lambda: requests.get('http://127.0.0.1:%s/web/health' % port, timeout=2).ok, 30),
              'server without a database up')
        for path in ('/orderweb/health', '/orderweb/metrics'):
            status = requests.get('http://127.0.0.1:%s%s' % (port, path), timeout=10,
                                  headers={'Authorization': 'Bearer anything'}).status_code
            check(status == 403, 'no database selected: %s answers %s', path, status)
    finally:
        stop_server(server, 'server without a database')
    with open(log_path('no_database')) as out:
        check('Traceback' not in out.read(), 'no traceback in its log')


MODES = {'threaded': mode_threaded, 'prefork': mode_prefork, 'two-servers': mode_two_servers,
         'no-database': mode_no_database}


def start_stand_in():
    # The stand-in must be ours: another run's on this port would answer the checks, then vanish.
    with socket.socket() as probe:
        try:
            probe.bind(('127.0.0.1', SIM_PORT))
        except OSError:
            raise SystemExit('port %s of the stand-in is taken by another process' % SIM_PORT) from None
    stand_in = subprocess.Popen([sys.executable, '-m', 'orderweb.simulator', '--port', str(SIM_PORT), '--empty'],
                                cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait(lambda: requests.get(SIM + '/_sim/stats', params={'tenant': TENANT},
                              headers={'Authorization': 'Bearer ' + KEY}, timeout=1).ok, 10)
    return stand_in


def main(modes):
    stand_in = start_stand_in()
    try:
        prepare_database()
        for mode in modes or MODES:
            log('--- %s', mode)
            MODES[mode]()
    finally:
        stand_in.terminate()
        stand_in.wait(10)
    log('all checks passed')


if __name__ == '__main__':
    main(sys.argv[1:])
