"""Where one import's time and queries go, next to Odoo's own sync_from_ui + commit, in one process.

    "$ODOO_PYTHON" bench/bench_cost.py --db DB [--orders 40] [--new 20]

The same orders as ``bench/bench_server.py`` (3 lines; a returning customer, then a new one
per order), imported as the live listener imports one (``service.importer.receive``, its own
cursors and commits), alternating with ``sync_from_ui`` + commit of the equal order in a
cursor of its own. Per order: wall and Python CPU (this thread's), SQL queries and commits,
inclusive per step of the import (the steps found by name; a step the code no longer has is
left out), and the statements ours runs more often than Odoo's own, per order.

Counts, not only times: counts do not move with the machine's load. The time of a step
includes its waits on PostgreSQL. Run it beside no server of the same database (the runner
would import the orders too).
"""
import argparse
import collections
import contextlib
import os
import re
import sys
import threading
import time

import psutil
import psycopg2

import odoo
import odoo.modules.registry
import odoo.sql_db
from odoo import api

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tools'))
sys.path.insert(0, HERE)
import bench_import  # noqa: E402
import odoo_env  # noqa: E402
from bench_server import RETURNING, platform_order  # noqa: E402

# (model or None for the importer module, function, label), outermost first
STEPS = [
    (None, 'store_committed', 'store: cursor, payload, commit'),
    (None, '_import_once', 'import: cursor, import, commit'),
    ('orderweb.order', '_import', '  _import (lock, read, each order, notify)'),
    ('orderweb.order', '_read', '    _read (payload -> OrderWeb order)'),
    ('res.partner', '_orderweb_customers', '    customers of a batch'),
    ('res.partner', '_orderweb_customer', '    customer lookup'),
    ('orderweb.product.map', '_orderweb_products', '    products'),
    ('pos.order', '_orderweb_import', '    pos.order._orderweb_import'),
    ('pos.order', '_prepare_orderweb_values', '      _prepare_orderweb_values'),
    ('pos.order', 'sync_from_ui', '      sync_from_ui'),
    ('pos.order', '_orderweb_balance', '      _orderweb_balance'),
    ('orderweb.order', 'write', '    online order writes (state done)'),
    ('pos.order', '_orderweb_send_notification', '    bus notification (ORDERWEB_NEW_ORDER)'),
    ('pos.config', 'notify_synchronisation', '    notify_synchronisation'),
]


class Meter:
    """Queries, commits, wall and CPU of this thread, inclusive per step."""

    def __init__(self):
        self.queries = 0
        self.commits = 0
        self.statements = collections.Counter()
        self.steps = collections.defaultdict(lambda: [0, 0.0, 0.0, 0, 0])  # calls, wall, cpu, queries, commits
        self.active = collections.Counter()  # a step's recursion (super() chains) counts once
        self.pg_cpu = 0.0  # of this process's PostgreSQL backends

    def now(self):
        return time.perf_counter(), time.thread_time(), self.queries, self.commits

    @contextlib.contextmanager
    def step(self, label):
        self.active[label] += 1
        start = self.now()
        try:
            yield
        finally:
            self.active[label] -= 1
            if not self.active[label]:
                end = self.now()
                total = self.steps[label]
                total[0] += 1
                for i in range(4):
                    total[1 + i] += end[i] - start[i]


METER = Meter()


def backends_cpu(connection):
    """CPU seconds so far of the PostgreSQL backends serving this process (Odoo names them odoo-<pid>)."""
    with connection.cursor() as cr:
        cr.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", ['odoo-%s' % os.getpid()])
        total = 0.0
        for (pid,) in cr.fetchall():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = psutil.Process(pid).cpu_times()
                total += times.user + times.system
    return total
NUMBERS = re.compile(r"\b\d+\b|'[^']*'")


def install_meter(registry):
    execute, commit = odoo.sql_db.Cursor.execute, odoo.sql_db.Cursor.commit

    def metered_execute(self, query, params=None, log_exceptions=True):
        if threading.current_thread() is threading.main_thread():
            METER.queries += 1
            text = ' '.join(str(getattr(query, 'code', query)).split())
            METER.statements[NUMBERS.sub('?', text)[:110]] += 1
        return execute(self, query, params, log_exceptions)

    def metered_commit(self):
        if threading.current_thread() is threading.main_thread():
            METER.commits += 1
            with METER.step('commit (flush, COMMIT, post-commit bus)'):
                return commit(self)
        return commit(self)

    odoo.sql_db.Cursor.execute, odoo.sql_db.Cursor.commit = metered_execute, metered_commit
    from odoo.addons.pos_orderweb.service import importer
    for model, name, label in STEPS:
        owner = importer if model is None else registry.get(model)
        original = getattr(owner, name, None)
        if original is None:
            continue

        def metered(*args, _original=original, _label=label, **kwargs):
            with METER.step(_label):
                return _original(*args, **kwargs)
        setattr(owner, name, metered)
    return importer


