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
        'orderweb.order', string="Online Order", readonly=True, copy=False, index='btree_not_null',
        ondelete='restrict')

    # ------------------------------------------------------------------
    # Imported from an online order (orderweb.order._import_locked)
    # ------------------------------------------------------------------

    @api.model
    def _orderweb_import(self, prepared):
        """The sales order of an online order: a quotation, confirmed if the settings say so.

        :param prepared: the ``prepared.PreparedOrder`` of the online order
        """
        SaleOrder = self.with_company(prepared.company)._orderweb_as_import()
        sale_order = SaleOrder.create(SaleOrder._prepare_orderweb_values(prepared))
        if prepared.orderweb_order.special_instructions:
            sale_order._orderweb_add_instructions(prepared.orderweb_order.special_instructions)
        SaleOrderLine = self.env['sale.order.line']
        # The lines' taxes follow the fiscal position the order got from its customer.
        fiscal_position, currency = sale_order.fiscal_position_id, sale_order.currency_id
        sale_order.write({'order_line': [
            (0, 0, SaleOrderLine._prepare_orderweb_line_values(line))
            for line in (*prepared.priced_lines(fiscal_position, currency),
                         *prepared.priced_charges(fiscal_position, currency))
        ]})
        rounding = prepared.rounding(sale_order.amount_total, currency)
        if rounding:
            sale_order.write({'order_line': [(0, 0, SaleOrderLine._prepare_orderweb_adjustment_values(
                _("Tax rounding"), rounding, prepared.adjustment_product))]})
        if prepared.company.orderweb_sale_confirm:
            sale_order.action_confirm()
        return sale_order

    @api.model
    def _prepare_orderweb_values(self, prepared):
        """Values of the sales order of an online order, without its lines."""
        scheduled_for = prepared.orderweb_order.scheduled_for
        return {
            'company_id': prepared.company.id,
            'partner_id': (prepared.customer or self.env.ref('pos_orderweb.partner_orderweb_guest')).id,
            'client_order_ref': prepared.number,
            'origin': _("OrderWeb"),
            'commitment_date': scheduled_for and scheduled_for.replace(tzinfo=None),
            'orderweb_order_id': prepared.online_order_id,
        }

    def _orderweb_imported(self):
        """These sales orders were just imported: nobody waits on a screen for them."""

    def _orderweb_add_instructions(self, instructions):
        """Add the customer's special instructions to the terms of this order.

        The customer's words are text: escaped, lines kept, no markup nor links of their own
        (plaintext2html would make links). They follow the company's default terms.
        """
        self.ensure_one()
        lines = [_("Special instructions:"), *instructions.splitlines()]
        self.note = (self.note or Markup()) + Markup('<p>%s</p>') % Markup('<br>').join(lines)
