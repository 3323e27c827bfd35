"""The status of a company's OrderWeb connection as its holder process reports it, and its pulls
(scheduled, catch-up, "Pull now"). Monitoring from outside Odoo: orderweb_connection_health.py."""
import logging
import time
from collections import Counter
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..compat import sql_constraints
from ..const import (
    NOTE_LOCK_TIMEOUT,
    PULL_LIMIT,
    STALE_AFTER,
)
from ..orderweb.pull import OrderWebError
from ..orderweb.utils import storable_text
from ..service import importer
from ..utils import TRANSIENT_ERRORS, is_outage
from .ir_cron import PULL_EVERY_COMPANY

_logger = logging.getLogger(__name__)


@sql_constraints(
    company_uniq=(
        'unique(company_id)',
        "A company has one OrderWeb connection status."),
)
class OrderWebConnection(models.Model):
    """Live status of a company's OrderWeb WebSocket, as its holder process sees it.

    Written only by the process holding the company's leadership lock, so every
    worker and server shows the same truth.
    """
    _name = 'orderweb.connection'
    _description = "OrderWeb Live Connection"
    _rec_name = 'company_id'
    _order = 'company_id'

    company_id = fields.Many2one('res.company', required=True, readonly=True, ondelete='cascade')
    tenant = fields.Char(readonly=True)
    state = fields.Selection([
        ('connecting', "Connecting"),
        ('connected', "Connected"),
        ('reconnecting', "Reconnecting"),
        ('key_refused', "Key Refused"),
        ('stopped', "Stopped"),
        ('disabled', "Disabled"),
    ], required=True, default='disabled', readonly=True)
    since = fields.Datetime(readonly=True, help="When the connection entered its current state.")
    last_order_at = fields.Datetime(string="Last Order Received", readonly=True)
    last_error = fields.Char(readonly=True)
    reconnect_count = fields.Integer(
        string="Reconnections", readonly=True,
        help="Reconnections since this process took the connection over.")
    holder = fields.Char(
        string="Server Process", readonly=True,
        help="Host and process id of the Odoo process holding the connection; "
             "the other processes stand by and take over within a minute if it dies.")
    heartbeat = fields.Datetime(string="Last Seen Alive", readonly=True)
    no_holder = fields.Boolean(
        compute='_compute_no_holder',
        help="OrderWeb is enabled but no Odoo process holds the connection.")
    set_aside_count = fields.Integer(
        string="Orders Set Aside", compute='_compute_set_aside',
        help="Orders that could not be stored as received: kept in the online orders with their raw text.")
    last_set_aside_at = fields.Datetime(string="Last Set Aside", compute='_compute_set_aside')
    pull_failure_count = fields.Integer(
        string="Failed Pulls", readonly=True,
        help="Pulls that failed in a row (scheduled, catch-up or manual); 0 once one succeeds.")
    last_pull_error = fields.Char(readonly=True)

    @api.depends('heartbeat', 'state', 'company_id.orderweb_enabled')
    def _compute_no_holder(self):
        limit = fields.Datetime.now() - timedelta(seconds=STALE_AFTER)
        for record in self:
            record.no_holder = record.company_id.orderweb_enabled and (
                record.state in ('stopped', 'disabled') or not record.heartbeat or record.heartbeat < limit)

    def _compute_set_aside(self):
        # Counted from the online orders themselves, which any process writes: the holder alone writes this record.
        counts = {
            company: (count, last)
            for company, count, last in self.env['orderweb.order'].sudo()._read_group(
                [('set_aside', '=', True), ('company_id', 'in', self.company_id.ids)],
                ['company_id'], ['__count', 'received_at:max'])
        }
        for record in self:
            record.set_aside_count, record.last_set_aside_at = counts.get(record.company_id, (0, False))

    def action_view_set_aside(self):
        self.ensure_one()
        return {
            'type': 'ir.actions.act_window',
            'name': _("Orders Set Aside"),
            'res_model': 'orderweb.order',
            'view_mode': 'list,form',
            'domain': [('set_aside', '=', True), ('company_id', '=', self.company_id.id)],
        }

    @api.model
    def _orderweb_report(self, company, values):
        """Apply the runner's view of ``company``'s connection; log state changes.

        Only the holder of the company's lock calls this, so the record is never
        written concurrently (and created once).
        """
        record = self.search([('company_id', '=', company.id)]) or self.create({'company_id': company.id})
        changes = {name: value for name, value in values.items() if (record[name] or False) != (value or False)}
        if not changes:
            return record
        if 'state' in changes:
            log = _logger.warning if changes['state'] == 'key_refused' else _logger.info
            error = changes.get('last_error')
            log("OrderWeb connection of %s (tenant %s): %s -> %s%s, process %s", company.name,
                changes.get('tenant', record.tenant), record.state, changes['state'],
                " (%s)" % error if error and changes['state'] != 'connected' else "",
                changes.get('holder', record.holder) or "none")
        record.write(changes)
        return record

    @api.model
    def _orderweb_report_many(self, values_by_company_id):
        """Runner pass: what changes often (heartbeat, last order) for many companies, one
        write per distinct values (the heartbeats of a pass are all alike)."""
        company_ids_by_values = {}
        for company_id, values in values_by_company_id.items():
            company_ids_by_values.setdefault(tuple(sorted(values.items())), []).append(company_id)
        for values, company_ids in company_ids_by_values.items():
            self.search([('company_id', 'in', company_ids)]).write(dict(values))

    @api.model
    def _orderweb_note_pull(self, company, error=None):
        """Count a failed pull of ``company`` (``error``), or note one that worked: when (its
        interval starts again), and the failures count reset. In a short transaction of its
        own, so that it is kept whatever becomes of the caller's, written by any process (cron,
        runner, a manager's Pull now or Run manually), and holds the company's row no longer:
        a caller's transaction, open for a whole run, would hold back every other pull of the
        company meanwhile, and a run manually on 19.0 (the request's transaction waits for the
        job's) for ever."""
        now = fields.Datetime.now()
        company.flush_recordset()  # the caller's own changes to it hold its row: see below
        for attempt in range(3):
            try:
                with self.env.registry.cursor() as cr:
                    env = self.env(cr=cr, su=True)
                    noted_here = not error and self._orderweb_lock_company(cr, company)
                    if noted_here:
                        company.with_env(env).orderweb_last_pull_at = now
                    record = self.with_env(env).search([('company_id', '=', company.id)])
                    if record and (error or record.pull_failure_count or record.last_pull_error):
                        record.write({
                            'pull_failure_count': record.pull_failure_count + 1 if error else 0,
                            'last_pull_error': storable_text(str(error))[:500] if error else False,
                        })
                    env.flush_all()
                break
            except TRANSIENT_ERRORS:
                time.sleep(0.1 * (attempt + 1))  # another process wrote the status meanwhile
        else:
            _logger.warning("OrderWeb: the pull outcome of %s could not be noted", company.name)
            return
        if not error and not noted_here:
            # Its row is held longer than a note takes: by the caller's own transaction (a
            # settings form saves what changed before its Pull now runs), which writes it then.
            company.sudo().orderweb_last_pull_at = now
        company.invalidate_recordset(['orderweb_last_pull_at'])

    @api.model
    def _orderweb_lock_company(self, cr, company):
        """Lock the row of ``company`` in ``cr`` (a transaction of its own), waiting no longer
        than another note of a pull holds it.

        :return: whether it is locked
        """
        cr.execute("SET LOCAL lock_timeout = %s", [f'{NOTE_LOCK_TIMEOUT}s'])
        try:
            with cr.savepoint(flush=False):
                cr.execute("SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE", [company.id],
                           log_exceptions=False)
        except psycopg2.errors.LockNotAvailable:
            return False
        return True

    # ------------------------------------------------------------------
    # Pull: the scheduled one, after a reconnect (service/runner.py), and "Pull now"
    # ------------------------------------------------------------------

    @api.model
    def _orderweb_pull(self, company):
        """Pull the confirmed orders of ``company`` once and receive them (idempotent).

        :return: the online orders of the answer
        """
        with company._orderweb_pull_client() as client:
            result = client.pull(limit=PULL_LIMIT)
        return self._orderweb_receive_pulled(company, result)

    @api.model
    def _orderweb_receive_pulled(self, company, result):
        """Store what a pull of ``company`` answered, committed, note that it worked
        (``_orderweb_note_pull``), then run the import job for the company (``service.importer``).

        :param result: an ``orderweb.pull.PullResult``
        :return: the online orders of the answer
        """
        online_orders = importer.receive(self.env, company, result.orders, 'pull', unreadable=result.unreadable)
        self._orderweb_note_pull(company)
        return online_orders

    @api.model
    def _cron_pull(self):
        """Pull each enabled company whose interval has passed, and import what it stored. Only
        pulls: what waits (a session, a retry) is the import cron's (``orderweb.order``)."""
        now = fields.Datetime.now()
        companies = self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)])
        for company in companies:
            due = PULL_EVERY_COMPANY.get() or not company.orderweb_last_pull_at or (
                (now - company.orderweb_last_pull_at).total_seconds() >= company.orderweb_pull_interval * 60 - 30)
            if not due:
                continue
            try:
                # An answer may fail in the middle of its storing: only this company's work is undone.
                with self.env.cr.savepoint():
                    self.with_company(company)._orderweb_pull(company)
            except (OrderWebError, ValueError, *TRANSIENT_ERRORS) as error:
                # One company's outage or bad settings must not stop the others' pulls.
                _logger.warning("OrderWeb pull for %s failed: %s", company.name, error)
                self._orderweb_note_pull(company, error)
            except Exception as error:
                if is_outage(error):
                    raise
                # Nor anything an answer holds: the others' pulls go on.
                _logger.exception("OrderWeb pull for %s failed unexpectedly", company.name)
                self._orderweb_note_pull(company, error)

    def action_pull_now(self):
        self.ensure_one()
        return self._orderweb_pull_now(self.company_id)

    @api.model
    def _orderweb_pull_now(self, company):
        """Pull ``company``'s confirmed orders now and import them as the cron does; say what happened."""
        self.check_access('write')  # POS managers and administrators
        company = company.sudo()
        if not company.orderweb_enabled:
            raise UserError(_("OrderWeb is not enabled for %(company)s.", company=company.name))
        try:
            records = self.sudo().with_company(company)._orderweb_pull(company)
        except (OrderWebError, ValueError) as error:
            self._orderweb_note_pull(company, error)
            raise UserError(_("The pull from OrderWeb failed: %(error)s", error=error)) from error
        labels = dict(self.env['orderweb.order']._fields['state']._description_selection(self.env))
        # The importer committed them after this transaction's snapshot: read them as they are now.
        with self.env.registry.cursor() as cr:
            counts = Counter(records.with_env(records.env(cr=cr)).mapped('state'))
        message = _(
            "%(count)s order(s) pulled from OrderWeb: %(states)s.", count=len(records),
            states=", ".join("%s %s" % (counts[state], label) for state, label in labels.items() if counts[state]),
        ) if records else _("OrderWeb has no confirmed order waiting.")
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {
                'title': _("OrderWeb pull"), 'message': message,
                'type': 'warning' if counts['error'] else 'success',
                'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'},
            },
        }
