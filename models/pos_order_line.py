from odoo import api, fields, models


class PosOrderLine(models.Model):
    _name = 'pos.order.line'
    _inherit = ['pos.order.line', 'orderweb.origin.mixin']
    _orderweb_origin_fields = ('orderweb_item_line_uuid',)

    # Ties an add-on line to its item line (same order), so screens and tickets can nest it.
    orderweb_item_line_uuid = fields.Char(string="OrderWeb Add-on Of", readonly=True, copy=False)

    # The customer's item name (the line's full_product_name) finds and names the line: an
    # unmapped item is imported as a placeholder product, whose name says nothing.
    _rec_names_search = ['full_product_name', 'product_id']

    @api.depends('full_product_name', 'order_id.orderweb_order_id')
    def _compute_display_name(self):
        super()._compute_display_name()
        for line in self.filtered(lambda line: line.order_id.orderweb_order_id and line.full_product_name):
            line.display_name = line.full_product_name
