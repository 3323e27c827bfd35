"""The runner: owns every OrderWeb listener of one Odoo process.

One pass (``tick``) every ``TICK`` seconds, always from the same thread:

* lists the databases this server serves and keeps those where pos_orderweb is
  installed (``databases.DatabaseFinder``);
* reads the companies with ``orderweb_enabled``, so that saved settings apply
  within ``TICK`` s plus the connection time, without restart;
* for each of them takes the company's leadership: a PostgreSQL *session*
  advisory lock ``(LOCK_CLASS, company id)`` held on this process's own
  autocommit connection to that database (``locks.LockConnection``). Only the
  holder runs a listener (``link.Link``): one WebSocket per tenant whatever the
  number of processes and servers sharing the database. When the holder dies its
  connection closes, PostgreSQL frees the lock and the next pass of another process
  takes over (``TICK`` s; a host that vanished is noticed by TCP keepalives in about 25 s);
* restarts a listener whose URL, tenant or key changed, stops the listener of a
  company that was disabled, and keeps the status records up to date (``status``).

A failed pass on a database drops that database's listeners and locks: a process
that cannot prove it holds a lock must not keep the WebSocket open. The next
pass starts afresh; the loop itself never dies. Orders already received are not
the link's but the company's inbox's (``inbox.Inbox``): it outlives the links and
keeps storing and importing them until PostgreSQL answers again.
"""

import logging
import threading
import time
from contextlib import ExitStack

import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry

from ..const import DRAIN_TIMEOUT, TICK
from .databases import DatabaseFinder
from .inbox import Inbox
from .link import Link
from .locks import LockConnection
from .status import holder, report, report_many

_logger = logging.getLogger(__name__)


class Runner:
    """Every listener of this process. ``tick`` and ``close`` are called from one thread."""

    def __init__(self, dbnames=None, tick=TICK, **listener_options):
        self.databases = DatabaseFinder(dbnames)  # None: the databases the server serves
        self.tick_interval = tick
        self.listener_options = listener_options  # tests shorten the backoff
        self._links = {}  # (dbname, company_id) -> Link
        self._inboxes = {}  # (dbname, company_id) -> Inbox, while it has a link or orders to store or import
        self._locks = {}  # dbname -> LockConnection
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
            dbnames = self.databases.find()
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

    def _tick_db(self, dbname):
        with Registry(dbname).cursor() as cr:
            registry = Registry(dbname).check_signaling(cr)
            if 'orderweb.connection' not in registry:  # uninstalled meanwhile
                self.databases.forget(dbname)
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
            self._locks[dbname] = LockConnection(dbname)
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
                report_many(dbname, {link.company_id: values for link, values in reports.items()})
        # One query for all: a process standing by for companies held elsewhere asks every pass.
        for company_id in locks.try_lock_many([cid for cid in wanted if (dbname, cid) not in self._links]):
            self._start_link(dbname, company_id, wanted[company_id])
        for company_id in to_disable:
            if locks.try_lock(company_id):
                try:
                    report(dbname, company_id, {'state': 'disabled', 'since': fields.Datetime.now(),
                                                 'holder': False})
                finally:
                    locks.unlock(company_id)

    def _start_link(self, dbname, company_id, settings):
        inbox = self._inboxes.get((dbname, company_id))
        if inbox is None:
            inbox = self._inboxes[dbname, company_id] = Inbox(dbname, company_id)
        try:
            link = Link(inbox, settings, self.listener_options)
        except ValueError as error:  # settings the listener cannot use: said in the status
            self._locks[dbname].unlock(company_id)
            report(dbname, company_id, {'state': 'stopped', 'last_error': str(error), 'holder': False})
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
