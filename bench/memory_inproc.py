"""Which lines keep memory per online order, found with tracemalloc in one process.

    "$ODOO_PYTHON" bench/memory_inproc.py [--orders 2000] [--warmup 500] [--steps 3] [--frames 10]
                                          [--db ow_memory_bench]

A real server cannot be traced from outside (bench/bench_memory.py only sees its RSS), so this
runs the same parts in its own process: the runner of service/runner.py (lock, listener thread,
inbox thread) on the database, the listener reading the stand-in's WebSocket (the stand-in in a
process of its own, as in bench_memory.py), the inbox storing each order and importing it
through ``service.importer.import_pending``; orders pushed as bench_memory.py pushes them. Not here: the server's
cron and HTTP threads. Do not run it while a server holds the company's WebSocket.

After ``--warmup`` orders tracemalloc starts (``--frames`` frames a trace) and a snapshot is taken
(after ``gc.collect()``), then one after each of ``--steps`` equal shares of the remaining orders.
Printed: the entries of the registry's ormcaches by cached method (bounded LRUs: an entry per
order fills them up to their size), the object types whose number grew at every step, the
allocation sites whose live memory grew at every step (leak suspects, with their stack) and the
top growth by line.
Tracing slows every allocation (orders import several times slower): ``--frames 0`` counts the
objects only, at full speed, to look first.
"""
import argparse
import collections
import gc
import itertools
import os
import sys
import time
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_memory import Pusher  # noqa: E402  (bench/ is not a package)
from bench_server import OdooSide, StandIn, ensure_database, pg_connect, query, say, wait  # noqa: E402

IGNORED = (tracemalloc.__file__, '<frozen importlib._bootstrap>', '<unknown>')


def snapshot():
    gc.collect()
    if not tracemalloc.is_tracing():
        return None
    return tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, name) for name in IGNORED])


def object_counts():
    gc.collect()
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def ormcache_entries(registry):
    """Entries of the registry's ormcaches, by cache and cached method (keys start with the
    model's name and the method)."""
    entries = collections.Counter()
    for name, cache in registry._Registry__caches.items():  # no public accessor in Odoo 18
        for key in list(cache):
            method = key[1] if isinstance(key, tuple) and len(key) > 1 else None
            entries['%s: %s.%s' % (name, key[0], getattr(method, '__qualname__', method))
                    if method else name] += 1
    return entries, {name: cache.count for name, cache in registry._Registry__caches.items()}


def where(traceback, frames=6):
    """The innermost frames of a stack, most recent last, without the standard library's."""
    ours = [frame for frame in traceback if '/lib/python3' not in frame.filename] or list(traceback)
    return '\n'.join('      %s:%s' % (frame.filename, frame.lineno) for frame in ours[-frames:])


def report(snapshots, counts, caches, orders_per_step):
    span = orders_per_step * (len(counts) - 1)
    sizes = caches[0][1]
    say("\normcache entries that grew (first -> last snapshot; the LRU's size in brackets):")
    for key in sorted(caches[-1][0], key=lambda k: caches[0][0][k] - caches[-1][0][k]):
        before, after = caches[0][0][key], caches[-1][0][key]
        if after > before:
            say("  %-70s %5d -> %5d (%+.2f per order) [%s]", key, before, after, (after - before) / span,
                sizes[key.split(':')[0]])
    grew = [(name, counts[-1][name] - counts[0][name]) for name in counts[-1]
            if all(b[name] > a[name] for a, b in itertools.pairwise(counts))]
    say("\nobject types more numerous at every step (type: added over %d orders):", span)
    for name, added in sorted(grew, key=lambda row: -row[1])[:20]:
        say("  %-40s %+d", name, added)
    if snapshots[0] is None:
        return
    by_trace = [{stat.traceback: stat for stat in snap.statistics('traceback')} for snap in snapshots]
    suspects = []
    for trace, last in by_trace[-1].items():
        sizes = [stats[trace].size if trace in stats else 0 for stats in by_trace]
        if all(b > a for a, b in itertools.pairwise(sizes)):
            suspects.append((sizes[-1] - sizes[0], last.count - (by_trace[0][trace].count if trace in by_trace[0]
                                                                  else 0), trace))
    suspects.sort(key=lambda row: -row[0])
    total = sum(stat.size for stat in snapshots[-1].statistics('filename')) - sum(
        stat.size for stat in snapshots[0].statistics('filename'))
    say("\ntraced memory after warm-up: %+.1f KB over %d orders (%+.0f bytes/order)", total / 1024, span,
        total / span)
    say("allocation sites growing at every one of %d steps: %d, %+.1f KB in all (%+.0f bytes/order)",
        len(snapshots) - 1, len(suspects), sum(s for s, _c, _t in suspects) / 1024,
        sum(s for s, _c, _t in suspects) / span)
    for size, count, trace in suspects[:15]:
        say("  %+8.1f KB %+7d blocks (%+.1f bytes/order)\n%s", size / 1024, count, size / span, where(trace))
    say("\ntop growth by line, first -> last snapshot:")
    for stat in snapshots[-1].compare_to(snapshots[0], 'lineno')[:15]:
        say("  %s", stat)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--db', default=os.environ.get('OW_BENCH_DB', 'ow_memory_bench'))
    parser.add_argument('--orders', type=int, default=2000)
    parser.add_argument('--warmup', type=int, default=500)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--frames', type=int, default=10, help="frames a trace; 0: no tracemalloc")
    parser.add_argument('--rate', type=float, default=25.0)
    parser.add_argument('--burst', type=int, default=25)
    parser.add_argument('--new-every', type=int, default=4)
    parser.add_argument('--stand-in-python', default=sys.executable)
    args = parser.parse_args()
    ensure_database(args.db)
    stand_in = StandIn(args.stand_in_python, 0)
    runner = None
    try:
        odoo_side = OdooSide(args.db, stand_in)  # also configures Odoo in this process
        from odoo.addons.pos_orderweb.service.runner import Runner, holder  # loaded with the registry
        company_id = odoo_side.company_id
        pg = pg_connect(args.db)
        runner = Runner([args.db], tick=1.0)
        runner.start()
        wait(lambda: query(pg, "SELECT state, holder FROM orderweb_connection WHERE company_id = %s",
                           (company_id,)) == [('connected', holder())], 60, 0.1, "this process's WebSocket")
        pusher = Pusher(args, stand_in, pg, company_id)
        pusher.start('%xi' % int(time.time()))
        started = time.monotonic()
        pusher.push_to(args.warmup)
        say("%d warm-up orders in %.0f s", args.warmup, time.monotonic() - started)
        if args.frames:
            tracemalloc.start(args.frames)
        registry = odoo_side.registry
        snapshots, counts, caches = [snapshot()], [object_counts()], [ormcache_entries(registry)]
        step = (args.orders - args.warmup) // args.steps
        for index in range(1, args.steps + 1):
            pusher.push_to(args.warmup + index * step)
            snapshots.append(snapshot())
            counts.append(object_counts())
            caches.append(ormcache_entries(registry))
            say("%d orders (%.0f s), traced %.1f MB", pusher.pushed, time.monotonic() - started,
                tracemalloc.get_traced_memory()[0] / 2**20)
        if pusher.errors:
            say("%d orders ended in error", pusher.errors)
        pusher.close()
        report(snapshots, counts, caches, step)
    finally:
        if runner:
            runner.stop()
        stand_in.stop()


if __name__ == '__main__':
    sys.exit(main())
