from odoo import fields, models


class PosOrderLine(models.Model):
    _name = 'pos.order.line'
    _inherit = ['pos.order.line', 'orderweb.origin.mixin']
    _orderweb_origin_fields = ('orderweb_item_line_uuid',)

    # Ties an add-on line to its item line (same order), so screens and tickets can nest it.
    orderweb_item_line_uuid = fields.Char(string="OrderWeb Add-on Of", readonly=True, copy=False)
