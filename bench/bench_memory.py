"""Memory of a real Odoo server process over many online orders, observed from outside.

    "$ODOO_PYTHON" bench/bench_memory.py [--orders 10000] [--warmup 1000] [--every 500] [--rate 25]
                                         [--burst 25] [--new-every 4] [--db ow_memory_bench] [--port 8320]

What users run: ``odoo -d DB`` (threaded: the addon's runner is a thread of the server and holds
the WebSocket), a child process of this script, with the stand-in (``python -m
orderweb.simulator``) in a process of its own; nothing of the server is patched or imported into
it. The database, the stand-in, the server and PostgreSQL polling are ``bench_server.py``'s.

Load: ``--orders`` orders pushed through the stand-in's ``/_sim/orders`` in bursts of ``--burst``
at ``--rate`` orders/s; before each burst the script waits until the server has imported all but
one burst (PostgreSQL polled): the server's queue never grows, and the rate is the server's when
it is slower. One order in ``--new-every`` comes from a new customer (a contact is created), the
others from a pool of 50 returning customers; 3 lines each, as in ``bench_server.py``.

Samples: every ``--every`` orders the script stops pushing, waits until every order pushed so far
is imported (online order done, with its POS order), lets the server settle 1 s, then reads of
the server process: RSS and USS (psutil; USS reads /proc/PID/smaps, a few ms), threads, open
file descriptors, TCP connections, and its PostgreSQL backends (``pg_stat_activity``). The
first sample is taken at 0 orders, after a catch-up pull and 20 warm-up orders.

Result: the curve; the least-squares slope of RSS (and USS) in KB per 1,000 orders over the
samples from ``--warmup`` on (the first thousand orders fill Odoo's registry caches, the
interpreter's free lists and the allocator's arenas: growth there is a one-time cost); and the
verdict: **flat** when the slope, carried over 9,000 orders, stays under 5 MB. Why 5 MB: it is
about 3 % of an idle server's RSS (about 170 MB) and within what glibc's arenas move by on their
own; anything kept per order at the size of an order (its payload, parsed dict or records in a
cache, a few KB) costs 10-50 MB over 9,000 orders and fails it. A leak of a few dozen bytes per
order (an id in a set) is below what RSS can tell: ``bench/memory_inproc.py`` looks for those
with tracemalloc. Threads, descriptors and connections must be the same at every sample after
warm-up, but for the connections of Odoo's pool (opened when more cursors than ever are open at
once, up to ``db_maxconn``): descriptors and TCP connections besides them must not move.
"""
import argparse
import contextlib
import http.client
import os
import sys
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_server import (  # noqa: E402  (bench/ is not a package)
    TENANT,
    OdooSide,
    Server,
    StandIn,
    ensure_database,
    pg_connect,
    platform_order,
    query,
    say,
    wait,
)

FLAT_MB = 5.0  # growth allowed over FLAT_SPAN orders after warm-up
FLAT_SPAN = 9000
REGULARS = 50  # returning customers, each made on their first order
SETTLE = 1.0
# The stand-in starts empty: every online order stored after the run's start is one of its orders.
IMPORTED = """
    SELECT count(*) FILTER (WHERE state = 'done' AND pos_order_id IS NOT NULL),
           count(*) FILTER (WHERE state = 'error'), count(*) FILTER (WHERE state = 'waiting')
    FROM orderweb_order WHERE company_id = %s AND id > %s"""


def memory_order(run, number, new_every):
    """A bench order numbered ``number`` of this ``run``: a new customer every ``new_every``th."""
    new = number % new_every == new_every - 1
    order = platform_order(number, new)
    order['orderNumber'] = 'MEM-%s-%s' % (run, number)
    if not new:
        regular = number % REGULARS
        order['customerName'], order['customerPhone'] = 'Memory Regular %s' % regular, '+4479110%05d' % regular
    return order


class Probe:
    """What the server process holds, read from outside."""

    def __init__(self, server):
        self.server = server
        self.process = psutil.Process(server.holder_pid())

    def sample(self, orders):
        process = self.process
        with process.oneshot():
            rss = process.memory_info().rss
            try:
                uss = process.memory_full_info().uss
            except psutil.AccessDenied:
                uss = float('nan')
            threads, fds = process.num_threads(), process.num_fds()
            # net_connections() since psutil 6, connections() before (Odoo 18 pins 5.9)
            tcp = len(getattr(process, 'net_connections', process.connections)(kind='tcp'))
        return {'orders': orders, 'rss': rss / 2**20, 'uss': uss / 2**20, 'threads': threads, 'fds': fds,
                'tcp': tcp, 'pg': len(self.server.backends()), 'at': time.monotonic()}


