import logging
from collections import Counter
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..orderweb.pull import OrderWebError

_logger = logging.getLogger(__name__)

# A holder writes its heartbeat every 30 s (service/runner.py): two missed beats
# mean no Odoo process runs this company's listener.
STALE_AFTER = timedelta(seconds=70)


class OrderwebConnection(models.Model):
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
        string="Held By", readonly=True,
        help="Host and process id of the Odoo process holding the connection; "
             "the other processes stand by and take over within a minute if it dies.")
    heartbeat = fields.Datetime(string="Last Seen Alive", readonly=True)
    no_holder = fields.Boolean(
        compute='_compute_no_holder',
        help="OrderWeb is enabled but no Odoo process holds the connection.")

    _sql_constraints = [
        ('company_uniq', 'unique(company_id)', "A company has one OrderWeb connection status."),
    ]

    @api.depends('heartbeat', 'state', 'company_id.orderweb_enabled')
    def _compute_no_holder(self):
        limit = fields.Datetime.now() - STALE_AFTER
        for record in self:
            record.no_holder = record.company_id.orderweb_enabled and (
                record.state in ('stopped', 'disabled') or not record.heartbeat or record.heartbeat < limit)

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
            records = self.env['orderweb.order'].sudo().with_company(company)._pull_company(company)
        except (OrderWebError, ValueError) as error:
            raise UserError(_("The pull from OrderWeb failed: %(error)s", error=error)) from error
        labels = dict(self.env['orderweb.order']._fields['state']._description_selection(self.env))
        counts = Counter(records.mapped('state'))
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


class ResCompany(models.Model):
    _inherit = 'res.company'

    def _orderweb_connection_status(self):
        """The company's live connection status record (empty before the first report)."""
        self.ensure_one()
        return self.env['orderweb.connection'].sudo().search([('company_id', '=', self.id)])
