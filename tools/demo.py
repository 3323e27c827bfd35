"""One-command demo (``make demo``): a UK restaurant's evening of OrderWeb orders, live in its POS.

Starts the OrderWeb stand-in, creates the demo database once: a restaurant company in GBP, in British English, with
the UK chart of accounts (VAT included in prices, as menus show them), Odoo's restaurant shop
(floor plan, kitchen tickets) and the stand-in's menu as products, so that most items map.
Then it points the company at the stand-in, opens the shop's session, starts Odoo and sends an
evening: an order for now, one for later, one with a peanut allergy, one with an item the menu
does not know, a returning customer (phone written another way), one whose push is lost (the
pull brings it), then an order every 20-30 s, a few of them for later. Ctrl+C or SIGTERM (also
when started in the background) stops the stand-in, the order feed and Odoo.
Run with your Odoo's Python (``make demo`` finds it, see tools/odoo_env.py).

Environment: OW_DEMO_DB (orderweb_demo), OW_DEMO_PORT (8069), OW_SIM_PORT (9011).
"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import psycopg2
import requests
from odoo_env import OdooNotFound, no_demo_data_options, odoo_command

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE)
from orderweb.simulator.data import MENU  # noqa: E402  (the stand-in's menu: the restaurant's products)

DB = os.environ.get('OW_DEMO_DB', 'orderweb_demo')
PORT = int(os.environ.get('OW_DEMO_PORT', '8069'))
SIM_PORT = int(os.environ.get('OW_SIM_PORT', '9011'))
SIM = 'http://127.0.0.1:%s' % SIM_PORT
KEY = 'pos_0000000000000000deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef'  # the stand-in's fake key
TENANT = 'kitchen'
LOGFILE = os.path.join(tempfile.gettempdir(), 'pos_orderweb_demo-%s.log' % DB)  # one per database
# Seconds Odoo may take to answer its first page (it loads its registry first): generous, so
# that a slow machine or a busy hour only waits longer.
ODOO_START_TIMEOUT = 300

# Before the apps: a UK company, so that Accounting sets up the UK chart of accounts in GBP.
COMPANY = """
env.ref('base.GBP').active = True
env.company.write({'name': "The Kitchen", 'country_id': env.ref('base.uk').id, 'city': "London",
                   'currency_id': env.ref('base.GBP').id})
(env.company.partner_id | env.ref('base.user_admin').partner_id).tz = 'Europe/London'
env.cr.commit()
"""

# Odoo's restaurant shop, the stand-in's menu as its products (VAT 20% included, as menus show it).
RESTAURANT = """
company = env.company
company.account_price_include = 'tax_included'
# VAT rounded per line keeps every menu price to the penny (19.0 rounds per tax by default: a lone
# 12.99 at 20%% would come to 13.00, and the import would book that penny apart; README).
company.tax_calculation_rounding_method = 'round_per_line'
env['pos.config'].load_onboarding_restaurant_scenario()
config = env['pos.config'].search([('company_id', '=', company.id), ('module_pos_restaurant', '=', True)], limit=1)
config.name = "The Kitchen"
vat = env['account.tax'].search([('company_id', '=', company.id), ('type_tax_use', '=', 'sale'),
                                 ('amount', '=', 20)], limit=1)
category = env.ref('pos_restaurant.food', raise_if_not_found=False)
for name, price in %r:
    env['product.product'].create({
        'name': name, 'list_price': price, 'available_in_pos': True, 'taxes_id': [(6, 0, vat.ids)],
        'pos_categ_ids': [(6, 0, category.ids)],
    })
# OrderWeb orders are paid online: the shop registers them with a method of their own (added from
# the method's side: the scenario opened the shop's session, and a shop refuses new methods then).
bank = env['account.journal'].search([('company_id', '=', company.id), ('type', '=', 'bank')], limit=1)
company.orderweb_payment_method_id = env['pos.payment.method'].create({
    'name': "Paid on OrderWeb", 'journal_id': bank.id, 'company_id': company.id, 'config_ids': [(4, config.id)]})
env.cr.commit()
"""

CONFIGURE = """
company = env.company
# British English, so that the backend writes dates as the UK does (day/month), for the company
# and its users (databases made before the demo did so included).
uk = env.ref('base.lang_en_GB').with_context(active_test=False)
if not uk.active:
    env['base.language.install'].create({'lang_ids': [(6, 0, uk.ids)], 'overwrite': False}).lang_install()
(company.partner_id | env['res.users'].search([('share', '=', False)]).partner_id).lang = 'en_GB'
config = env['pos.config'].search([('company_id', '=', company.id), ('module_pos_restaurant', '=', True)], limit=1)
company.write({'orderweb_url': %r, 'orderweb_tenant': %r, 'orderweb_api_key': %r, 'orderweb_pull_interval': 1,
               'orderweb_target': 'pos', 'orderweb_pos_config_id': config.id, 'orderweb_enabled': True})
if not config.current_session_id:
    config.with_user(env.ref('base.user_admin')).open_ui()