def slope(points):
    """Least-squares slope of (x, y) points; nan with fewer than two."""
    if len(points) < 2:
        return float('nan')
    n = len(points)
    mean_x, mean_y = sum(x for x, _y in points) / n, sum(y for _x, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _y in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else float('nan')


class Pusher:
    """Pushes the run's orders in paced bursts, never more than one burst ahead of the server."""

    def __init__(self, args, stand_in, pg, company_id):
        self.args, self.stand_in, self.pg, self.company_id = args, stand_in, pg, company_id
        self.http = stand_in.connection()
        self.start('%xw' % int(time.time()))

    def start(self, run):
        """Count from here, ``run`` naming the orders (MEM-<run>-<n>)."""
        self.run, self.pushed, self.errors = run, 0, 0
        self.first_id = query(self.pg, "SELECT COALESCE(max(id), 0) FROM orderweb_order")[0][0]

    def imported(self):
        done, errors, waiting = query(self.pg, IMPORTED, (self.company_id, self.first_id))[0]
        if waiting:
            raise RuntimeError("%s online orders wait for a POS session: the bench needs an open one" % waiting)
        self.errors = errors
        return done + errors

    def catch_up(self, behind, timeout=120):
        wait(lambda: self.imported() >= self.pushed - behind, timeout, 0.05,
             "the server importing up to %s orders behind" % behind)

    def push_to(self, total):
        args = self.args
        while self.pushed < total:
            self.catch_up(args.burst)
            started = time.perf_counter()
            for index in range(min(args.burst, total - self.pushed)):
                delay = started + index / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                order = memory_order(self.run, self.pushed, args.new_every)
                try:
                    self.stand_in.call(self.http, 'POST', '/_sim/orders?tenant=' + TENANT, order)
                except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                    # the stand-in closed the keep-alive connection after a long pause (a sample):
                    # sent again on a new one (the same order twice is one order in Odoo)
                    self.http.close()
                    self.http = self.stand_in.connection()
                    self.stand_in.call(self.http, 'POST', '/_sim/orders?tenant=' + TENANT, order)
                self.pushed += 1
        self.catch_up(0)

    def close(self):
        self.http.close()


def report(samples, warmup, pushed_in):
    say("\n%7s %8s %8s %7s %7s %5s %4s %4s %7s", 'orders', 'RSS MB', 'USS MB', 'dRSS', 'dUSS', 'thr', 'fds',
        'tcp', 'pg')
    base = next((s for s in samples if s['orders'] >= warmup), samples[0])
    for s in samples:
        say("%7d %8.1f %8.1f %+7.1f %+7.1f %5d %4d %4d %7d%s", s['orders'], s['rss'], s['uss'],
            s['rss'] - base['rss'], s['uss'] - base['uss'], s['threads'], s['fds'], s['tcp'], s['pg'],
            '  <- warm-up ends' if s is base else '')
    after = [s for s in samples if s['orders'] >= warmup]
    if pushed_in:
        say("%d orders in %.0f s: %.1f orders/s (paced, the server keeping up)", samples[-1]['orders'], pushed_in,
            samples[-1]['orders'] / pushed_in)
    if len(after) < 2:
        say("not enough samples after the warm-up of %d orders for a slope", warmup)
        return
    rss_slope = slope([(s['orders'], s['rss'] * 1024) for s in after]) * 1000
    uss_slope = slope([(s['orders'], s['uss'] * 1024) for s in after]) * 1000
    span = after[-1]['orders'] - after[0]['orders']
    over_span = rss_slope * FLAT_SPAN / 1000 / 1024
    say("after warm-up (%d -> %d orders): RSS %+.1f MB, USS %+.1f MB; least-squares slope RSS %+.0f KB, "
        "USS %+.0f KB per 1,000 orders", after[0]['orders'], after[-1]['orders'], after[-1]['rss'] - after[0]['rss'],
        after[-1]['uss'] - after[0]['uss'], rss_slope, uss_slope)
    half = len(after) // 2
    if half >= 2:
        say("RSS slope over the first half after warm-up %+.0f KB, over the second half %+.0f KB per 1,000 "
            "orders (a leak keeps its slope; a cache filling up to its bound or the allocator settling flattens)",
            slope([(s['orders'], s['rss'] * 1024) for s in after[:half + 1]]) * 1000,
            slope([(s['orders'], s['rss'] * 1024) for s in after[half:]]) * 1000)
    # Each connection of Odoo's pool is a descriptor, a TCP connection and a backend; the pool opens
    # one when more cursors are open at once than ever before (threads x nested cursors, at most
    # db_maxconn). The rest may be caught in passing (a pull's HTTP connection) but must not grow.
    def course(key):
        values = [key(s) for s in after]
        return '%s -> %s (max %s)' % (values[0], values[-1], max(values))
    grows = any(key(after[-1]) > key(after[0]) for key in (
        lambda s: s['threads'], lambda s: s['fds'] - s['pg'], lambda s: s['tcp'] - s['pg']))
    say("after warm-up: threads %s; descriptors besides PostgreSQL's %s, TCP connections besides "
        "PostgreSQL's %s: %s; PostgreSQL connections (Odoo's pool and the runner's lock) %s",
        course(lambda s: s['threads']), course(lambda s: s['fds'] - s['pg']),
        course(lambda s: s['tcp'] - s['pg']), 'GROW' if grows else 'no growth', course(lambda s: s['pg']))
    say("verdict: %s (RSS slope carried over %d orders: %+.1f MB; flat means under %.0f MB)%s",
        'FLAT' if over_span < FLAT_MB else 'GROWS', FLAT_SPAN, over_span, FLAT_MB,
        '' if span >= FLAT_SPAN else '; measured over %d orders only: run --orders %d for the verdict' % (
            span, warmup + FLAT_SPAN))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', default=os.environ.get('OW_BENCH_DB', 'ow_memory_bench'))
    parser.add_argument('--orders', type=int, default=10000)
    parser.add_argument('--warmup', type=int, default=1000, help="orders before the slope counts (default 1000)")
    parser.add_argument('--every', type=int, default=500, help="orders between samples (default 500)")
    parser.add_argument('--rate', type=float, default=25.0, help="orders/s within a burst (default 25)")
    parser.add_argument('--burst', type=int, default=25, help="orders per burst (default 25)")
    parser.add_argument('--new-every', type=int, default=4, help="one order in N from a new customer (default 4)")
    parser.add_argument('--port', type=int, default=8320, help="the server's HTTP port (default 8320)")
    parser.add_argument('--stand-in-port', type=int, default=0, help="the stand-in's port (default: a free one)")
    parser.add_argument('--stand-in-python', default=sys.executable,
                        help="the Python running the stand-in (with requirements-dev.txt's aiohttp; default: this one)")
    args = parser.parse_args()
    ensure_database(args.db)
    stand_in = StandIn(args.stand_in_python, args.stand_in_port)
    samples, pushed_in = [], 0.0
    try:
        odoo_side = OdooSide(args.db, stand_in)  # the shop, products and an open POS session
        company_id = odoo_side.company_id
        del odoo_side  # this script's own registry plays no part in what is measured
        pg = pg_connect(args.db)
        pulls = stand_in.stats()['pulls']
        say("database %s, %d CPU(s), load %.2f; threaded server on port %s...", args.db, os.cpu_count(),
            os.getloadavg()[0], args.port)
        launched = time.monotonic()
        server = Server(args.db, 'threaded', args.port, pg, company_id)
        pusher = Pusher(args, stand_in, pg, company_id)
        try:
            wait(lambda: stand_in.stats()['pulls'] > pulls, 30, what="the catch-up pull")
            probe = Probe(server)
            say("server pid %s holds the WebSocket (log: %s)", probe.process.pid, server.log)
            pusher.push_to(20)  # first import: the code paths' one-time set-up
            # and the server's first cron pass (the pull cron runs every minute), in the warm-up too
            wait(lambda: query(pg, "SELECT lastcall > now() at time zone 'UTC' - interval '%s seconds' FROM ir_cron "
                               "WHERE cron_name = 'OrderWeb: pull online orders'", (time.monotonic() - launched,)
                               )[0][0], 90, 1.0, "the server's first cron pass")
            pusher.start(pusher.run[:-1])
            time.sleep(SETTLE)
            samples.append(probe.sample(0))
            say("%6d orders: RSS %.1f MB", 0, samples[-1]['rss'])
            started = time.monotonic()
            for target in range(args.every, args.orders + 1, args.every):
                pusher.push_to(target)
                pushed_in = time.monotonic() - started
                time.sleep(SETTLE)
                samples.append(probe.sample(target))
                say("%6d orders: RSS %.1f MB, USS %.1f MB, %d threads, %d fds (%.0f s)", target,
                    samples[-1]['rss'], samples[-1]['uss'], samples[-1]['threads'], samples[-1]['fds'], pushed_in)
            if pusher.errors:
                say("%d orders ended in error: see the server log", pusher.errors)
        finally:
            pusher.close()
            with contextlib.suppress(Exception):
                server.stop()
            pg.close()
    finally:
        stand_in.stop()
        if samples:
            report(samples, args.warmup, pushed_in)


if __name__ == '__main__':
    sys.exit(main())
