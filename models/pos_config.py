from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..const import ALLERGY_WORDS, PREPARATION_MINUTES, PRICE_TOLERANCE

# What decides whether an online order is flagged and whether it reaches the kitchen without
# a cashier: POS users may write their shop (Odoo's rule), these only its managers.
ORDERWEB_SAFETY_SETTINGS = frozenset({
    'orderweb_allergy_words', 'orderweb_price_tolerance', 'orderweb_auto_accept',
    'orderweb_preparation_minutes', 'orderweb_unavailable_product_ids',
})


class PosConfig(models.Model):
    _inherit = 'pos.config'

    orderweb_sound = fields.Boolean(
        string="Ring for Online Orders", default=True,
        help="The screens of this shop ring until the cashier acknowledges a new online order.")
    orderweb_receiving = fields.Boolean(
        string="Receives Online Orders", compute='_compute_orderweb_receiving',
        help="OrderWeb orders land in this shop's open session: its screens show the Online orders button.")
    orderweb_auto_accept = fields.Boolean(
        string="Accept Online Orders Automatically",
        help="An online order for now is accepted on arrival and its kitchen ticket sent, as the cashier's "
             "Accept does; an order for later when its time comes. A flagged order still waits for the cashier.")
    orderweb_preparation_minutes = fields.Integer(
        string="Preparation Minutes", default=PREPARATION_MINUTES,
        help="An online order for later reaches the ready-to-cook list this many minutes before its time.")
    orderweb_price_tolerance = fields.Float(
        string="Price Tolerance", default=PRICE_TOLERANCE, digits='Product Price',
        help="An online order is flagged when an item's price differs from its product's by more than this.")
    orderweb_allergy_words = fields.Char(
        string="Allergy Words", default=ALLERGY_WORDS,
        help="Words that flag an online order when its special instructions or an item's note mention them "
             "(whole words, any case), separated by commas.")
    orderweb_unavailable_product_ids = fields.Many2many(
        'product.product', 'pos_config_orderweb_unavailable_product_rel', string="Unavailable Products",
        help="Products this shop cannot make for now: an online order asking for one is flagged.")

    # The POS screens load every field of their shop: they show online orders' times in this
    # zone, whatever the zone of the device they run on.
    orderweb_tz = fields.Char(
        string="Shop's Time Zone", compute='_compute_orderweb_tz',
        help="The company's time zone, else the user's: online orders' times are shown in it.")

    @api.depends('company_id.partner_id.tz')
    @api.depends_context('uid')
    def _compute_orderweb_tz(self):
        for config in self:
            config.orderweb_tz = config.company_id.partner_id.tz or self.env.user.tz or 'UTC'

    @api.depends('company_id.orderweb_enabled', 'company_id.orderweb_target', 'company_id.orderweb_pos_config_id')
    def _compute_orderweb_receiving(self):
        for config in self:
            company = config.company_id
            config.orderweb_receiving = (
                company.orderweb_enabled and company.orderweb_target == 'pos'
                and company.orderweb_pos_config_id == config)

    @api.constrains('orderweb_preparation_minutes', 'orderweb_price_tolerance')
    def _check_orderweb_evening(self):
        for config in self:
            if not 0 <= config.orderweb_preparation_minutes <= 24 * 60:
                raise ValidationError(_("The preparation minutes of online orders must be between 0 and 1440."))
            if config.orderweb_price_tolerance < 0:
                raise ValidationError(_("The price tolerance of online orders cannot be negative."))

    def write(self, vals):
        if ORDERWEB_SAFETY_SETTINGS.intersection(vals) and not (
                self.env.su or self.env.user.has_group('point_of_sale.group_pos_manager')
                or self.env.user.has_group('base.group_system')):
            raise AccessError(_("Only a Point of Sale manager may change how online orders are flagged and accepted."))
        return super().write(vals)

    def _get_special_products(self):
        # The placeholders of unknown items and the product of charges: always loaded (and kept
        # off the product list) by a receiving shop's screens, even ones that load some
        # categories only, so that an online order's lines show with their prices there.
        products = super()._get_special_products()
        for config in self.filtered('orderweb_receiving'):
            company = config.company_id
            products |= (company.orderweb_item_product_id | company.orderweb_addon_product_id
                         | company.orderweb_adjustment_product_id)
            for xmlid in ('product_orderweb_item', 'product_orderweb_addon', 'product_orderweb_adjustment'):
                products |= self.env.ref('pos_orderweb.' + xmlid, raise_if_not_found=False) or products.browse()
        return products
