from odoo import fields, models


class SaleOrder(models.Model):
    _name = 'sale.order'
    _inherit = ['sale.order', 'orderweb.origin.mixin']
    _orderweb_origin_fields = ('orderweb_order_id',)

    orderweb_order_id = fields.Many2one(
        'orderweb.order', string="OrderWeb Order", readonly=True, copy=False, index='btree_not_null',
        ondelete='restrict')

    _sql_constraints = [
        ('orderweb_order_uniq', 'unique(orderweb_order_id)',
         "An OrderWeb order can only become one sales order."),
    ]
