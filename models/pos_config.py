from odoo import api, fields, models


class PosConfig(models.Model):
    _inherit = 'pos.config'

    orderweb_sound = fields.Boolean(
        string="Ring for Online Orders", default=True,
        help="The screens of this shop ring until the cashier acknowledges a new online order.")
    orderweb_receiving = fields.Boolean(
        string="Receives Online Orders", compute='_compute_orderweb_receiving',
        help="OrderWeb orders land in this shop's open session: its screens show the Online orders button.")

    @api.depends('company_id.orderweb_enabled', 'company_id.orderweb_target', 'company_id.orderweb_pos_config_id')
    def _compute_orderweb_receiving(self):
        for config in self:
            company = config.company_id
            config.orderweb_receiving = (
                company.orderweb_enabled and company.orderweb_target == 'pos'
                and company.orderweb_pos_config_id == config)

