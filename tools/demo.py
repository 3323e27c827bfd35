"""One-command demo (``make demo``): OrderWeb orders flowing live into a POS session.

Starts the OrderWeb stand-in, creates the demo database with the addon and demo
data (once), points the company at the stand-in, opens a POS session, starts Odoo
and then pushes a new order every 20-30 s; the stand-in's three sample orders
come in first, through the catch-up pull of the first connection. Ctrl+C stops
everything. Run with your Odoo's Python (``make demo`` finds it, see tools/odoo_env.py).

Environment: OW_DEMO_DB (orderweb_demo), OW_DEMO_PORT (8069), OW_SIM_PORT (9011).
"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import psycopg2
import requests
from odoo_env import OdooNotFound, demo_data_options, odoo_command

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = os.environ.get('OW_DEMO_DB', 'orderweb_demo')
PORT = int(os.environ.get('OW_DEMO_PORT', '8069'))
SIM_PORT = int(os.environ.get('OW_SIM_PORT', '9011'))
SIM = 'http://127.0.0.1:%s' % SIM_PORT
KEY = 'pos_0000000000000000deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef'  # the stand-in's fake key
TENANT = 'kitchen'
LOGFILE = os.path.join(tempfile.gettempdir(), 'pos_orderweb_demo.log')
# Seconds Odoo may take to answer its first page (it loads its registry first): generous, so
# that a slow machine or a busy hour only waits longer.
ODOO_START_TIMEOUT = 300

CONFIGURE = """
company = env.company
config = env['pos.config'].search([('company_id', '=', company.id)], limit=1)
company.write({'orderweb_url': %r, 'orderweb_tenant': %r, 'orderweb_api_key': %r,
               'orderweb_target': 'pos', 'orderweb_pos_config_id': config.id, 'orderweb_enabled': True})
if not config.current_session_id:
    config.with_user(env.ref('base.user_admin')).open_ui()
env.cr.commit()
print(config.name)
"""


def say(message, *args):
    print('[demo] ' + message % args, flush=True)


def database_exists():
    # libpq reads PGHOST, PGUSER, PGPORT itself; 127.0.0.1 and root as odoo_command() does.
    with psycopg2.connect(dbname='postgres', host=os.environ.get('PGHOST', '127.0.0.1'),
                          user=os.environ.get('PGUSER', 'root')) as cnx, cnx.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,))
        return bool(cr.fetchone())


def wait_http(url, timeout, process=None, **kw):
    """Whether ``url`` answers within ``timeout`` seconds. Until then, anything that is not an
    answer (refused, reset, a slow first request while Odoo loads its registry) means "not
    yet": how fast this machine is never decides. False at once if ``process`` ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            if requests.get(url, timeout=min(30, max(deadline - time.monotonic(), 1)), **kw).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def push_order():
    response = requests.post(SIM + '/_sim/orders', params={'tenant': TENANT}, json={},
                             headers={'Authorization': 'Bearer ' + KEY}, timeout=5)
    response.raise_for_status()
    return response.json()


def main():
    try:
        odoo = odoo_command()
    except OdooNotFound as error:
        raise SystemExit(str(error)) from None
    children = []
    # Own sessions: Ctrl+C reaches this script only, which then stops each child once
    # (a second SIGINT would force Odoo's shutdown).
    stand_in = subprocess.Popen([sys.executable, '-m', 'orderweb.simulator', '--port', str(SIM_PORT)], cwd=HERE,
                                stdout=subprocess.DEVNULL, start_new_session=True)
    children.append(stand_in)
    try:
        if not wait_http(SIM + '/_sim/stats', 10, params={'tenant': TENANT},
                         headers={'Authorization': 'Bearer ' + KEY}):
            raise SystemExit('the OrderWeb stand-in did not start on port %s' % SIM_PORT)
        if not database_exists():
            say('creating database %s with pos_orderweb and demo data (a minute or two)...', DB)
            subprocess.run(odoo + ['-d', DB, '-i', 'pos_orderweb', *demo_data_options(), '--stop-after-init',
                                   '--no-http', '--log-level=warn'], check=True)
        shop = subprocess.run([odoo[0], 'shell', *odoo[1:], '-d', DB, '--no-http', '--log-level=warn'],
                              input=CONFIGURE % (SIM, TENANT, KEY), text=True, check=True,
                              capture_output=True).stdout.strip().splitlines()[-1]
        say('company configured for the stand-in at %s; POS session of "%s" open', SIM, shop)
        server = subprocess.Popen(odoo + ['-d', DB, '--http-port', str(PORT), '--logfile', LOGFILE],
                                  start_new_session=True)
        children.append(server)
        if not wait_http('http://localhost:%s/web/login' % PORT, ODOO_START_TIMEOUT, process=server):
            raise SystemExit('Odoo did not answer on port %s within %s s%s: see its log, %s' % (
                PORT, ODOO_START_TIMEOUT, ' (it stopped)' if server.poll() is not None else '', LOGFILE))
        say('Odoo is up. Log in at http://localhost:%s/odoo/action-pos_orderweb.action_orderweb_connection '
            '(login admin, password admin)', PORT)
        say('online orders: http://localhost:%s/odoo/action-pos_orderweb.action_orderweb_order ; '
            'the POS orders of the session: Point of Sale > Orders', PORT)
        say('Odoo log: %s', LOGFILE)
        say('the 3 sample orders arrive with the first connection; a new order every 20-30 s. Ctrl+C stops.')
        while server.poll() is None:
            time.sleep(random.uniform(20, 30))
            try:
                order = push_order()
            except requests.RequestException as error:
                say('the stand-in did not take a new order (%s); trying again later', error)
                continue
            say('pushed %s (%s, %.2f)', order['orderNumber'], order['customerName'], order['totalAmount'])
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
        say('stopped')


if __name__ == '__main__':
    main()
