import logging
import time
from collections import Counter, defaultdict
from datetime import timedelta, timezone

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..compat import sql_constraints
from ..const import (
    CREATED_TO_IMPORTED_BUCKETS,
    IMPORT_DURATION_BUCKETS,
    PLATFORM_TIME_TRUST_HOURS,
    PULL_FAILURES_DEGRADED,
    PULL_LIMIT,
    STALE_AFTER,
)
from ..orderweb.pull import OrderWebError
from ..orderweb.utils import storable_text
from ..service import importer
from ..utils import TRANSIENT_ERRORS, is_outage
from .ir_cron import PULL_EVERY_COMPANY

_logger = logging.getLogger(__name__)

# Seconds a pull's note waits for its company's row: far more than another note holds it.
NOTE_LOCK_TIMEOUT = 2


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

    # ------------------------------------------------------------------
    # Monitoring from outside Odoo (controllers/main.py)
    # ------------------------------------------------------------------

    @api.model
    def _orderweb_health(self):
        """Per enabled company: its live link and what waits on a person.

        A company is healthy when a live process holds its connection, connected, and no
        online order is in error, waiting for a session or set aside.
        :return: list of JSON-ready dicts, one per enabled company
        """
        companies = self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)], order='id')
        statuses = self._orderweb_statuses(companies)
        figures = self._orderweb_order_figures(companies)
        set_aside = self._orderweb_set_aside_counts(companies)
        report = []
        for company in companies:
            status = statuses.get(company, self.browse())
            company_figures = figures[company]
            connected = status._orderweb_is_up()
            waiting_on_person = {
                'orders_in_error': company_figures['error'],
                'orders_waiting_for_session': company_figures['waiting'],
                'orders_set_aside': set_aside.get(company, 0),
            }
            report.append({
                'company_id': company.id,
                'company': company.name,
                'tenant': company.orderweb_tenant or None,
                'healthy': connected and not any(waiting_on_person.values())
                and status.pull_failure_count < PULL_FAILURES_DEGRADED,
                'connected': connected,
                'state': status.state or None,
                'since': _iso(status.since),
                'held_by': status.holder or None,
                'holder_alive': bool(status) and not status.no_holder,
                'last_seen_alive': _iso(status.heartbeat),
                'last_error': status.last_error or None,
                'last_order_received': _iso(company_figures['last_received']),
                'pulls_failed_in_a_row': status.pull_failure_count,
                'last_pull_error': status.last_pull_error or None,
                **waiting_on_person,
            })
        return report

    @api.model
    def _orderweb_metrics(self):
        """The figures of /orderweb/metrics, as Prometheus metric families.

        Every company with online orders or OrderWeb enabled is labelled by id and tenant.
        :return: [(name, type, help, [(sample name suffix, labels, value)])]
        """
        enabled = self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)], order='id')
        figures = self._orderweb_order_figures()
        durations = self._orderweb_import_durations('received_at', IMPORT_DURATION_BUCKETS)
        waits = self._orderweb_import_durations('created_at', CREATED_TO_IMPORTED_BUCKETS)
        companies = (enabled | self.env['res.company'].sudo().concat(*figures)).sorted('id')
        set_aside = self._orderweb_set_aside_counts(companies)
        statuses = self._orderweb_statuses(enabled)

        def labels(company, **extra):
            return {'company_id': company.id, 'tenant': company.orderweb_tenant or '', **extra}

        def per_company(value, companies=companies):
            return [('', labels(company), value(company)) for company in companies]

        def histogram(by_company, buckets):
            samples = []
            for company in companies.filtered(lambda company: company in by_company):
                count, total, cumulative = by_company[company]
                samples += [('_bucket', labels(company, le=str(bound)), bucket)
                            for bound, bucket in zip(buckets, cumulative, strict=True)]
                samples += [('_bucket', labels(company, le='+Inf'), count),
                            ('_sum', labels(company), total), ('_count', labels(company), count)]
            return samples

        return [
            ('orderweb_orders_received_total', 'counter',
             "Online orders received, by channel (push: live, pull: periodic pull).",
             [('', labels(company, channel=channel), figures[company][channel])
              for company in companies for channel in ('push', 'pull')]),
            ('orderweb_orders_imported_total', 'counter', "Online orders imported into POS or Sales.",
             per_company(lambda company: figures[company]['done'])),
            ('orderweb_orders_in_error', 'gauge', "Online orders in error.",
             per_company(lambda company: figures[company]['error'])),
            ('orderweb_orders_waiting_for_session', 'gauge',
             "Online orders waiting for the receiving POS session to open.",
             per_company(lambda company: figures[company]['waiting'])),
            ('orderweb_orders_set_aside', 'gauge', "Online orders set aside for a person.",
             per_company(lambda company: set_aside.get(company, 0))),
            ('orderweb_import_duration_seconds', 'histogram',
             "Time from receiving an online order to importing it, in whole seconds.",
             histogram(durations, IMPORT_DURATION_BUCKETS)),
            ('orderweb_created_to_imported_seconds', 'histogram',
             "Time from the customer placing an online order on OrderWeb to its import, in whole seconds.",
             histogram(waits, CREATED_TO_IMPORTED_BUCKETS)),
            ('orderweb_last_order_received_timestamp_seconds', 'gauge',
             "When the company's last online order was received (Unix time).",
             per_company(lambda company: int(
                             figures[company]['last_received'].replace(tzinfo=timezone.utc).timestamp()),
                         companies.filtered(lambda company: figures[company]['last_received']))),
            ('orderweb_reconnections_total', 'counter',
             "Reconnections of the live connection since its current holder process took it over.",
             per_company(lambda company: statuses.get(company, self.browse()).reconnect_count, enabled)),
            ('orderweb_pulls_failed_in_a_row', 'gauge',
             "Pulls of the company that failed since the last one that worked.",
             per_company(lambda company: statuses.get(company, self.browse()).pull_failure_count, enabled)),
            ('orderweb_connection_up', 'gauge',
             "1 when a live Odoo process holds the company's connection and it is connected, else 0.",
             per_company(lambda company: int(statuses.get(company, self.browse())._orderweb_is_up()), enabled)),
        ]

    def _orderweb_is_up(self):
        """Connected, and its holder process still beats (an empty record: never reported)."""
        return self.state == 'connected' and not self.no_holder

    @api.model
    def _orderweb_statuses(self, companies):
        return {status.company_id: status for status in self.sudo().search([('company_id', 'in', companies.ids)])}

    @api.model
    def _orderweb_order_figures(self, companies=None):
        """{company: {channel or state: count, 'last_received': datetime}} of the online orders
        of ``companies`` (default: all), counted by the database."""
        domain = [('company_id', 'in', companies.ids)] if companies is not None else []
        figures = defaultdict(lambda: defaultdict(int, last_received=None))
        for company, channel, state, count, received_max in self.env['orderweb.order'].sudo()._read_group(
                domain, ['company_id', 'channel', 'state'], ['__count', 'received_at:max']):
            company_figures = figures[company]
            company_figures[channel] += count
            company_figures[state] += count
            if received_max and (not company_figures['last_received']
                                 or received_max > company_figures['last_received']):
                company_figures['last_received'] = received_max
        return figures

    @api.model
    def _orderweb_set_aside_counts(self, companies):
        """{company: count} of the online orders set aside (received, but not storable as received)."""
        return dict(self.env['orderweb.order'].sudo()._read_group(
            [('company_id', 'in', companies.ids), ('set_aside', '=', True)], ['company_id'], ['__count']))

    @api.model
    def _orderweb_import_durations(self, start, buckets):
        """{company: (count, sum of seconds, [cumulative count per bucket])} of the imported online
        orders, from their ``start`` (received_at or created_at) to their import; an OrderWeb time
        far from the receipt left out."""
        self.env['orderweb.order'].flush_model(['company_id', 'state', start, 'received_at', 'processed_at'])
        self.env.cr.execute(SQL(
            """SELECT company_id, count(*), coalesce(sum(seconds), 0), %(buckets)s
                 FROM (SELECT company_id, greatest(extract(epoch FROM processed_at - %(start)s), 0) AS seconds
                         FROM orderweb_order
                        WHERE state = 'done' AND processed_at IS NOT NULL AND %(start)s IS NOT NULL
                          -- OrderWeb's time, far from when Odoo received it, is no measure of a delay.
                          AND abs(extract(epoch FROM received_at - %(start)s)) <= %(trusted)s) AS imported
                GROUP BY company_id""",
            start=SQL.identifier(start), trusted=PLATFORM_TIME_TRUST_HOURS * 3600,
            buckets=SQL(", ").join(SQL("count(*) FILTER (WHERE seconds <= %s)", bound) for bound in buckets),
        ))
        Company = self.env['res.company'].sudo()
        return {Company.browse(row[0]): (row[1], float(row[2]), list(row[3:])) for row in self.env.cr.fetchall()}


def _iso(moment):
    """A naive UTC datetime as ISO 8601 with its zone, for JSON."""
    return moment and moment.replace(tzinfo=timezone.utc).isoformat()

