"""Which databases of this server have pos_orderweb: those the runner serves."""
import logging
import time
from contextlib import closing

import psycopg2

from odoo import sql_db
from odoo.http import db_filter
from odoo.modules.db import is_initialized
from odoo.service.db import list_dbs
from odoo.tools import config

from ..const import RECHECK_BUSY, RECHECK_IDLE

_logger = logging.getLogger(__name__)


class DatabaseFinder:
    """The databases this server serves (as the cron workers list them) where pos_orderweb is
    installed, cheaply on a server with many: a database known to have pos_orderweb is not
    checked again (the runner's pass on it notices an uninstall, and calls ``forget``), and one
    without it is looked into again only when PostgreSQL counted commits in it since
    (``RECHECK_BUSY``), or after ``RECHECK_IDLE`` anyway. A new database is looked into at once.
    """

    def __init__(self, dbnames=None):
        self.dbnames = dbnames  # None: the databases the server serves
        # dbname -> (has pos_orderweb, its commit count when looked into, time.monotonic() then,
        #            when its commit count was last compared)
        self._checked = {}

    def forget(self, dbname):
        """``dbname`` is looked into again on the next ``find`` (pos_orderweb was uninstalled)."""
        self._checked.pop(dbname, None)

    def find(self):
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
