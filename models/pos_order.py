from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..const import ORDERWEB_STATUSES

ORDERWEB_ORIGIN_FIELDS = (
    'orderweb_order_id', 'orderweb_number', 'orderweb_type', 'orderweb_scheduled_for',
    'orderweb_prepaid', 'orderweb_status',
)


class PosOrder(models.Model):
    _name = 'pos.order'
    _inherit = ['pos.order', 'orderweb.origin.mixin']
    # The screens and RPC read these; the import sets them and the orderweb_* methods below
    # move the status: the cashier's screen sends them back on every save, ignored.
    _orderweb_origin_fields = ORDERWEB_ORIGIN_FIELDS

    orderweb_order_id = fields.Many2one(
        'orderweb.order', string="OrderWeb Order", readonly=True, copy=False, index='btree_not_null',
        ondelete='restrict')
    orderweb_number = fields.Char(string="Online Order No.", readonly=True, copy=False, index='btree_not_null')
    orderweb_type = fields.Char(string="Online Order Type", readonly=True, copy=False)
    orderweb_scheduled_for = fields.Datetime(string="Scheduled For", readonly=True, copy=False)
    orderweb_prepaid = fields.Boolean(string="Paid Online", readonly=True, copy=False)
    orderweb_status = fields.Selection(ORDERWEB_STATUSES, string="Online Order Status", readonly=True, copy=False)

    _sql_constraints = [
        ('orderweb_order_uniq', 'unique(orderweb_order_id)',
         "An OrderWeb order can only become one POS order."),
    ]

    @api.depends('orderweb_order_id')
    def _compute_display_name(self):
        super()._compute_display_name()
        # Odoo names an order '/' until it is paid: an online one is known by its reference meanwhile.
        for order in self.filtered(lambda order: order.orderweb_order_id and order.name == '/'):
            order.display_name = order.pos_reference

    # pos.order has no _load_pos_data_fields of its own (empty list = every field), so the
    # orderweb_* fields reach the POS screens without an override; extending that list
    # would restrict the POS to the fields named in it.

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

    def _orderweb_send_notification(self):
        """Alert the open POS screens of each shop that online orders arrived.

        ``sync_from_ui``, which created the orders, already sent SYNCHRONISATION, so the
        screens load new draft orders like those of another device. ORDERWEB_NEW_ORDER
        makes them ring and show the order; prepaid orders are already paid, which that
        synchronisation skips, so the screens read them by id. Only ids travel: the bus
        channel is the shop's token, shared with its customer display (as
        pos_online_payment does, the screens read the rest over RPC).
        """
        for config in self.config_id:
            config._notify('ORDERWEB_NEW_ORDER', {
                'order_ids': self.filtered(lambda order: order.config_id == config).ids,
            })

    # ------------------------------------------------------------------
    # Called by the POS screen (Online orders): accept, ready, done
    # ------------------------------------------------------------------

    def orderweb_accept(self, config_id):
        return self._orderweb_set_status('accepted', ('new',), config_id)

    def orderweb_ready(self, config_id):
        return self._orderweb_set_status('ready', ('new', 'accepted'), config_id)

    def orderweb_done(self, config_id):
        to_pay = self.filtered(lambda order: order.state == 'draft')
        if to_pay:
            raise UserError(_(
                "Take the payment of %(orders)s before marking it done.",
                orders=", ".join(to_pay.mapped('orderweb_number'))))
        return self._orderweb_set_status('done', ('new', 'accepted', 'ready'), config_id)

    def _orderweb_set_status(self, status, from_statuses, config_id):
        """Move the online orders still in ``from_statuses`` to ``status``.

        Orders already further on (another screen was quicker) are left as they are; all
        of them are returned in the POS data format, so the calling screen shows the truth.
        """
        not_online = self.filtered(lambda order: not order.orderweb_order_id)
        if not_online:
            raise UserError(_("%(orders)s is not an online order.", orders=", ".join(not_online.mapped('name'))))
        to_move = self.filtered(lambda order: order.orderweb_status in from_statuses)
        to_move._orderweb_as_import().write({'orderweb_status': status})
        for config in to_move.config_id:
            # The other screens of the shop re-read these orders: SYNCHRONISATION would skip
            # the paid ones (prepaid orders are paid from the start).
            config._notify('ORDERWEB_ORDER_STATUS', {
                'order_ids': to_move.filtered(lambda order: order.config_id == config).ids,
                'login_number': self.env.context.get('login_number', 0),
            })
        return self.read_pos_data([], config_id)


class PosOrderLine(models.Model):
    _inherit = 'pos.order.line'

    @api.model
    def _load_pos_data_fields(self, config_id):
        # Lines, unlike orders, load an explicit list of fields: the screens need to know
        # which lines are add-ons, to nest them under their item.
        return super()._load_pos_data_fields(config_id) + ['orderweb_item_line_uuid']