env.cr.commit()
print(config.name)
"""


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S.000Z')


def evening():
    """The orders to send: what an evening brings first, then a usual order every time, now and
    then for later (30-60 minutes ahead)."""
    now = datetime.now(timezone.utc)
    yield {}, "an order for now"
    yield {'scheduledFor': iso(now + timedelta(minutes=25)), 'orderType': 'delivery'}, \
        "an order for later (25 minutes ahead: it reaches the kitchen in 5)"
    yield {'specialInstructions': "Severe peanut allergy, please take care"}, "an order with an allergy"
    yield {'items': [{'id': 'item-chef-special', 'name': "Chef's special ramen", 'price': 14.5, 'quantity': 1,
                      'selectedAddons': []}]}, "an item the menu does not know"
    yield {'customerName': "Olivia Smith", 'customerPhone': "+447700900321"}, "a customer"
    yield {'customerName': "Olivia Smith", 'customerPhone': "07700 900321"}, \
        "the same customer again, phone written another way"
    yield {'_push': False}, "an order whose push is lost (the pull brings it)"
    while True:
        if random.random() < 0.2:
            yield {'scheduledFor': iso(datetime.now(timezone.utc) + timedelta(minutes=random.randint(30, 60)))}, \
                "an order for later"
        else:
            yield {}, "an order"



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


def push_order(data):
    push = data.pop('_push', True)
    response = requests.post(SIM + '/_sim/orders', params={'tenant': TENANT, 'push': int(push)}, json=data,
                             headers={'Authorization': 'Bearer ' + KEY}, timeout=5)
    response.raise_for_status()
    return response.json()


def odoo_shell(odoo, code):
    """Run ``code`` in an Odoo shell of the demo database; its last printed line."""
    return subprocess.run([odoo[0], 'shell', *odoo[1:], '-d', DB, '--no-http', '--log-level=warn'],
                          input=code, text=True, check=True, capture_output=True).stdout.strip().splitlines()[-1:]


def stop(signum, _frame):
    # As Ctrl+C does, whatever started this script: a shell starts a background job with SIGINT
    # ignored, and a service manager stops with SIGTERM.
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main():
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        odoo = odoo_command()
    except OdooNotFound as error:
        raise SystemExit(str(error)) from None
    children = []
    # Own sessions: Ctrl+C reaches this script only, which then stops each child once
    # (a second SIGINT would force Odoo's shutdown).
    stand_in = subprocess.Popen([sys.executable, '-m', 'orderweb.simulator', '--port', str(SIM_PORT), '--empty'],
                                cwd=HERE, stdout=subprocess.DEVNULL, start_new_session=True)
    children.append(stand_in)
    try:
        if not wait_http(SIM + '/_sim/stats', 10, params={'tenant': TENANT},
                         headers={'Authorization': 'Bearer ' + KEY}):
            raise SystemExit('the OrderWeb stand-in did not start on port %s' % SIM_PORT)
        if not database_exists():
            say('creating database %s: a UK restaurant with pos_orderweb (a few minutes)...', DB)
            install = odoo + ['-d', DB, *no_demo_data_options(), '--stop-after-init', '--no-http', '--log-level=warn']
            subprocess.run(install + ['-i', 'base'], check=True)
            odoo_shell(odoo, COMPANY)
            subprocess.run(install + ['-i', 'pos_orderweb,pos_restaurant'], check=True)
            products = [(name, float(price)) for _id, name, price, addons in MENU] + [
                (name, float(price)) for *_item, addons in MENU for _id, name, price, _group in addons]
            odoo_shell(odoo, RESTAURANT % (products,))
        [shop] = odoo_shell(odoo, CONFIGURE % (SIM, TENANT, KEY))
        say('company configured for the stand-in at %s; POS session of "%s" open', SIM, shop)
        server = subprocess.Popen(odoo + ['-d', DB, '--http-port', str(PORT), '--logfile', LOGFILE],
                                  start_new_session=True)
        children.append(server)
        if not wait_http('http://localhost:%s/web/login' % PORT, ODOO_START_TIMEOUT, process=server):
            raise SystemExit('Odoo did not answer on port %s within %s s%s: see its log, %s' % (
                PORT, ODOO_START_TIMEOUT, ' (it stopped)' if server.poll() is not None else '', LOGFILE))
        say('Odoo is up. Log in at http://localhost:%s/odoo/action-pos_orderweb.action_orderweb_connection '
            '(database %s, login admin, password admin)', PORT, DB)
        say('online orders: http://localhost:%s/odoo/action-pos_orderweb.action_orderweb_order ; '
            'the POS orders of the session: Point of Sale > Orders', PORT)
        say('Odoo log: %s', LOGFILE)
        say('the POS: http://localhost:%s/pos/ui (open the register); an order every 20-30 s. Ctrl+C stops.', PORT)
        orders = evening()
        data, what = next(orders)
        while server.poll() is None:
            time.sleep(random.uniform(20, 30))
            try:
                order = push_order(dict(data))
            except requests.RequestException as error:
                say('the stand-in did not take a new order (%s); trying again later', error)
                continue
            say('sent %s: %s (%s, %.2f)', order['orderNumber'], what, order['customerName'], order['totalAmount'])
            data, what = next(orders)
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
