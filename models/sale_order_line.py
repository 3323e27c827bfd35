from odoo import api, models

from ..compat import SALE_LINE_TAXES


class SaleOrderLine(models.Model):
    _inherit = 'sale.order.line'

    @api.model
    def _prepare_orderweb_line_values(self, line):
        """Values of the line made from ``line``, a priced ``prepared.PreparedLine`` (an item,
        an add-on or the charges)."""
        return {
            'product_id': line.product.id,
            'name': "\n".join(filter(None, [line.name, line.note])),
            'product_uom_qty': line.qty,
            'discount': 0,  # the customer's price already; no pricelist discount on top
            'price_unit': line.price_unit,
            SALE_LINE_TAXES: [(6, 0, line.taxes.ids)],
        }

    @api.model
    def _prepare_orderweb_adjustment_values(self, label, amount, product):
        # Odoo's rounding of taxes, set right: it carries no tax of its own.
        return {
            'product_id': product.id,
            'name': label,
            'product_uom_qty': 1,
            'price_unit': amount,
            SALE_LINE_TAXES: [(5, 0, 0)],
        }
