"""What the runner writes of a company's connection (its status record), and in which environment."""
import os
import socket
from contextlib import contextmanager
from datetime import timezone

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

from .threads import status_slots


def holder():
    """Who holds a connection, as shown to managers; read at call time (fork changes the pid)."""
    return '%s:%s' % (socket.gethostname(), os.getpid())


def utc_naive(moment):
    return moment and moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


@contextmanager
def company_env(dbname, company_id):
    """A superuser env on a fresh registry cursor (a test cursor in test mode), committed on exit."""
    with Registry(dbname).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {'allowed_company_ids': [company_id]})
        yield env, env['res.company'].browse(company_id)


def report(dbname, company_id, values):
    """Write the status record of one company, in a transaction of its own."""
    with status_slots, company_env(dbname, company_id) as (env, company):
        env['orderweb.connection']._orderweb_report(company, values)


def report_many(dbname, reports):
    """Runner pass: ``{company id: values}`` of the companies' status records, in one transaction."""
    with status_slots, Registry(dbname).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})  # live until the commit flushes the writes
        env['orderweb.connection']._orderweb_report_many(reports)
