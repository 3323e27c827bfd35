from odoo import _, api, fields, models


class PosSession(models.Model):
    _inherit = 'pos.session'

    @api.model_create_multi
    def create(self, vals_list):
        sessions = super().create(vals_list)
        sessions._orderweb_take_over()
        # Online orders that waited for a session are imported right away by the import cron
        # (service/importer.py), once this transaction made the session visible to it.
        if self.env['orderweb.order'].sudo().search_count(
                [('state', '=', 'waiting'), ('company_id', 'in', sessions.company_id.ids)], limit=1):
            self.env.ref('pos_orderweb.ir_cron_orderweb_import').sudo()._trigger()
        return sessions

    # ------------------------------------------------------------------
    # Closing time: the online orders not handed over go on to the next session
    # ------------------------------------------------------------------

    def _orderweb_left_over(self):
        """The online orders this session leaves to the next session of its shop: not handed
        over yet, and paid online or for another day. Its closing neither waits for them nor
        accounts them; the session that takes them over (``_orderweb_take_over``) does.
        An unpaid order for today is not among them: the cashier takes its payment or cancels it."""
        today = fields.Date.context_today(self)

        def for_another_day(order):
            scheduled_for = order.orderweb_scheduled_for
            return scheduled_for and fields.Date.context_today(self, scheduled_for) > today

        return self.order_ids.filtered(lambda order: order.orderweb_order_id and order.orderweb_status != 'done' and (
            order.state == 'paid' or (order.state == 'draft' and for_another_day(order))))

    def _orderweb_take_over(self):
        """Move into each new session the online orders its shop's closed sessions left over,
        as Odoo moves an order made for a closed session into the open one (``_get_valid_session``):
        its screens show them, the fire cron fires them in it, and its closing accounts them."""
        for session in self:
            self.env['pos.order'].sudo().search([
                ('config_id', '=', session.config_id.id),
                ('session_id', '!=', session.id),
                ('session_id.state', '=', 'closed'),
                ('orderweb_order_id', '!=', False),
                ('orderweb_status', '!=', 'done'),
                ('state', 'in', ('draft', 'paid')),  # 'done': accounted by the session that closed
            ]).write({'session_id': session.id})

    def get_session_orders(self):
        # What the closing checks (drafts left) and validates: not what the next session takes over.
        return super().get_session_orders() - self._orderweb_left_over()

    def _get_closed_orders(self):
        # What the closing accounts.
        return super()._get_closed_orders() - self._orderweb_left_over()

    def _validate_session(self, balancing_account=False, amount_to_balance=0, bank_payment_method_diffs=None):
        left_over = self._orderweb_left_over().filtered(lambda order: order.state == 'paid')
        result = super()._validate_session(balancing_account, amount_to_balance, bank_payment_method_diffs)
        # Odoo marks every paid order of the session as posted: not these, which its entry left
        # out; the session taking them over posts them.
        left_over.filtered(lambda order: order.state == 'done').sudo().write({'state': 'paid'})
        return result

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
                "These online orders for today are not paid yet:\n%(orders)s\n\n"
                "Take their payment from the Online orders screen (Pay), or, if a customer "
                "never came, cancel the order from the backend (Point of Sale > Orders > Cancel "
                "Order). Then close the register again.\n\n"
                "Orders paid online and orders for another day need nothing: the next session "
                "of the shop takes them over.",
                orders="\n".join(
                    "• %s, %s, %s" % (order.orderweb_number, order.partner_id.name or "-",
                                      order.currency_id.format(order.amount_total))
                    for order in online)),
            'orderweb_order_ids': online.ids,
        }
