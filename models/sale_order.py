from markupsafe import Markup

from odoo import _, api, fields, models

from ..compat import sql_constraints


@sql_constraints(
    orderweb_order_uniq=(
        'unique(orderweb_order_id)',
        "An OrderWeb order can only become one sales order."),
)
class SaleOrder(models.Model):
    _name = 'sale.order'
    _inherit = ['sale.order', 'orderweb.origin.mixin']
    _orderweb_origin_fields = ('orderweb_order_id',)

    orderweb_order_id = fields.Many2one(
        'orderweb.order', string="OrderWeb Order", readonly=True, copy=False, index='btree_not_null',
        ondelete='restrict')

    # ------------------------------------------------------------------
    # Made from an online order (asked by orderweb.order._map)
    # ------------------------------------------------------------------

    @api.model
    def _orderweb_create_from(self, online_order, platform_order):
        """The sales order of ``online_order``: a quotation, confirmed if the settings say so."""
        SaleOrder = self.with_company(online_order.company_id)._orderweb_as_import()
        sale_order = SaleOrder.create(SaleOrder._prepare_orderweb_values(online_order, platform_order))
        if platform_order.special_instructions:
            sale_order._orderweb_add_instructions(platform_order.special_instructions)
        SaleOrderLine = self.env['sale.order.line']
        sale_order.write({'order_line': [
            (0, 0, SaleOrderLine._prepare_orderweb_line_values(line))
            for line in online_order._order_lines(
                platform_order, False, sale_order.fiscal_position_id, sale_order.currency_id)
        ]})
        sale_order.write({'order_line': [
            (0, 0, SaleOrderLine._prepare_orderweb_adjustment_values(label, amount, online_order._adjustment_product()))
            for label, amount in online_order._adjustments(platform_order, sale_order.amount_total)
        ]})
        online_order._check_total(sale_order.amount_total, platform_order, sale_order.currency_id)
        if online_order.company_id.orderweb_sale_confirm:
            sale_order.action_confirm()
        return sale_order

    @api.model
    def _prepare_orderweb_values(self, online_order, platform_order):
        """Values of the sales order of ``online_order``, without its lines (their taxes
        follow the fiscal position the order gets)."""
        partner = online_order._find_partner(platform_order) or self.env.ref('pos_orderweb.partner_orderweb_guest')
        return {
            'company_id': online_order.company_id.id,
            'partner_id': partner.id,
            'client_order_ref': online_order.name,
            'origin': _("OrderWeb"),
            'commitment_date': platform_order.scheduled_for and platform_order.scheduled_for.replace(tzinfo=None),
            'orderweb_order_id': online_order.id,
        }

    def _orderweb_add_instructions(self, instructions):
        """Add the customer's special instructions to the terms of this order.

        The customer's words are text: escaped, lines kept, no markup nor links of their own
        (plaintext2html would make links). They follow the company's default terms.
        """
        self.ensure_one()
        lines = [_("Special instructions:"), *instructions.splitlines()]
        self.note = (self.note or Markup()) + Markup('<p>%s</p>') % Markup('<br>').join(lines)
