import logging
from datetime import timedelta

from odoo import _, api, fields, models

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
    set_aside_count = fields.Integer(
        string="Orders Set Aside", compute='_compute_set_aside',
        help="Orders that could not be stored as received: kept in the online orders with their raw text.")
    last_set_aside_at = fields.Datetime(string="Last Set Aside", compute='_compute_set_aside')

    _sql_constraints = [
        ('company_uniq', 'unique(company_id)', "A company has one OrderWeb connection status."),
    ]

    @api.depends('heartbeat', 'state', 'company_id.orderweb_enabled')
    def _compute_no_holder(self):
        limit = fields.Datetime.now() - STALE_AFTER
        for record in self:
            record.no_holder = record.company_id.orderweb_enabled and (
                record.state in ('stopped', 'disabled') or not record.heartbeat or record.heartbeat < limit)

    def _compute_set_aside(self):
        # Counted from the log itself, which any process writes: the holder alone writes this record.
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


class ResCompany(models.Model):
    _inherit = 'res.company'

    def _orderweb_connection_status(self):
        """The company's live connection status record (empty before the first report)."""
        self.ensure_one()
        return self.env['orderweb.connection'].sudo().search([('company_id', '=', self.id)])
