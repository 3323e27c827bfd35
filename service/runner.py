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
pass starts afresh; the loop itself never dies. Orders already received are not
the link's but the company's inbox's (``_Inbox``): it outlives the links and
keeps storing them until PostgreSQL answers again.

A pass stays cheap on a server with many databases: a database known to have
pos_orderweb is not checked again (its pass notices an uninstall), and one
without it is looked into again only when PostgreSQL counted commits in it since
(``RECHECK_BUSY``), or after ``RECHECK_IDLE`` anyway. A new database is looked
into at once.
"""

import logging
import os
import queue
import socket
import threading
import time
from contextlib import ExitStack, closing, contextmanager, suppress
from datetime import timezone

import psycopg2

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.http import db_filter
from odoo.modules.db import is_initialized
from odoo.modules.registry import Registry
from odoo.service.db import list_dbs
from odoo.tools import config

from ..const import (
    DB_WORKERS,
    DRAIN_TIMEOUT,
    HEARTBEAT,
    KEEPALIVES,
    LOCK_CLASS,
    MAX_PENDING,
    PULL_LIMIT,
    PULL_RETRY_CAP,
    PULL_RETRY_FIRST,
    RECHECK_BUSY,
    RECHECK_IDLE,
    RETRY_CAP,
    STATUS_WRITERS,
    STORE_BATCH,
    THREAD_STACK,
    TICK,
)
from ..orderweb.listener import Listener
from ..orderweb.utils import mask_key
from . import intake

_logger = logging.getLogger(__name__)

STOP = 'stop'

DB_SLOTS = max(1, min(DB_WORKERS, config['db_maxconn'] // 4))
_db_slots = threading.BoundedSemaphore(DB_SLOTS)
_status_slots = threading.BoundedSemaphore(STATUS_WRITERS)


_stack_lock = threading.Lock()


@contextmanager
def _small_stacks():
    """Threads started meanwhile get THREAD_STACK (a process-wide setting, restored after)."""
    with _stack_lock:
        previous = threading.stack_size(THREAD_STACK)
        try:
            yield
        finally:
            threading.stack_size(previous)


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
    with _status_slots, _company_env(dbname, company_id) as (env, company):
        env['orderweb.connection']._orderweb_report(company, values)


def _report_many(dbname, reports):
    """Runner pass: ``{company id: values}`` of the companies' status records, in one transaction."""
    with _status_slots, Registry(dbname).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})  # live until the commit flushes the writes
        env['orderweb.connection']._orderweb_report_many(reports)


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

    def _query(self, query, params=()):
        with self._cnx.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if cr.description else None

    def _run(self, query, params=()):
        rows = self._query(query, params)
        return rows[0] if rows else None

    def check(self):
        """Raise if the connection, and with it every lock it holds, is gone."""
        self._run("SELECT 1")

    def try_lock(self, company_id):
        return self._run("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, company_id))[0]

    def try_lock_many(self, company_ids):
        """The companies of ``company_ids`` whose lock this session holds now: one query for all."""
        if not company_ids:
            return []
        return [company_id for (company_id,) in self._query(
            "SELECT id FROM unnest(%s::int[]) AS id WHERE pg_try_advisory_lock(%s, id) ORDER BY id",
            (list(company_ids), LOCK_CLASS))]

    def unlock(self, company_id):
        self._run("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, company_id))

    def close(self):
        self._cnx.close()  # frees every lock of the session


class _Inbox:
    """The orders of one company this process received and has not stored yet.

    The runner's, not the link's: when the database stops answering, the failed
    pass drops the links (their locks are gone with the connection), but what they
    received stays here, and this thread keeps storing it until PostgreSQL answers
    again, whoever holds the WebSocket by then. That needs no lock: the log's
    unique (orderweb_id, company_id) key makes a second copy of an order a no-op.
    Catch-up pulls asked by the link go through the same queue, in arrival order: each
    waits on OrderWeb in a thread of its own, holding no database connection meanwhile,
    and its answer comes back through the queue to be stored, so that a received order
    never waits behind a pull's network. A failed one is tried again later while the link
    is up. An order the listener could not read is stored with the listener's reason.
    """

    def __init__(self, dbname, company_id):
        self.dbname = dbname
        self.company_id = company_id
        self.last_order_at = None  # when this inbox last stored an order
        # ('push', raw order) | ('invalid', (raw, reason)) | ('pull', None) | ('pulled', PullResult)
        # | ('wake', None) | (STOP, None)
        self._jobs = queue.SimpleQueue()
        self._puller = None  # the thread of the pull waiting on OrderWeb
        self._pull_again = False  # a pull was asked while one was on its way
        self._busy = False  # a job is being handled
        self._held = None  # a job taken from the queue while gathering received orders, handled next
        self._pull_due = None  # time.monotonic() when a failed catch-up pull is tried again
        self._pull_delay = 0.0  # the wait before that retry; 0 once a pull succeeded
        self._give_up = threading.Event()  # at process stop, after the drain wait
        self._thread = threading.Thread(target=self._work, daemon=True,
                                        name='orderweb-inbox-%s-%s' % (dbname, company_id))
        with _small_stacks():
            self._thread.start()

    def put(self, kind, raw=None):
        if kind in ('push', 'invalid') and self._jobs.qsize() >= MAX_PENDING:
            order = raw[0] if kind == 'invalid' else raw
            _logger.error("OrderWeb company %s of %s: %s received orders wait for the database; "
                          "order %s is left to the catch-up pull", self.company_id, self.dbname,
                          MAX_PENDING, order.get('orderId') if isinstance(order, dict) else '?')
            return
        self._jobs.put((kind, raw))

    def cancel_pull_retry(self):
        """The link stopped: whoever holds it next pulls on connecting."""
        self._pull_due = None

    def idle(self):
        return not self._busy and self._held is None and self._jobs.empty()

    def pending(self):
        return self._jobs.qsize() + self._busy + (self._held is not None)

    def stop(self):
        """No new work; the thread ends once what it holds is stored."""
        self._jobs.put((STOP, None))

    def join(self, timeout):
        """Wait for the thread; past ``timeout`` it stops retrying. True if all was stored."""
        deadline = time.monotonic() + timeout
        self._thread.join(timeout)
        # A catch-up pull on its way would still open a cursor once the runner stopped (seen in
        # a test run: in the next test's transaction): it ends first, bounded by its own deadline.
        if self._puller is not None:
            self._puller.join(max(deadline - time.monotonic(), 0))
        if self._thread.is_alive():
            self._give_up.set()
            return False
        return True

    def _next_job(self):
        """The next queued job, else a pull retry once it is due: received orders go first."""
        while True:
            due = self._pull_due
            try:
                return self._jobs.get(timeout=None if due is None else max(due - time.monotonic(), 0))
            except queue.Empty:
                if self._pull_due is not None:  # not cancelled meanwhile
                    self._pull_due = None
                    return ('pull', None)

    def _take_received(self, limit):
        """Received orders queued meanwhile, at most ``limit``; a job of another kind met on
        the way is held, and handled next."""
        raws = []
        while self._held is None and len(raws) < limit:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job[0] == 'push':
                raws.append(job[1])
            else:
                self._held = job
        return raws

    def _work(self):
        while True:
            kind, raw = self._held or self._next_job()
            self._held = None
            if kind == STOP:
                return
            if kind == 'pull':
                self._start_pull()
                continue
            if kind == 'wake':  # a failed pull set its retry time
                continue
            self._busy = True
            raws = [raw]
            delay = 1.0
            failures = 0
            while True:
                with _db_slots:
                    # Orders that queued up during a burst, or while this waited for a slot, are
                    # stored in one commit, then imported: all of them are safe within moments.
                    if kind == 'push':
                        raws += self._take_received(STORE_BATCH - len(raws))
                    try:
                        self._handle(kind, raws)
                        error = None
                    except Exception as exc:
                        error = exc
                if error is None:
                    break
                if failures:
                    _logger.warning("OrderWeb %s for company %s of %s failed again (%s); %s orders "
                                    "kept", kind, self.company_id, self.dbname, error, len(raws))
                else:
                    _logger.error("OrderWeb %s failed for company %s of %s", kind, self.company_id,
                                  self.dbname, exc_info=error)
                failures += 1
                # Received (and pulled) orders are kept until stored (the database may be restarting).
                if self._give_up.wait(delay):
                    break
                delay = min(delay * 2, RETRY_CAP)
            self._busy = False

    def _start_pull(self):
        """Pull in a thread of its own, unless one is on its way (then once more after it)."""
        if self._puller is not None and self._puller.is_alive():
            self._pull_again = True
            return
        self._pull_again = False
        self._puller = threading.Thread(target=self._pull, daemon=True,
                                        name='orderweb-pull-%s-%s' % (self.dbname, self.company_id))
        with _small_stacks():
            self._puller.start()

    def _pull(self):
        """One catch-up pull: the settings read in a moment, then OrderWeb waited on with no
        database connection held (the pull's own deadline bounds it); the answer is queued."""
        try:
            with _db_slots, _company_env(self.dbname, self.company_id) as (env, company):
                client = company._orderweb_pull_client()
            with client:
                result = client.pull(limit=PULL_LIMIT)
        except Exception as error:
            if self._pull_delay:
                _logger.warning("OrderWeb catch-up pull for company %s of %s failed again (%s)",
                                self.company_id, self.dbname, error)
            else:
                _logger.error("OrderWeb catch-up pull failed for company %s of %s: %s",
                              self.company_id, self.dbname, error)
            with suppress(Exception):  # the database may be what failed
                with _db_slots, _company_env(self.dbname, self.company_id) as (env, company):
                    env['orderweb.connection']._orderweb_note_pull(company, error)
            self._pull_delay = min(max(self._pull_delay * 2, PULL_RETRY_FIRST), PULL_RETRY_CAP)
            self._pull_due = time.monotonic() + self._pull_delay
            self._jobs.put(('wake', None))  # the inbox waits for the next job until then
        else:
            self._pull_due, self._pull_delay = None, 0.0
            self._jobs.put(('pulled', result))
        if self._pull_again:
            self._jobs.put(('pull', None))

    def _handle(self, kind, raws):
        with _company_env(self.dbname, self.company_id) as (env, company):
            if kind == 'pulled':
                result, = raws
                env['orderweb.connection']._orderweb_receive_pulled(company, result)
            elif kind == 'invalid':
                (raw, reason), = raws
                env['orderweb.order']._store_unread(company, raw, 'push', reason)
            else:
                def received_since():
                    # Stored by intake.receive before its next batch; kept in ``raws`` until then, for a retry.
                    more = self._take_received(STORE_BATCH)
                    raws.extend(more)
                    return more
                intake.receive(env, company, list(raws), 'push', received_since=received_since)
                self.last_order_at = fields.Datetime.now()


class _Link:
    """The listener of one company, run while this process holds the company's lock.

    The listener thread only receives: orders and catch-up pulls go, in arrival
    order, to the company's inbox, whose thread stores them through the inbound
    log. So the socket is always read, pongs are seen at once however long a burst
    takes to store, and a slow pull never delays the next frame.
    """

    def __init__(self, inbox, settings, listener_options):
        self.dbname = inbox.dbname
        self.company_id = inbox.company_id
        self.inbox = inbox
        self.settings = settings  # (url, tenant, api key): any change restarts the link
        url, tenant, api_key = settings
        # The listener and the runner both report; taken before a database slot, never after.
        self.write_lock = threading.Lock()
        self._closing = False
        self._reported_order_at = None
        self._beat = 0.0
        self.listener = Listener(  # raises ValueError on a URL or tenant it cannot use
            url, tenant, api_key,
            on_order=lambda order, raw: inbox.put('push', raw),
            # an order that does not parse is still stored, in state error: nothing vanishes
            on_invalid=lambda raw, error: inbox.put('invalid', (raw, error)),
            on_connected=lambda: inbox.put('pull'),
            on_status=self._on_status, **listener_options)

    def start(self):
        self.report(state='connecting', since=fields.Datetime.now(), tenant=self.settings[1],
                    holder=holder(), heartbeat=fields.Datetime.now(), last_error=False, reconnect_count=0)
        self._beat = time.monotonic()
        with _small_stacks():
            self.listener.start()

    def close(self, state):
        """Stop receiving and say ``state``; the inbox stores what was received."""
        self._closing = True
        self.listener.stop()
        self.inbox.cancel_pull_retry()
        self.report(state=state, since=fields.Datetime.now(), holder=False)

    def to_flush(self, now):
        """Runner pass: last order and heartbeat to write, kept off the order's hot path
        (the pass writes those of all its links at once)."""
        values = {}
        if self.inbox.last_order_at != self._reported_order_at:
            values['last_order_at'] = self._reported_order_at = self.inbox.last_order_at
        if time.monotonic() - self._beat >= HEARTBEAT:
            values['heartbeat'] = now
            self._beat = time.monotonic()
        return values

    def report(self, **values):
        """Write the status record; an error quoting the key gets it masked."""
        api_key = self.settings[2]
        if values.get('last_error') and api_key:
            values['last_error'] = values['last_error'].replace(api_key, mask_key(api_key))
        with self.write_lock:
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


class Runner:
    """Every listener of this process. ``tick`` and ``close`` are called from one thread."""

    def __init__(self, dbnames=None, tick=TICK, **listener_options):
        self.dbnames = dbnames  # None: the databases the server serves
        self.tick_interval = tick
        self.listener_options = listener_options  # tests shorten the backoff
        self._links = {}  # (dbname, company_id) -> _Link
        self._inboxes = {}  # (dbname, company_id) -> _Inbox, while it has a link or orders to store
        self._locks = {}  # dbname -> _LockConnection
        # dbname -> (has pos_orderweb, its commit count when looked into, time.monotonic() then,
        #            when its commit count was last compared)
        self._checked = {}
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
        for key, inbox in list(self._inboxes.items()):
            if key not in self._links and inbox.idle():
                del self._inboxes[key]
                inbox.stop()

    def close(self):
        for dbname in list(self._locks):
            self._drop(dbname)
        deadline = time.monotonic() + DRAIN_TIMEOUT
        for inbox in self._inboxes.values():
            inbox.stop()
        for inbox in self._inboxes.values():
            left = inbox.pending()
            if not inbox.join(max(deadline - time.monotonic(), 0)):
                _logger.warning("OrderWeb company %s of %s: about %s received orders not stored at stop; "
                                "the next catch-up pull brings them back", inbox.company_id, inbox.dbname, left)
        self._inboxes.clear()
        _logger.info("OrderWeb runner of %s stopped", holder())

    def _databases(self):
        if self.dbnames is not None:
            candidates = self.dbnames
        elif config['db_name']:  # as the cron workers do; a list from 19.0 on, text before
            candidates = config['db_name']
            candidates = candidates.split(',') if isinstance(candidates, str) else list(candidates)
        else:
            candidates = list_dbs(True)
            if config['dbfilter'] and '%h' not in config['dbfilter'] and '%d' not in config['dbfilter']:
                candidates = db_filter(candidates, host='')  # a host-based filter needs a request: all, as cron
        now = time.monotonic()
        commits = None  # read at most once a pass, and only when a database is due for a look
        for gone in set(self._checked) - set(candidates):
            del self._checked[gone]
        found = []
        for dbname in candidates:
            has_module, commits_then, checked_at, compared_at = self._checked.get(dbname, (False, None, None, None))
            if has_module:  # its pass sees an uninstall
                found.append(dbname)
                continue
            if checked_at is not None:
                if now - compared_at < RECHECK_BUSY:
                    continue
                if commits is None:
                    commits = self._commit_counts()
                if commits and commits.get(dbname) == commits_then and now - checked_at < RECHECK_IDLE:
                    self._checked[dbname] = (has_module, commits_then, checked_at, now)
                    continue
            if commits is None:
                commits = self._commit_counts()
            try:
                with closing(sql_db.db_connect(dbname).cursor()) as cr:
                    has_module = is_initialized(cr) and self._module_installed(cr)
            except psycopg2.Error as error:  # dropped, or not reachable now: its listeners stop
                _logger.warning("OrderWeb runner: database %s skipped: %s", dbname, error)
                continue
            self._checked[dbname] = (has_module, commits.get(dbname), now, now)
            if has_module:
                found.append(dbname)
        return found

    @staticmethod
    def _module_installed(cr):
        cr.execute("SELECT 1 FROM ir_module_module WHERE name = 'pos_orderweb' "
                   "AND state IN ('installed', 'to upgrade')")
        return bool(cr.rowcount)

    @staticmethod
    def _commit_counts():
        """Commits PostgreSQL counted in each database: one query for all of them. Empty if
        unavailable (each database is then looked into every RECHECK_BUSY s)."""
        try:
            with closing(sql_db.db_connect('postgres').cursor()) as cr:
                cr.execute("SELECT datname, xact_commit FROM pg_stat_database WHERE datname IS NOT NULL")
                return dict(cr.fetchall())
        except psycopg2.Error:
            return {}

    def _tick_db(self, dbname):
        with Registry(dbname).cursor() as cr:
            registry = Registry(dbname).check_signaling(cr)
            if 'orderweb.connection' not in registry:  # uninstalled meanwhile
                self._checked.pop(dbname, None)
                self._drop(dbname)
                return
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

        now = fields.Datetime.now()
        reports = {}
        for (db, company_id), link in list(self._links.items()):
            if db != dbname:
                continue
            if company_id not in wanted:
                self._unlink(link, 'disabled')
            elif wanted[company_id] != link.settings:
                _logger.info("OrderWeb settings of company %s of %s changed: reconnecting", company_id, dbname)
                self._unlink(link, 'stopped')
            elif values := link.to_flush(now):
                reports[link] = values
        if reports:
            # The links' own writes (listener threads) wait meanwhile: one writer per record.
            with ExitStack() as stack:
                for link in reports:
                    stack.enter_context(link.write_lock)
                _report_many(dbname, {link.company_id: values for link, values in reports.items()})
        # One query for all: a process standing by for companies held elsewhere asks every pass.
        for company_id in locks.try_lock_many([cid for cid in wanted if (dbname, cid) not in self._links]):
            self._start_link(dbname, company_id, wanted[company_id])
        for company_id in to_disable:
            if locks.try_lock(company_id):
                try:
                    _report(dbname, company_id, {'state': 'disabled', 'since': fields.Datetime.now(),
                                                 'holder': False})
                finally:
                    locks.unlock(company_id)

    def _start_link(self, dbname, company_id, settings):
        inbox = self._inboxes.get((dbname, company_id))
        if inbox is None:
            inbox = self._inboxes[dbname, company_id] = _Inbox(dbname, company_id)
        try:
            link = _Link(inbox, settings, self.listener_options)
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
        """Stop the database's listeners and free its locks by closing their connection; their
        inboxes go on storing what was received."""
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
            except psycopg2.Error:  # pylint: disable=except-pass
                pass  # already gone, and its locks with it
