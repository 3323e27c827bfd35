from odoo import api, fields, models

from ..const import ORDERWEB_STATUSES


class PosOrder(models.Model):
    _inherit = 'pos.order'

    orderweb_order_id = fields.Many2one(
        'orderweb.order', string="OrderWeb Order", readonly=True, copy=False, index='btree_not_null')
    orderweb_number = fields.Char(string="Online Order No.", readonly=True, copy=False, index='btree_not_null')
    orderweb_type = fields.Char(string="Online Order Type", readonly=True, copy=False)
    orderweb_scheduled_for = fields.Datetime(string="Scheduled For", readonly=True, copy=False)
    orderweb_prepaid = fields.Boolean(string="Paid Online", readonly=True, copy=False)
    orderweb_status = fields.Selection(ORDERWEB_STATUSES, string="Online Order Status", copy=False)

    _sql_constraints = [
        ('orderweb_order_uniq', 'unique(orderweb_order_id)',
         "An OrderWeb order can only become one POS order."),
    ]
