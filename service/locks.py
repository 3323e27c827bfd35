"""This process's leadership of companies: PostgreSQL session advisory locks."""
import psycopg2

from odoo import sql_db

from ..const import KEEPALIVES, LOCK_CLASS
from .status import holder


class LockConnection:
    """This process's session advisory locks ``(LOCK_CLASS, company id)`` on one database.

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
