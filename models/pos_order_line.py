from odoo import api, fields, models

from ..compat import POS_LINE_NOTE


class PosOrderLine(models.Model):
    _name = 'pos.order.line'
    _inherit = ['pos.order.line', 'orderweb.origin.mixin']
    _orderweb_origin_fields = ('orderweb_item_line_uuid',)

    # Ties an add-on line to its item line (same order), so screens and tickets can nest it.
    orderweb_item_line_uuid = fields.Char(string="OrderWeb Add-on Of", readonly=True, copy=False)
    # What the backend shows of an item's add-ons and notes, in the note field of the series (compat.py).
    orderweb_note = fields.Char(related=POS_LINE_NOTE, string="Add-ons & Notes")

    # The customer's item name (the line's full_product_name) finds and names the line: an
    # unmapped item is imported as a placeholder product, whose name says nothing.
    _rec_names_search = ['full_product_name', 'product_id']

    @api.depends('full_product_name', 'order_id.orderweb_order_id')
    def _compute_display_name(self):  # a compute method returns nothing  # pylint: disable=missing-return
        super()._compute_display_name()
        for line in self.filtered(lambda line: line.order_id.orderweb_order_id and line.full_product_name):
            line.display_name = line.full_product_name

    @api.model
    def _load_pos_data_fields(self, config_id):
        # Lines, unlike orders, load an explicit list of fields: the screens need to know
        # which lines are add-ons, to nest them under their item.
        return super()._load_pos_data_fields(config_id) + ['orderweb_item_line_uuid']

    @api.model
    def _prepare_orderweb_line_values(self, line, line_uuid, currency, item_uuid=False):
        """Values of the line made from ``line``, a priced ``prepared.PreparedLine`` (an item,
        an add-on or the charges).

        :param item_uuid: for an add-on, the uuid of its item's line
        """
        if line.taxes:
            amounts = line.taxes.compute_all(line.price_unit, currency, line.qty, product=line.product)
        else:  # what compute_all gives without taxes, without its cost on every line
            amounts = dict.fromkeys(('total_excluded', 'total_included'), currency.round(line.price_unit * line.qty))
        return {
            'uuid': line_uuid,
            'product_id': line.product.id,
            'full_product_name': line.name,
            'qty': line.qty,
            'price_unit': line.price_unit,
            'price_subtotal': amounts['total_excluded'],
            'price_subtotal_incl': amounts['total_included'],
            'discount': 0,
            # The customer's price, not the catalogue's: the POS must not re-price it.
            'price_type': 'manual',
            'tax_ids': [(6, 0, line.taxes.ids)],
            POS_LINE_NOTE: line.note,
            'orderweb_item_line_uuid': item_uuid,
        }

    @api.model
    def _prepare_orderweb_adjustment_values(self, line_uuid, name, label, amount, product):
        # Odoo's rounding of taxes, set right: it carries no tax of its own. Named as the
        # order's other lines (pos.order._prepare_orderweb_values).
        return {
            'uuid': line_uuid,
            'name': name,
            'product_id': product.id,
            'full_product_name': label,
            'qty': 1,
            'price_unit': amount,
            'price_subtotal': amount,
            'price_subtotal_incl': amount,
            'discount': 0,
            'price_type': 'manual',
            'tax_ids': [(5, 0, 0)],
        }
