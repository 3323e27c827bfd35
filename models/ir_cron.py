from odoo import models


class IrCron(models.Model):
    _inherit = 'ir.cron'

    def method_direct_trigger(self):
        # "Run manually" on the pull means now, for every company, whatever its pull interval:
        # an admin who just fixed a setting expects to see it work.
        pull = self.env.ref('pos_orderweb.ir_cron_orderweb_pull', raise_if_not_found=False)
        if pull and pull in self:
            self.check_access('write')
            self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)]).orderweb_last_pull_at = False
        return super().method_direct_trigger()
