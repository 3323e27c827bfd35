"""The POS order of an online order in the backend: its name while unpaid, the items it imported
as placeholders, and who may delete it."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError


class PosOrder(models.Model):
    _inherit = 'pos.order'

    orderweb_unmapped_count = fields.Integer(
        string="Items to Map", compute='_compute_orderweb_unmapped_count',
        help="Items of this online order that fell back to a placeholder product.")

    @api.depends('orderweb_order_id.unmapped_item_ids.product_id')
    def _compute_orderweb_unmapped_count(self):
        for order in self:
            order.orderweb_unmapped_count = len(order._orderweb_unmapped_items())

    @api.model
    def _process_order(self, order, existing_order):
        pos_order_id = super()._process_order(order, existing_order)
        if not existing_order:
            self.browse(pos_order_id)._orderweb_name_unpaid()
        return pos_order_id

    def _orderweb_name_unpaid(self):
        # Odoo names an order from the shop's sequence when it is paid, '/' until then (the
        # POS screen only uses pos_reference). An online order waits unpaid in the backend
        # lists too: it takes its name now, which payment then keeps.
        for order in self.filtered(lambda order: order.orderweb_order_id and order.name == '/'):
            order.name = order._compute_order_name()

    def _orderweb_unmapped_items(self):
        """The mappings, still without a product, of the items this order imported as placeholders."""
        self.ensure_one()
        return self.orderweb_order_id.unmapped_item_ids.filtered(lambda mapping: not mapping.product_id)

    def action_orderweb_map_items(self):
        """The mappings of the items this order imported as placeholders, ready to be mapped."""
        self.ensure_one()
        self.check_access('read')
        return {
            **self.env['ir.actions.act_window']._for_xml_id('pos_orderweb.action_orderweb_product_map'),
            'domain': [('id', 'in', self._orderweb_unmapped_items().ids)],
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_except_orderweb(self):
        # The POS order is the shop's record of what a customer ordered (and maybe paid)
        # online: it only goes away once deliberately cancelled (backend "Cancel Order").
        online = self.filtered('orderweb_order_id')
        if online and not (self.env.su or self.env.user.has_group('point_of_sale.group_pos_manager')):
            raise UserError(_(
                "Only a Point of Sale manager can delete online orders: %(orders)s.",
                orders=", ".join(online.mapped('orderweb_number'))))
        online = online.filtered(lambda order: order.state != 'cancel')
        if online:
            raise UserError(_(
                "Online orders cannot be deleted: %(orders)s. Cancel them first if the customer cancelled.",
                orders=", ".join(online.mapped('orderweb_number'))))
