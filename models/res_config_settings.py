from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import PULL_LIMIT
from ..orderweb.pull import KeyRefused, OrderWebError, TenantNotFound, Unreachable


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    orderweb_enabled = fields.Boolean(related='company_id.orderweb_enabled', readonly=False)
    orderweb_url = fields.Char(related='company_id.orderweb_url', readonly=False)
    orderweb_tenant = fields.Char(related='company_id.orderweb_tenant', readonly=False)
    orderweb_api_key = fields.Char(related='company_id.orderweb_api_key', readonly=False, groups='base.group_system')
    orderweb_target = fields.Selection(related='company_id.orderweb_target', readonly=False)
    orderweb_pos_config_id = fields.Many2one(related='company_id.orderweb_pos_config_id', readonly=False)
    orderweb_payment_method_id = fields.Many2one(related='company_id.orderweb_payment_method_id', readonly=False)
    orderweb_item_product_id = fields.Many2one(related='company_id.orderweb_item_product_id', readonly=False)
    orderweb_addon_product_id = fields.Many2one(related='company_id.orderweb_addon_product_id', readonly=False)
    orderweb_adjustment_product_id = fields.Many2one(related='company_id.orderweb_adjustment_product_id',
                                                     readonly=False)
    orderweb_sale_confirm = fields.Boolean(related='company_id.orderweb_sale_confirm', readonly=False)
    orderweb_pull_interval = fields.Integer(related='company_id.orderweb_pull_interval', readonly=False)
    orderweb_connection_id = fields.Many2one('orderweb.connection', compute='_compute_orderweb_connection_id')
    orderweb_connection_state = fields.Selection(related='orderweb_connection_id.state', string="Live Connection")
    orderweb_connection_since = fields.Datetime(related='orderweb_connection_id.since')
    orderweb_connection_last_order_at = fields.Datetime(related='orderweb_connection_id.last_order_at')
    orderweb_connection_last_error = fields.Char(related='orderweb_connection_id.last_error')
    orderweb_connection_reconnect_count = fields.Integer(related='orderweb_connection_id.reconnect_count')
    orderweb_connection_no_holder = fields.Boolean(related='orderweb_connection_id.no_holder')
    # Per shop, like the other pos_* settings: edits the shop selected at the top of the screen.
    pos_orderweb_sound = fields.Boolean(related='pos_config_id.orderweb_sound', readonly=False)
    pos_orderweb_auto_accept = fields.Boolean(related='pos_config_id.orderweb_auto_accept', readonly=False)
    pos_orderweb_preparation_minutes = fields.Integer(related='pos_config_id.orderweb_preparation_minutes',
                                                      readonly=False)
    pos_orderweb_price_tolerance = fields.Float(related='pos_config_id.orderweb_price_tolerance', readonly=False)
    pos_orderweb_allergy_words = fields.Char(related='pos_config_id.orderweb_allergy_words', readonly=False)
    pos_orderweb_unavailable_product_ids = fields.Many2many(
        related='pos_config_id.orderweb_unavailable_product_ids', readonly=False)

    @api.depends('company_id')
    def _compute_orderweb_connection_id(self):
        for settings in self:
            settings.orderweb_connection_id = settings.company_id._orderweb_connection_status()

    def action_orderweb_test_connection(self):
        """Pull once with the saved settings and say in plain words what happened."""
        self.ensure_one()
        company = self.company_id.sudo()
        if not (company.orderweb_url and company.orderweb_tenant and company.orderweb_api_key):
            raise UserError(_("Fill in the OrderWeb server, tenant and API key first."))
        try:
            with company._orderweb_pull_client() as client:
                result = client.pull(limit=PULL_LIMIT)
        except KeyRefused:
            message, kind = _("OrderWeb refused the API key. Copy it again from your OrderWeb account."), 'danger'
        except TenantNotFound:
            message, kind = _("OrderWeb does not know the tenant “%(tenant)s”.",
                              tenant=company.orderweb_tenant), 'danger'
        except Unreachable as error:
            message, kind = _("OrderWeb could not be reached: %(error)s", error=error), 'danger'
        except OrderWebError as error:
            message, kind = _("OrderWeb answered with an error: %(error)s", error=error), 'danger'
        else:
            message, kind = _(
                "Connected to OrderWeb as %(tenant)s: %(count)s order(s) waiting.",
                tenant=result.tenant.get('name') or company.orderweb_tenant, count=len(result.orders)), 'success'
        return {
            'type': 'ir.actions.client',
            'tag': 'display_notification',
            'params': {'title': _("OrderWeb connection"), 'message': message, 'type': kind,
                       'sticky': kind != 'success'},
        }

    def action_orderweb_pull_now(self):
        self.ensure_one()
        return self.env['orderweb.connection']._orderweb_pull_now(self.company_id)
