"""Cost of one runner pass on a server with many databases.

    <your Odoo's python> bench/bench_runner_pass.py [--count 100] [--passes 12] [--prefix P] [REAL_DB ...]

Creates ``--count`` small empty databases (plain ``CREATE DATABASE``, not Odoo
installs) named ``ow_bench_pass_NNN`` (``--prefix``), next to the real databases given (with
pos_orderweb installed; default ``$OW_BENCH_DB`` or ``ow_run_bench``), then runs
the runner's pass in this process, as a server whose database filter lets all of
them through would, and prints per pass: wall time and PostgreSQL connections
opened (every ``psycopg2.connect``, Odoo's pool included). The first pass (new
databases, registries loaded) is shown apart. The empty databases are dropped at
the end. Odoo's pool is capped at ``--db-maxconn`` (16) so that the benchmark
never holds more than that many PostgreSQL connections.
"""
import argparse
import collections
import os
import re
import statistics
import sys
import time
from contextlib import closing

import psycopg2

import odoo
from odoo.tools import config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tools'))
import odoo_env

ADDONS = odoo_env.addons_path()
PG = {'host': os.environ.get('PGHOST', '127.0.0.1'), 'user': os.environ.get('PGUSER', 'root')}
PREFIX = 'ow_bench_pass_'
MAX_COUNT = 200  # bounded: this is a benchmark, not a load generator


def say(message, *args):
    print(message % args, flush=True)


def admin(statements):
    with closing(psycopg2.connect(dbname='postgres', **PG)) as cnx:
        cnx.autocommit = True
        with cnx.cursor() as cr:
            for statement in statements:
                cr.execute(statement)


def existing(names):
    with closing(psycopg2.connect(dbname='postgres', **PG)) as cnx, cnx.cursor() as cr:
        cr.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (list(names),))
        return {name for (name,) in cr.fetchall()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--count', type=int, default=100)
    parser.add_argument('--passes', type=int, default=12)
    parser.add_argument('--db-maxconn', type=int, default=16)
    parser.add_argument('--prefix', default=PREFIX, help="of the empty databases' names (default %s)" % PREFIX)
    parser.add_argument('real', nargs='*', default=[os.environ.get('OW_BENCH_DB', 'ow_run_bench')])
    args = parser.parse_args()
    count = min(args.count, MAX_COUNT)
    empties = ['%s%03d' % (args.prefix, index) for index in range(count)]
    missing_real = set(args.real) - existing(args.real)
    if missing_real:
        raise SystemExit('no such database (create it with pos_orderweb first): %s' % ', '.join(missing_real))

    config.parse_config(['--addons-path=' + ADDONS, '--db_host', PG['host'], '--db_user', PG['user'],
                         '--log-level=warn', '--db_maxconn', str(args.db_maxconn),
                         # only these databases: never another one of this PostgreSQL server
                         '--db-filter', '^(%s)$' % '|'.join(
                             [re.escape(args.prefix) + r'\d{3}', *map(re.escape, args.real)])])
    from odoo.addons.pos_orderweb.service.runner import Runner

    opened = [0]
    opened_on = collections.Counter()  # database -> connections opened after the first pass
    real_connect = psycopg2.connect

    def counting_connect(*c_args, **c_kwargs):
        opened[0] += 1
        opened_on[c_kwargs.get('database') or c_kwargs.get('dbname')] += 1
        return real_connect(*c_args, **c_kwargs)

    started = time.monotonic()
    have = existing(empties)
    admin('CREATE DATABASE "%s"' % name for name in empties if name not in have)
    say('%d empty databases ready in %.1f s, real: %s; pool capped at %d connections',
        count, time.monotonic() - started, ', '.join(args.real), args.db_maxconn)
    runner = Runner(tick=0)
    psycopg2.connect = counting_connect
    try:
        figures = []
        for index in range(args.passes + 1):
            opened[0] = 0
            started = time.monotonic()
            runner.tick()
            figures.append((time.monotonic() - started, opened[0]))
            if index == 0:
                say('first pass: %.3f s, %d connections opened, %d databases with pos_orderweb',
                    figures[0][0], figures[0][1], len(runner.databases.find()))
                opened[0] = 0  # that listing is not part of a pass
                opened_on.clear()
            time.sleep(0.2)
        steady = figures[1:]
        times = [seconds for seconds, _n in steady]
        connections = [n for _s, n in steady]
        say('next %d passes: %.1f ms median, %.1f ms max per pass; %.1f connections opened per pass '
            '(%d in all)', len(steady), statistics.median(times) * 1000, max(times) * 1000,
            statistics.mean(connections), sum(connections))
        say('connections opened by those passes, by database: %s',
            ', '.join('%s %d' % item for item in opened_on.most_common(5)) or 'none')
    finally:
        psycopg2.connect = real_connect
        runner.close()
        odoo.sql_db.close_all()
        admin('DROP DATABASE IF EXISTS "%s"' % name for name in empties)
        say('%d empty databases dropped', count)


if __name__ == '__main__':
    main()
