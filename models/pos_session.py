from odoo import _, api, models


class PosSession(models.Model):
    _inherit = 'pos.session'

    @api.model_create_multi
    def create(self, vals_list):
        sessions = super().create(vals_list)
        # Online orders that waited for a session are imported right away by the pull cron.
        if self.env['orderweb.order'].sudo().search_count(
                [('state', '=', 'waiting'), ('company_id', 'in', sessions.company_id.ids)], limit=1):
            self.env.ref('pos_orderweb.ir_cron_orderweb_pull').sudo()._trigger()
        return sessions

    def _cannot_close_session(self, bank_payment_method_diffs=None):
        # Odoo's answer to any draft order is "Review / Cancel orders", and cancelling would
        # drop orders customers placed online: name them and say what to do instead.
        online = self.get_session_orders().filtered(lambda order: order.state == 'draft' and order.orderweb_order_id)
        if not online:
            return super()._cannot_close_session(bank_payment_method_diffs)
        return {
            'successful': False,
            'redirect': False,
            'title': _("Online orders are still open"),
            'message': _(
                "These online orders are not paid yet:\n%(orders)s\n\n"
                "Take their payment from the Online orders screen (Pay), or, if a customer "
                "never came, cancel the order from the backend (Point of Sale > Orders > Cancel "
                "Order). Then close the register again.",
                orders="\n".join(
                    "• %s, %s, %s" % (order.orderweb_number, order.partner_id.name or "-",
                                      order.currency_id.format(order.amount_total))
                    for order in online)),
            'orderweb_order_ids': online.ids,
        }
