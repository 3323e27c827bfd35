"""The runner: owns every OrderWeb listener of one Odoo process.

One pass (``tick``) every ``TICK`` seconds, always from the same thread:

* lists the databases this server serves (as the cron workers do) and keeps
  those where pos_orderweb is installed;
* reads the companies with ``orderweb_enabled``, so that saved settings apply
  within ``TICK`` s plus the connection time, without restart;
* for each of them takes the company's leadership: a PostgreSQL *session*
  advisory lock ``(LOCK_CLASS, company id)`` held on this process's own
  autocommit connection to that database. Only the holder runs a listener: one
  WebSocket per tenant whatever the number of processes and servers sharing the
  database. When the holder dies its connection closes, PostgreSQL frees the
  lock and the next pass of another process takes over (``TICK`` s; a host that
  vanished is noticed by TCP keepalives in about 25 s);
* restarts a listener whose URL, tenant or key changed, stops the listener of a
  company that was disabled, and keeps the status records up to date.

A failed pass on a database drops that database's listeners and locks: a process
that cannot prove it holds a lock must not keep the WebSocket open. The next
pass starts afresh; the loop itself never dies.
"""

import logging
import os
import queue
import socket
import threading
import time
from contextlib import closing, contextmanager
from datetime import timezone

import psycopg2

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.http import db_filter
from odoo.modules.db import is_initialized
from odoo.modules.registry import Registry
from odoo.service.db import list_dbs
from odoo.tools import config

from ..orderweb.listener import Listener
from ..orderweb.utils import mask_key

_logger = logging.getLogger(__name__)

TICK = 5.0
HEARTBEAT = 30.0  # the status record says "no process holds it" after 2 missed beats
DRAIN_TIMEOUT = 20.0  # at stop, orders already received get this long to be stored
STOP = 'stop'
BATCH = 500  # at most this many queued orders stored per commit
RETRY_CAP = 30.0  # seconds between attempts to store received orders while the database fails
# First key of pg_try_advisory_lock(int, int), the second is the company id:
# 'OW' in ASCII, so that ops can spot it in pg_locks (classid = 20311).
LOCK_CLASS = 0x4F57
# Keepalives on the lock connection (client side in libpq, server side by SET) so
# that a vanished holder's lock is freed, and the holder learns it lost it, in ~25 s.
KEEPALIVES = {'keepalives': 1, 'keepalives_idle': 10, 'keepalives_interval': 5, 'keepalives_count': 3}


def holder():
    """Who holds a connection, as shown to managers; read at call time (fork changes the pid)."""
    return '%s:%s' % (socket.gethostname(), os.getpid())


def _utc_naive(moment):
    return moment and moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


@contextmanager
def _company_env(dbname, company_id):
    """A superuser env on a fresh registry cursor (a test cursor in test mode), committed on exit."""
    with Registry(dbname).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {'allowed_company_ids': [company_id]})
        yield env, env['res.company'].browse(company_id)


def _report(dbname, company_id, values):
    with _company_env(dbname, company_id) as (env, company):
        env['orderweb.connection']._orderweb_report(company, values)


