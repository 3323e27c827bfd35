"""Many tenants in one database, each a company of its own, on a real Odoo server, observed from outside.

    "$ODOO_PYTHON" bench/bench_scale.py [--tenants 100] [--burst 20] [--idle 30] [--modes threaded,prefork]
                                        [--db ow_scale_bench] [--port 8300] [--stand-in-port 8330] [--profile DIR]

What users run, as in bench_server.py (whose helpers this reuses): ``odoo -d DB`` (threaded:
the runner is a thread of the server) and ``odoo -d DB --workers 2 --load=base,web,pos_orderweb``
(prefork: the runner is a worker process of its own), each a child process of this script, and
the stand-in (``python -m orderweb.simulator --tenant t001 --tenant t002 ...``) in a process of
its own serving every tenant. Nothing of the server is patched or imported into it.

The database is built once and reused: pos_orderweb with demo data (bench_server's), then
``--tenants`` companies "Scale Tenant NNN", each with the generic chart of accounts, a POS shop
with an open session and OrderWeb set to tenant ``tNNN`` of the stand-in (target POS), made
through the ORM in this process (Odoo's Python), one commit per company: an interrupted build
resumes where it stopped. Before each mode only the first tenant is enabled.

Per mode:

* idle, 1 tenant: the server holds tenant t001's WebSocket; CPU (% of one core) and RSS of the
  process holding it over ``--idle`` s (psutil);
* all tenants enabled (one ORM write, as a settings save would): time until every status
  record says connected, by one process, and every catch-up pull is done; then the same idle
  figures, the process's threads and PostgreSQL connections, and the WebSockets the stand-in
  counts per tenant (``/_sim/stats``): exactly one each is the goal;
* burst: ``--burst`` orders to each tenant at once (new customers, round robin over the tenants,
  POSTed to the stand-in's ``/_sim/orders`` over ``PUSHERS`` keep-alive connections), then
  PostgreSQL is polled every ``POLL`` s until every online order is joined to its POS order:
  time from the first POST until the last is seen (late by one poll at most), p50/p90 of the
  orders' own times, orders lost (never stored), duplicated (a second online order or POS
  order), not imported within ``--timeout`` s, the peak of the server's PostgreSQL connections,
  and the ERROR lines of the server's log meanwhile.

``--profile DIR`` records the burst with py-spy on the process holding the WebSockets, as
bench_server.py does (``bench/profile_top.py``); take the figures from a run without.

Every wait is bounded. The figures are printed in a table with the goals beside them, with
the load average when each was taken: on a shared machine they are noisy.
"""
import argparse
import os
import sys
import threading
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tools'))
sys.path.insert(0, HERE)
import odoo_env  # noqa: E402  (tools/ is not a package)
from bench_import import PRODUCTS  # noqa: E402
from bench_server import (  # noqa: E402  (bench/ is not a package)
    SETTLE,
    Profiler,
    Server,
    StandIn,
    cpu_seconds,
    ensure_database,
    idle_cost,
    percentile,
    pg_connect,
    platform_order,
    query,
    say,
    wait,
)

COMPANY = 'Scale Tenant %03d'
TENANT = 't%03d'
POLL = 0.2
PUSHERS = 8
IMPORTED = """
    SELECT o.orderweb_id FROM orderweb_order o JOIN pos_order p ON p.id = o.pos_order_id
    WHERE o.orderweb_id = ANY(%s)"""


def load():
    return os.getloadavg()[0]


# --- the database: tenants made once through the ORM -------------------------------------