def main():
    global METER  # the meters' wrappers read the module's
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', required=True)
    parser.add_argument('--orders', type=int, default=40, help="returning customer's orders (and as many native)")
    parser.add_argument('--new', type=int, default=20, help="new customers' orders")
    parser.add_argument('--batch', type=int, default=50,
                        help="new customers' orders received at once, as a burst's batch (default 50 = one "
                             "import batch: no second importing thread, whose work this meter would miss)")
    args = parser.parse_args()
    odoo.tools.config.parse_config([*odoo_env.odoo_command('--log-level=warn')[1:]])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        uid = api.Environment(cr, odoo.SUPERUSER_ID, {}).ref('base.user_admin').id
        env = api.Environment(cr, uid, {})
        company, config, products = bench_import.setup(env)  # no runner here: the URL is never called
        company_id, config_id = company.id, config.id
        product_ids = {name: product.id for name, product in products.items()}
    importer = install_meter(registry)

    def ours(number, new_customer, count=1):
        with registry.cursor() as cr:
            env = api.Environment(cr, odoo.SUPERUSER_ID, {'allowed_company_ids': [company_id]})
            company = env['res.company'].browse(company_id)
            raws = [platform_order(number + i, new_customer) for i in range(count)]
            with METER.step('TOTAL'):
                online_orders = importer.receive(env, company, raws, 'push')
            assert set(online_orders.mapped('state')) == {'done'}, online_orders.mapped('error')

    def native(partner_id):
        with METER.step('TOTAL'), registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            config = env['pos.config'].browse(config_id)
            products = {name: env['product.product'].browse(pid) for name, pid in product_ids.items()}
            vals = bench_import.ui_order(env, config, products, env['res.partner'].browse(partner_id))
            env['pos.order'].sync_from_ui([vals])
            cr.commit()

    shell_cr = registry.cursor()  # as the bench's odoo shell: one cursor for all its calls, timed around the call

    def native_shell(partner_id):
        env = api.Environment(shell_cr, uid, {})
        config = env['pos.config'].browse(config_id)
        products = {name: env['product.product'].browse(pid) for name, pid in product_ids.items()}
        vals = bench_import.ui_order(env, config, products, env['res.partner'].browse(partner_id))
        with METER.step('TOTAL'):
            env['pos.order'].sync_from_ui([vals])
            shell_cr.commit()

    number = int(time.time()) % 100000 * 1000
    for i in range(5):  # warm-up: caches, sequences; the returning customer exists after it
        ours(number + i, False)
    with registry.cursor() as cr:
        cr.execute("""SELECT p.partner_id FROM pos_order p JOIN orderweb_order o ON o.id = p.orderweb_order_id
                      WHERE o.customer_phone = %s ORDER BY p.id DESC LIMIT 1""", [RETURNING[1]])
        partner_id = cr.fetchone()[0]
    for _i in range(3):
        native(partner_id)
    runs = {'returning': lambda i: ours(number + 100 + i, False), 'native': lambda i: native(partner_id),
            'native, one cursor': lambda i: native_shell(partner_id),
            'new': lambda i: ours(number + 500 + i, True)}
    counts = {'returning': args.orders, 'native': args.orders, 'native, one cursor': args.orders,
              'new': args.new, 'batch': args.batch}
    meters = {name: Meter() for name in runs}
    # interleaved: the machine's drift spreads over them alike
    plan = [item for i in range(max(args.orders, args.new))
            for item in (('returning', i), ('native', i), ('native, one cursor', i), ('new', i))
            if i < counts[item[0]]]
    runs['batch'] = lambda _i: ours(number + 800, True, args.batch)
    meters['batch'] = Meter()
    watcher = psycopg2.connect(dbname=args.db, host=os.environ.get('PGHOST', '127.0.0.1'),
                               user=os.environ.get('PGUSER', 'root'), port=os.environ.get('PGPORT', '5432'))
    watcher.autocommit = True
    for name, i in plan + [('batch', 0)] * bool(args.batch):
        METER = meters[name]
        pg_before = backends_cpu(watcher)
        runs[name](i)
        METER.pg_cpu += backends_cpu(watcher) - pg_before
    shell_cr.close()
    report(meters, counts)


def report(meters, counts):
    print("per order, mean: calls, wall ms, Python CPU ms (this thread), queries, commits (inclusive)")
    for name, meter in meters.items():
        n = counts[name]
        if not n:
            continue
        print("\n%s (%d orders)" % (name, n))
        print("  PostgreSQL backends' CPU per order: %.2f ms" % (meter.pg_cpu / n * 1000))
        order = ['TOTAL'] + [label for _m, _n, label in STEPS] + ['commit (flush, COMMIT, post-commit bus)']
        for label in order:
            if label in meter.steps:
                calls, wall, cpu, queries, commits = meter.steps[label]
                print("  %-46s %5.2f %8.2f %8.2f %7.1f %5.2f" % (label, calls / n, wall / n * 1000, cpu / n * 1000,
                                                                queries / n, commits / n))
    def cpu(name):
        return (meters[name].steps['TOTAL'][2] + meters[name].pg_cpu) / counts[name] * 1000

    def wall(name):
        return meters[name].steps['TOTAL'][1] / counts[name] * 1000

    print()
    for name in ('returning', 'new'):
        for native in ('native', 'native, one cursor'):
            if counts[name] and counts[native]:
                print("%-9s / %-18s: wall (mean) %.2f, CPU (Python + PostgreSQL) %.2f" % (
                    name, native, wall(name) / wall(native), cpu(name) / cpu(native)))
    base = meters['native'].statements
    for name in ('returning', 'new', 'batch'):
        if not counts[name]:
            continue
        print("\nstatements %s runs more than native sync_from_ui + commit, per order (ours - native):" % name)
        n, nn = counts[name], counts['native']
        ours = {s: c / n for s, c in meters[name].statements.items()}
        native = {s: c / nn for s, c in base.items()}
        diff = {s: ours.get(s, 0) - native.get(s, 0) for s in {*ours, *native}}
        for s, d in sorted(diff.items(), key=lambda kv: -kv[1]):
            if d >= 0.5:
                print("  %+5.1f (%4.1f - %4.1f)  %s" % (d, ours.get(s, 0), native.get(s, 0), s))
        print("  and fewer:")
        for s, d in sorted(diff.items(), key=lambda kv: kv[1]):
            if d <= -0.5:
                print("  %+5.1f (%4.1f - %4.1f)  %s" % (d, ours.get(s, 0), native.get(s, 0), s))


if __name__ == '__main__':
    main()