class _LockConnection:
    """This process's session advisory locks on one database.

    A connection of its own, never one of Odoo's pool: a pooled connection goes
    back to the pool with its session locks still held and serves other cursors.
    """

    def __init__(self, dbname):
        _dbname, info = sql_db.connection_info_for(dbname)
        self._cnx = psycopg2.connect(**info, **KEEPALIVES)
        self._cnx.autocommit = True
        self._run("SET application_name = %s; SET tcp_keepalives_idle = 10; "
                  "SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3",
                  ('odoo-orderweb %s' % holder(),))

    def _run(self, query, params=()):
        with self._cnx.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchone() if cr.description else None

    def check(self):
        """Raise if the connection, and with it every lock it holds, is gone."""
        self._run("SELECT 1")

    def try_lock(self, company_id):
        return self._run("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, company_id))[0]

    def unlock(self, company_id):
        self._run("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, company_id))

    def close(self):
        self._cnx.close()  # frees every lock of the session


class _Link:
    """The listener of one company, run while this process holds the company's lock.

    The listener thread only receives: orders and catch-up pulls go, in arrival
    order, to this link's own worker thread, which stores them through the inbound
    log. So the socket is always read, pongs are seen at once however long a burst
    takes to store, and a slow pull never delays the next frame.
    """

    def __init__(self, dbname, company_id, settings, listener_options):
        self.dbname = dbname
        self.company_id = company_id
        self.settings = settings  # (url, tenant, api key): any change restarts the link
        url, tenant, api_key = settings
        self._write_lock = threading.Lock()  # the listener, the worker and the runner all report
        self._jobs = queue.SimpleQueue()  # ('push', raw order) | ('pull', None) | (STOP, None)
        self._closing = False
        self._last_order_at = self._reported_order_at = None
        self._beat = 0.0
        self.listener = Listener(  # raises ValueError on a URL or tenant it cannot use
            url, tenant, api_key,
            on_order=lambda order, raw: self._jobs.put(('push', raw)),
            # an order that does not parse is still stored, in state error: nothing vanishes
            on_invalid=lambda raw, error: self._jobs.put(('push', raw)),
            on_connected=lambda: self._jobs.put(('pull', None)),
            on_status=self._on_status, **listener_options)
        self._worker = threading.Thread(target=self._work, daemon=True,
                                        name='orderweb-ingest-%s-%s' % (dbname, company_id))

    def start(self):
        self.report(state='connecting', since=fields.Datetime.now(), tenant=self.settings[1],
                    holder=holder(), heartbeat=fields.Datetime.now(), last_error=False, reconnect_count=0)
        self._beat = time.monotonic()
        self._worker.start()
        self.listener.start()

    def close(self, state):
        """Stop receiving, store what was received (bounded wait), then say ``state``."""
        self._closing = True
        self.listener.stop()
        self._jobs.put((STOP, None))
        self._worker.join(DRAIN_TIMEOUT)
        if self._worker.is_alive():
            _logger.warning("OrderWeb company %s of %s: %s orders still being stored at stop; "
                            "the next catch-up pull brings them back", self.company_id, self.dbname,
                            self._jobs.qsize())
        self.report(state=state, since=fields.Datetime.now(), holder=False)

    def flush(self):
        """Runner pass: last order and heartbeat, kept off the order's hot path."""
        values = {}
        if self._last_order_at != self._reported_order_at:
            values['last_order_at'] = self._reported_order_at = self._last_order_at
        if time.monotonic() - self._beat >= HEARTBEAT:
            values['heartbeat'] = fields.Datetime.now()
            self._beat = time.monotonic()
        if values:
            self.report(**values)

    def report(self, **values):
        """Write the status record; an error quoting the key gets it masked."""
        api_key = self.settings[2]
        if values.get('last_error') and api_key:
            values['last_error'] = values['last_error'].replace(api_key, mask_key(api_key))
        with self._write_lock:
            _report(self.dbname, self.company_id, values)

    def _on_status(self, status):
        """Listener thread: every state change is written at once."""
        if self._closing:  # the runner writes the final state itself
            return
        values = {'state': status.state, 'reconnect_count': status.reconnect_count,
                  'last_error': status.last_error or False}
        if status.state == 'connected':
            values['since'] = _utc_naive(status.connected_since)
        elif status.state != 'connecting':
            values['since'] = fields.Datetime.now()
        self.report(**values)

    def _work(self):
        job = None
        while True:
            kind, raw = job or self._jobs.get()
            job = None
            if kind == STOP:
                return
            # Orders that queued up during a burst are stored in one commit, then
            # mapped one by one: all of them are safe in the database within moments.
            raws = [raw]
            while kind == 'push' and len(raws) < BATCH:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job[0] != 'push':
                    break
                raws.append(job[1])
                job = None
            delay = 1.0
            while True:
                try:
                    self._handle(kind, raws)
                    break
                except Exception:
                    _logger.exception("OrderWeb %s failed for company %s of %s", kind, self.company_id, self.dbname)
                # Received orders are kept until stored (the database may be restarting); a
                # failed pull just waits for the next one.
                if kind != 'push' or self._closing:
                    break
                time.sleep(delay)
                delay = min(delay * 2, RETRY_CAP)

    def _handle(self, kind, raws):
        with _company_env(self.dbname, self.company_id) as (env, company):
            if kind == 'pull':
                env['orderweb.order']._pull_company(company)
            else:
                env['orderweb.order']._ingest(company, raws, 'push')
                self._last_order_at = fields.Datetime.now()


class Runner:
    """Every listener of this process. ``tick`` and ``close`` are called from one thread."""

    def __init__(self, dbnames=None, tick=TICK, **listener_options):
        self.dbnames = dbnames  # None: the databases the server serves
        self.tick_interval = tick
        self.listener_options = listener_options  # tests shorten the backoff
        self._links = {}  # (dbname, company_id) -> _Link
        self._locks = {}  # dbname -> _LockConnection
        self._stop = threading.Event()
        self._thread = None

    # --- hosted in a thread (threaded server, tests) ----------------------------

    def start(self):
        self._thread = threading.Thread(target=self._run, name='orderweb.runner', daemon=True)
        self._thread.start()

    def stop(self, timeout=DRAIN_TIMEOUT + 10):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self):
        _logger.info("OrderWeb runner started in %s", holder())
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self.tick_interval)
        self.close()

    # --- one pass -----------------------------------------------------------------

    def tick(self):
        try:
            dbnames = self._databases()
        except Exception:
            _logger.exception("OrderWeb runner: cannot list the databases")
            return
        for dbname in set(self._locks) - set(dbnames):
            self._drop(dbname)
        for dbname in dbnames:
            try:
                self._tick_db(dbname)
            except Exception:
                _logger.exception("OrderWeb runner: the pass on database %s failed; its "
                                  "listeners stop and are retried in %s s", dbname, self.tick_interval)
                self._drop(dbname)

    def close(self):
        for dbname in list(self._locks):
            self._drop(dbname)
        _logger.info("OrderWeb runner of %s stopped", holder())

    def _databases(self):
        if self.dbnames is not None:
            candidates = self.dbnames
        elif config['db_name']:  # as the cron workers do
            candidates = config['db_name'].split(',')
        else:
            candidates = list_dbs(True)
            if config['dbfilter'] and '%h' not in config['dbfilter'] and '%d' not in config['dbfilter']:
                candidates = db_filter(candidates, host='')  # a host-based filter needs a request: all, as cron
        found = []
        for dbname in candidates:
            try:
                with closing(sql_db.db_connect(dbname).cursor()) as cr:
                    if is_initialized(cr):
                        cr.execute("SELECT 1 FROM ir_module_module WHERE name = 'pos_orderweb' "
                                   "AND state IN ('installed', 'to upgrade')")
                        if cr.rowcount:
                            found.append(dbname)
            except psycopg2.Error as error:  # dropped, or not reachable now: its listeners stop
                _logger.warning("OrderWeb runner: database %s skipped: %s", dbname, error)
        return found

    def _tick_db(self, dbname):
        registry = Registry(dbname).check_signaling()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            wanted = {
                company.id: (company.orderweb_url, (company.orderweb_tenant or '').strip(),
                             (company.orderweb_api_key or '').strip())
                for company in env['res.company'].search([('orderweb_enabled', '=', True)])
            }
            # records still showing a live state although their company was disabled
            to_disable = env['orderweb.connection'].search(
                [('state', '!=', 'disabled'), ('company_id', 'not in', list(wanted))]).company_id.ids
        if dbname not in self._locks:
            self._locks[dbname] = _LockConnection(dbname)
        locks = self._locks[dbname]
        locks.check()

        for (db, company_id), link in list(self._links.items()):
            if db != dbname:
                continue
            if company_id not in wanted:
                self._unlink(link, 'disabled')
            elif wanted[company_id] != link.settings:
                _logger.info("OrderWeb settings of company %s of %s changed: reconnecting", company_id, dbname)
                self._unlink(link, 'stopped')
            else:
                link.flush()
        for company_id, settings in wanted.items():
            if (dbname, company_id) not in self._links and locks.try_lock(company_id):
                self._start_link(dbname, company_id, settings)
        for company_id in to_disable:
            if locks.try_lock(company_id):
                try:
                    _report(dbname, company_id, {'state': 'disabled', 'since': fields.Datetime.now(),
                                                 'holder': False})
                finally:
                    locks.unlock(company_id)

    def _start_link(self, dbname, company_id, settings):
        try:
            link = _Link(dbname, company_id, settings, self.listener_options)
        except ValueError as error:  # settings the listener cannot use: said in the status
            self._locks[dbname].unlock(company_id)
            _report(dbname, company_id, {'state': 'stopped', 'last_error': str(error), 'holder': False})
            return
        link.start()
        self._links[dbname, company_id] = link

    def _unlink(self, link, state):
        del self._links[link.dbname, link.company_id]
        link.close(state)
        self._locks[link.dbname].unlock(link.company_id)

    def _drop(self, dbname):
        """Stop the database's listeners and free its locks by closing their connection."""
        for link in [link for (db, _cid), link in self._links.items() if db == dbname]:
            del self._links[dbname, link.company_id]
            try:
                link.close('stopped')
            except Exception:
                _logger.exception("OrderWeb runner: cannot record the stop of company %s of %s",
                                  link.company_id, dbname)
        locks = self._locks.pop(dbname, None)
        if locks:
            try:
                locks.close()
            except psycopg2.Error:
                pass  # already gone, and its locks with it