class Tenants:
    """The tenant companies, made and switched through the ORM in this process."""

    def __init__(self, db, count):
        import odoo  # Odoo's python only
        import odoo.modules.registry
        from odoo import api
        self.api, self.superuser = api, odoo.SUPERUSER_ID
        odoo.tools.config.parse_config([*odoo_env.odoo_command('--log-level=warn', '--db_maxconn', '4')[1:]])
        self.registry = odoo.modules.registry.Registry(db)
        self.count = count
        self.ids = self._build()

    def env(self, cr):
        return self.api.Environment(cr, self.superuser, {})

    def _build(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            for name, price, _qty in PRODUCTS:  # shared by every company: found by name
                if not env['product.product'].search([('name', '=', name)], limit=1):
                    env['product.product'].create({'name': name, 'list_price': price, 'available_in_pos': True,
                                                   'taxes_id': [(5, 0, 0)]})
        ids, started, made = [], time.monotonic(), 0
        for number in range(1, self.count + 1):
            with self.registry.cursor() as cr:
                env = self.env(cr)
                company = env['res.company'].search([('name', '=', COMPANY % number)])
                if not (company and company.orderweb_pos_config_id.current_session_id):
                    company = self._make(env, number, company)
                    made += 1
                ids.append(company.id)
            if made and made % 10 == 0:
                say("  %d tenant companies made (%.0f s)", made, time.monotonic() - started)
        if made:
            say("%d tenant companies made in %.0f s", made, time.monotonic() - started)
        return ids

    def _make(self, env, number, company):
        main = env.ref('base.main_company')
        admin = env.ref('base.user_admin')
        if not company:
            company = env['res.company'].create({'name': COMPANY % number, 'country_id': main.country_id.id,
                                                 'currency_id': main.currency_id.id})
            admin.company_ids |= company
        if not company.chart_template:
            env['account.chart.template'].try_loading('generic_coa', company, install_demo=False)
        if not env['stock.warehouse'].search([('company_id', '=', company.id)]):  # made only in test mode
            env['stock.warehouse'].create({'company_id': company.id, 'name': COMPANY % number,
                                           'code': 'S%03d' % number})
        # The administrator as the shop's manager: the superuser has no POS rights.
        manager = env(user=admin, context={'allowed_company_ids': company.ids})
        config = manager['pos.config'].search([('company_id', '=', company.id)], limit=1) or \
            manager['pos.config'].create({'name': 'Scale Shop %03d' % number})
        if not config.current_session_id:
            config.open_ui()
        company.write({'orderweb_target': 'pos', 'orderweb_pos_config_id': config.id,
                       'orderweb_tenant': TENANT % number})
        return company

    def enable(self, count, url, api_key):
        """The first ``count`` tenants enabled on the stand-in at ``url``, every other company disabled."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            Company = env['res.company']
            Company.search([('orderweb_enabled', '=', True), ('id', 'not in', self.ids[:count])]).write(
                {'orderweb_enabled': False})
            Company.browse(self.ids[:count]).write({'orderweb_enabled': True, 'orderweb_url': url,
                                                    'orderweb_api_key': api_key})


# --- the measurement ----------------------------------------------------------------------

def statuses(pg, ids):
    """(connected records, distinct holders of them) of the companies ``ids``."""
    return query(pg, "SELECT count(*), count(DISTINCT holder) FROM orderweb_connection "
                     "WHERE company_id = ANY(%s) AND state = 'connected'", (ids,))[0]


def sockets(stand_in, count):
    """WebSockets open at the stand-in, per tenant."""
    connection = stand_in.connection()
    try:
        return [stand_in.call(connection, 'GET', '/_sim/stats?tenant=' + TENANT % n)['connections']
                for n in range(1, count + 1)]
    finally:
        connection.close()


def error_lines(server):
    with open(server.log, errors='replace') as log:
        return [line for line in log if ' ERROR ' in line or ' CRITICAL ' in line]


def idle(mode, server, seconds, label):
    result = idle_cost(mode, server, seconds)
    # Odoo holds address space (not RSS) to limit_memory_soft and limit_memory_hard
    result.update(name=label, load=load(), backends=len(server.backends()),
                  vms=psutil.Process(result['pid']).memory_info().vms / 2**20)
    return result


def connect_all(tenants, pg, server, stand_in, url, api_key):
    """Enable every tenant and wait until each is connected, by one process, and pulled."""
    since = query(pg, "SELECT date_trunc('second', now() AT TIME ZONE 'UTC')")[0][0]  # as Odoo stores it
    started = time.monotonic()
    tenants.enable(tenants.count, url, api_key)
    timeout = 60 + tenants.count
    wait(lambda: statuses(pg, tenants.ids)[0] == tenants.count, timeout, 0.2, "every tenant connected")
    connected_in = time.monotonic() - started
    newly = tenants.ids[1:]  # the first one pulled when it connected, before
    wait(lambda: query(pg, "SELECT count(*) FROM res_company WHERE id = ANY(%s) AND orderweb_last_pull_at >= %s",
                       (newly, since))[0][0] == len(newly), timeout, 0.2, "every catch-up pull")
    return {'connected_in': connected_in, 'pulled_in': time.monotonic() - started,
            'holders': statuses(pg, tenants.ids)[1], 'load': load()}


def burst(tenants, pg, server, stand_in, per_tenant, timeout, profiler):
    """``per_tenant`` orders to every tenant at once; until all are imported, or ``timeout``."""
    number = int(time.time()) % 100000 * 10000
    orders = [(TENANT % n, platform_order(number + k * tenants.count + n, True))
              for k in range(per_tenant) for n in range(1, tenants.count + 1)]
    sent = {}
    errors_before = len(error_lines(server))
    backends = server.backends()
    cpu_before, pg_before = cpu_seconds(server.pids()), cpu_seconds(backends)
    started = time.perf_counter()

    def pusher(share):
        connection = stand_in.connection()
        try:
            for tenant, order in share:
                sent[order['orderId']] = time.perf_counter()
                stand_in.call(connection, 'POST', '/_sim/orders?tenant=' + tenant, order)
        finally:
            connection.close()

    threads = [threading.Thread(target=pusher, args=(orders[k::PUSHERS],)) for k in range(PUSHERS)]
    for thread in threads:
        thread.start()
    pending, seen, peak = {order['orderId'] for _t, order in orders}, {}, 0
    deadline = started + timeout
    while pending and time.perf_counter() < deadline:
        stamp = time.perf_counter()
        for (order_id,) in query(pg, IMPORTED, (list(pending),)):
            pending.discard(order_id)
            seen[order_id] = stamp
        peak = max(peak, len(server.backends()))
        time.sleep(max(POLL - (time.perf_counter() - stamp), 0))
    profiler.stop()
    for thread in threads:
        thread.join(30)
    pushed_in = max(sent.values()) - started
    cpu, pg_cpu = cpu_seconds(server.pids()) - cpu_before, cpu_seconds(backends) - pg_before
    ids = [order['orderId'] for _t, order in orders]
    rows, distinct, pos_orders, linked = query(pg, """
        SELECT count(o.id), count(DISTINCT o.orderweb_id), count(p.id), count(DISTINCT p.orderweb_order_id)
        FROM orderweb_order o LEFT JOIN pos_order p ON p.orderweb_order_id = o.id
        WHERE o.orderweb_id = ANY(%s)""", (ids,))[0]
    states = dict(query(pg, "SELECT state, count(*) FROM orderweb_order WHERE orderweb_id = ANY(%s) GROUP BY state",
                        (ids,)))
    latencies = [seen[oid] - sent[oid] for oid in seen]
    return {'n': len(orders), 'pushed_in': pushed_in, 'all_in': max(seen.values(), default=started) - started,
            'p50': percentile(latencies, .5), 'p90': percentile(latencies, .9),
            'lost': len(orders) - distinct, 'dup': (rows - distinct) + (pos_orders - linked),
            'late': len(pending), 'states': states, 'peak_backends': peak,
            'cpu': cpu, 'pg_cpu': pg_cpu, 'errors': error_lines(server)[errors_before:], 'load': load()}


def run_mode(args, mode, tenants, stand_in):
    pg = pg_connect(args.db)
    tenants.enable(1, stand_in.base_url, stand_in.api_key)
    port = args.port + (0 if mode == 'threaded' else 2)
    say("%s server on port %s...", mode, port)
    server = Server(args.db, mode, port, pg, tenants.ids[0])
    figures = {'mode': mode}
    try:
        wait(lambda: query(pg, "SELECT orderweb_last_pull_at FROM res_company WHERE id = %s",
                           (tenants.ids[0],))[0][0], 30, 0.2, "the first tenant's catch-up pull")
        time.sleep(SETTLE)
        figures['idle1'] = idle(mode, server, args.idle, 'idle, 1 tenant')
        say("  idle with 1 tenant measured; enabling %d tenants...", tenants.count)
        figures['connect'] = connect_all(tenants, pg, server, stand_in, stand_in.base_url, stand_in.api_key)
        say("  %d tenants connected in %.1f s; idle...", tenants.count, figures['connect']['connected_in'])
        time.sleep(SETTLE)
        figures['idleN'] = idle(mode, server, args.idle, 'idle, %d tenants' % tenants.count)
        figures['sockets'] = sockets(stand_in, tenants.count)
        say("  burst of %d x %d orders...", tenants.count, args.burst)
        profiler = Profiler(args.profile, '%s-burst' % mode, server.holder_pid())
        figures['burst'] = burst(tenants, pg, server, stand_in, args.burst, args.timeout, profiler)
        figures['sockets_after'] = sockets(stand_in, tenants.count)
    except TimeoutError as error:  # what was measured until then is still printed
        figures['failed'] = str(error)
    finally:
        server.stop()
        pg.close()
    return figures


def table(results, tenants):
    say("\n%-9s %-58s %-26s %-22s %s", 'mode', 'figure', 'value', 'goal', 'load')
    for f in results:
        def row(name, value, goal='', at=None):
            say("%-9s %-58s %-26s %-22s %s", f['mode'], name, value, goal, '' if at is None else '%.2f' % at)
        one, many = f.get('idle1'), f.get('idleN')
        if one:
            row('idle, 1 tenant: CPU of the holder process', '%.2f %% of a core' % one['cpu'], '', one['load'])
            row('idle, 1 tenant: RSS / VMS / threads / PG connections', '%.0f MB / %.0f MB / %d / %d' % (
                one['rss'], one['vms'], one['threads'], one['backends']), '', one['load'])
        connect = f.get('connect')
        if connect:
            row('%d tenants enabled -> all connected / all pulled' % tenants,
                '%.1f s / %.1f s' % (connect['connected_in'], connect['pulled_in']), '', connect['load'])
            row('processes holding the %d connections' % tenants, str(connect['holders']), '1', connect['load'])
        if many:
            row('idle, %d tenants: CPU of the holder process' % tenants, '%.2f %% of a core' % many['cpu'],
                '< 2 % of a core', many['load'])
            row('idle, %d tenants: RSS / VMS / threads / PG connections' % tenants,
                '%.0f MB / %.0f MB / %d / %d' % (many['rss'], many['vms'], many['threads'], many['backends']),
                'VMS < 2048 MB (soft limit)', many['load'])
            if one:
                row('idle: RSS, %d tenants - 1 tenant' % tenants, '%+.0f MB' % (many['rss'] - one['rss']),
                    '< 50 MB', many['load'])
        for key, when in (('sockets', 'idle'), ('sockets_after', 'after the burst')):
            if f.get(key):
                counts = f[key]
                row('WebSockets at the stand-in, %s: sum (min..max)' % when,
                    '%d (%d..%d)' % (sum(counts), min(counts), max(counts)), 'exactly 1 per tenant')
        b = f.get('burst')
        if b:
            row('burst %d orders (%d x %d), pushed in' % (b['n'], tenants, b['n'] // tenants),
                '%.1f s' % b['pushed_in'], '', b['load'])
            row('burst: all imported (POS order) after', '%.1f s%s' % (b['all_in'], ' (%d not yet)' % b['late']
                                                                      if b['late'] else ''), '<= 60 s', b['load'])
            row('burst: per order p50 / p90', '%.1f s / %.1f s' % (b['p50'], b['p90']))
            row('burst: lost / duplicated / not imported', '%d / %d / %d' % (b['lost'], b['dup'], b['late']),
                '0 / 0 / 0')
            row('burst: online order states', ', '.join('%s %d' % item for item in sorted(b['states'].items())))
            row('burst: server CPU / its PG backends CPU', '%.1f s / %.1f s' % (b['cpu'], b['pg_cpu']))
            row('burst: peak PostgreSQL connections of the server', str(b['peak_backends']))
            row('burst: ERROR lines in the server log', str(len(b['errors'])), '0')
            for line in b['errors'][:5]:
                say("          %s", line.strip()[:200])
        if f.get('failed'):
            row('FAILED', f['failed'])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', default=os.environ.get('OW_SCALE_DB', 'ow_scale_bench'))
    parser.add_argument('--modes', default='threaded,prefork')
    parser.add_argument('--tenants', type=int, default=100)
    parser.add_argument('--burst', type=int, default=20, help="orders to each tenant in the burst (default 20)")
    parser.add_argument('--idle', type=int, default=30, help="seconds of each idle measurement (default 30)")
    parser.add_argument('--timeout', type=int, default=180, help="longest wait for the burst's orders (default 180)")
    parser.add_argument('--port', type=int, default=8300, help="threaded server's HTTP port; prefork uses +2, +3")
    parser.add_argument('--stand-in-port', type=int, default=8330)
    parser.add_argument('--profile', metavar='DIR', help="record the burst with py-spy into DIR (bench_server's)")
    parser.add_argument('--stand-in-python', default=sys.executable,
                        help="the Python running the stand-in (with requirements-dev.txt's aiohttp; default: this one)")
    args = parser.parse_args()
    ensure_database(args.db)
    stand_in = StandIn(args.stand_in_python, args.stand_in_port, [TENANT % n for n in range(1, args.tenants + 1)])
    results = []
    try:
        tenants = Tenants(args.db, args.tenants)
        say("database %s, %d tenants, %d CPU(s), load %.2f; stand-in pid %s at %s", args.db, tenants.count,
            os.cpu_count(), load(), stand_in.process.pid, stand_in.base_url)
        for mode in args.modes.split(','):
            results.append(run_mode(args, mode, tenants, stand_in))
    finally:
        stand_in.stop()
        table(results, args.tenants)


if __name__ == '__main__':
    sys.exit(main())
