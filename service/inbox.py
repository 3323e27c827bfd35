"""The inbox of one company: what this process received, stored, then imported."""
import logging
import queue
import threading
import time
from contextlib import suppress

from odoo import fields

from ..const import IMPORT_BATCH, MAX_PENDING, PULL_LIMIT, PULL_RETRY_CAP, PULL_RETRY_FIRST, RETRY_CAP, STORE_BATCH
from . import importer
from .status import company_env
from .threads import db_slots, small_stacks

_logger = logging.getLogger(__name__)

STOP = 'stop'


class Inbox:
    """The orders of one company this process received and has not stored yet.

    Its thread stores what was queued (one cursor, one commit per batch of up to
    ``STORE_BATCH``), then runs the import job for the company for one batch
    (``service.importer``), then stores what queued meanwhile, then the next batch...: a
    received order never waits unstored behind a long import, and nothing calls back into
    the inbox. When a whole batch was imported, more may wait: the job also wakes the import
    cron, whose workers help (SKIP LOCKED gives each its own orders); so does a store of more than
    one batch, at once.

    The runner's, not the link's: when the database stops answering, the failed pass drops
    the links (their locks are gone with the connection), but what they received stays
    here, and this thread keeps storing it until PostgreSQL answers again, whoever holds
    the WebSocket by then. That needs no lock: the log's unique (orderweb_id, company_id)
    key makes a second copy of an order a no-op. Catch-up pulls asked by the link go
    through the same queue, in arrival order: each waits on OrderWeb in a thread of its
    own, holding no database connection meanwhile, and its answer comes back through the
    queue to be stored, so that a received order never waits behind a pull's network. A
    failed one is tried again later while the link is up. An order the listener could not
    read is stored with the listener's reason.
    """

    def __init__(self, dbname, company_id):
        self.dbname = dbname
        self.company_id = company_id
        self.last_order_at = None  # when this inbox last stored an order
        self.received = 0  # orders the listener handed over (read orders or not), since it started
        # ('push', (Order, raw order)) | ('invalid', (raw, reason)) | ('pull', None)
        # | ('pulled', PullResult) | ('wake', None) | (STOP, None)
        self._jobs = queue.SimpleQueue()
        self._env = None  # an environment of the database, once a cursor was opened (its cursor is not used)
        self._more = False  # the last import took a whole batch: more may wait
        self._puller = None  # the thread of the pull waiting on OrderWeb
        self._pull_again = False  # a pull was asked while one was on its way
        self._busy = False  # a job is being handled
        self._held = None  # a job taken from the queue while gathering received orders, handled next
        self._pull_due = None  # time.monotonic() when a failed catch-up pull is tried again
        self._pull_delay = 0.0  # the wait before that retry; 0 once a pull succeeded
        self._give_up = threading.Event()  # at process stop, after the drain wait
        self._thread = threading.Thread(target=self._work, daemon=True,
                                        name='orderweb-inbox-%s-%s' % (dbname, company_id))
        with small_stacks():
            self._thread.start()

    # --- the listener's thread ------------------------------------------------------

    def put_order(self, order, raw):
        """An order received and parsed (``orderweb.order.Order``) with the JSON it was decoded from."""
        self._put('push', (order, raw), raw)

    def put_invalid(self, raw, reason):
        """An order received that could not be read (``reason``, a PayloadError)."""
        self._put('invalid', (raw, reason), raw)

    def put_pull(self):
        """A catch-up pull (the link connected)."""
        self._jobs.put(('pull', None))

    def _put(self, kind, job, raw):
        if self._jobs.qsize() >= MAX_PENDING:
            _logger.error("OrderWeb company %s of %s: %s received orders wait for the database; "
                          "order %s is left to the catch-up pull", self.company_id, self.dbname,
                          MAX_PENDING, raw.get('orderId') if isinstance(raw, dict) else '?')
            return
        self._jobs.put((kind, job))
        self.received += 1  # written by the listener's thread only

    # --- the runner's thread --------------------------------------------------------

    def cancel_pull_retry(self):
        """The link stopped: whoever holds it next pulls on connecting."""
        self._pull_due = None

    def idle(self):
        return not self._busy and not self._more and self._held is None and self._jobs.empty()

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

    # --- the inbox's thread ---------------------------------------------------------

    def _next_job(self):
        """The next queued job; else the next import batch while more may wait; else a pull
        retry once it is due: received orders go first."""
        while True:
            if self._more:
                try:
                    return self._jobs.get_nowait()
                except queue.Empty:
                    return ('drain', None)
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
        received = []
        while self._held is None and len(received) < limit:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job[0] == 'push':
                received.append(job[1])
            else:
                self._held = job
        return received

    def _work(self):
        while True:
            kind, data = self._held or self._next_job()
            self._held = None
            if kind == STOP:
                return
            if kind == 'pull':
                self._start_pull()
                continue
            if kind == 'wake':  # a failed pull set its retry time
                continue
            self._busy = True
            try:
                if kind in ('push', 'drain'):
                    self._drain([data] if kind == 'push' else [])
                elif kind == 'invalid':
                    self._until_done(kind, self._store_invalid, data)
                elif self._until_done(kind, self._store_pulled, data):
                    self._more = True  # imported next, after what was received meanwhile is stored
            finally:
                self._busy = False

    def _drain(self, received):
        """Store what was received, import a batch, and again while either is left; a job of
        another kind met on the way is handled first (the next batches after it)."""
        while True:
            received += self._take_received(STORE_BATCH - len(received))
            if received:
                if not self._until_done('push', self._store_received, received):
                    return
                if len(received) > IMPORT_BATCH:  # more than this inbox's next batch: help at once
                    self._until_done('help', importer.ask_for_help, self._env)
                received = []
                self._more = True
            if not self._more:
                return
            taken = self._until_done('import', self._import_batch)
            self._more = bool(taken and taken >= IMPORT_BATCH)
            if self._held is not None:
                return

    def _until_done(self, kind, step, *args):
        """Run ``step`` in a database slot, again while the database fails (it may be restarting:
        what was received is kept meanwhile) until it works or the process stops.

        :return: what ``step`` returned; None if it was given up
        """
        delay = 1.0
        failures = 0
        while True:
            with db_slots:
                try:
                    return step(*args)
                except Exception as exc:
                    error = exc
            if failures:
                _logger.warning("OrderWeb %s for company %s of %s failed again (%s)", kind, self.company_id,
                                self.dbname, error)
            else:
                _logger.error("OrderWeb %s failed for company %s of %s", kind, self.company_id,
                              self.dbname, exc_info=error)
            failures += 1
            if self._give_up.wait(delay):
                return None
            delay = min(delay * 2, RETRY_CAP)

    def _store_received(self, received):
        """Store received orders, with the listener's parse of each: one cursor, one commit."""
        with company_env(self.dbname, self.company_id) as (env, company):
            env['orderweb.order']._store(company, [raw for _order, raw in received], 'push',
                                         [order for order, _raw in received])
            self._env = env
        self.last_order_at = fields.Datetime.now()
        return True

    def _store_invalid(self, invalid):
        raw, reason = invalid
        with company_env(self.dbname, self.company_id) as (env, company):
            env['orderweb.order']._store_unread(company, raw, 'push', reason)
            self._env = env
        return True

    def _store_pulled(self, result):
        with company_env(self.dbname, self.company_id) as (env, company):
            OnlineOrder = env['orderweb.order']
            if result.orders:
                OnlineOrder._store(company, result.orders, 'pull')
            for text, reason in result.unreadable:
                OnlineOrder._store_unread(company, text, 'pull', reason)
            env['orderweb.connection']._orderweb_note_pull(company)  # in a transaction of its own
            self._env = env
        return True

    def _import_batch(self):
        """One batch of the company's import job (``service.importer``), in a transaction of its own.

        :return: how many orders it took
        """
        return importer.import_pending(self._env, [self.company_id], batches=1)

    # --- catch-up pulls -------------------------------------------------------------

    def _start_pull(self):
        """Pull in a thread of its own, unless one is on its way (then once more after it)."""
        if self._puller is not None and self._puller.is_alive():
            self._pull_again = True
            return
        self._pull_again = False
        self._puller = threading.Thread(target=self._pull, daemon=True,
                                        name='orderweb-pull-%s-%s' % (self.dbname, self.company_id))
        with small_stacks():
            self._puller.start()

    def _pull(self):
        """One catch-up pull: the settings read in a moment, then OrderWeb waited on with no
        database connection held (the pull's own deadline bounds it); the answer is queued."""
        try:
            with db_slots, company_env(self.dbname, self.company_id) as (env, company):
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
                with db_slots, company_env(self.dbname, self.company_id) as (env, company):
                    env['orderweb.connection']._orderweb_note_pull(company, error)
            self._pull_delay = min(max(self._pull_delay * 2, PULL_RETRY_FIRST), PULL_RETRY_CAP)
            self._pull_due = time.monotonic() + self._pull_delay
            self._jobs.put(('wake', None))  # the inbox waits for the next job until then
        else:
            self._pull_due, self._pull_delay = None, 0.0
            self._jobs.put(('pulled', result))
        if self._pull_again:
            self._jobs.put(('pull', None))
