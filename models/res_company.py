from urllib.parse import urlsplit

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError

from ..compat import sql_constraints
from ..const import DEFAULT_URL
from ..orderweb.const import LOOPBACK_HOSTS
from ..orderweb.pull import PullClient
from ..orderweb.utils import endpoints, server_identity
from ..utils import translated

# The addon's products that stand in for what the menu sends: VAT is due on them as on any item.
TAXED_PRODUCTS = ('pos_orderweb.product_orderweb_item', 'pos_orderweb.product_orderweb_addon',
                  'pos_orderweb.product_orderweb_adjustment')


@sql_constraints(
    orderweb_pull_interval_positive=(
        'CHECK(orderweb_pull_interval > 0)',
        "The OrderWeb pull interval must be at least one minute."),
    # _check_orderweb_tenant_once says it by name; this holds whatever transactions interleave.
    orderweb_feed_uniq=(
        'unique(orderweb_feed)',
        "Another company already receives the orders of this OrderWeb tenant."),
)
class ResCompany(models.Model):
    _inherit = 'res.company'

    orderweb_enabled = fields.Boolean(string="Receive OrderWeb Orders")
    orderweb_url = fields.Char(
        string="OrderWeb Server", default=DEFAULT_URL,
        help="Base address of the OrderWeb platform, e.g. wss://orderweb.net. "
             "wss:// or https://; the push and pull addresses are derived from it. "
             "ws:// and http:// only for a local test server.")
    orderweb_tenant = fields.Char(string="OrderWeb Tenant", help="Your restaurant's slug on OrderWeb, e.g. kitchen.")
    orderweb_api_key = fields.Char(
        string="OrderWeb API Key", groups='base.group_system', copy=False,
        help="The pos_… key OrderWeb gave you. Only Settings administrators can read or change it.")
    orderweb_target = fields.Selection(
        [('pos', "Point of Sale order"), ('sale', "Sales order")],
        string="Create Online Orders As", default='pos', required=True)
    orderweb_pos_config_id = fields.Many2one(
        'pos.config', string="Receiving POS Shop", check_company=True,
        help="Online orders land in the open session of this shop.")
    orderweb_payment_method_id = fields.Many2one(
        'pos.payment.method', string="Online Payment Method", check_company=True,
        help="Orders paid on OrderWeb are registered as paid with this method. "
             "Leave empty to have them paid at the counter.")
    orderweb_item_product_id = fields.Many2one(
        'product.product', string="Fallback Product for Items", check_company=True,
        help="Used for menu items that match no product; the line keeps the item's name.")
    orderweb_addon_product_id = fields.Many2one(
        'product.product', string="Fallback Product for Add-ons", check_company=True)
    orderweb_adjustment_product_id = fields.Many2one(
        'product.product', string="Product for Charges and Discounts", check_company=True,
        help="Carries the difference between the items and the total the customer paid "
             "(delivery fee, service charge, discount), as an explicit line.")
    orderweb_sale_confirm = fields.Boolean(
        string="Confirm Sales Orders", default=True,
        help="Confirm imported sales orders; if unchecked they stay quotations.")
    orderweb_pull_interval = fields.Integer(
        string="Pull Every (minutes)", default=5,
        help="How often the backup pull endpoint is checked, on top of the live connection.")
    orderweb_last_pull_at = fields.Datetime(string="Last OrderWeb Pull", readonly=True, copy=False)
    orderweb_feed = fields.Char(
        compute='_compute_orderweb_feed', store=True, copy=False,
        help="Server and tenant this company receives, as OrderWeb tells them apart; empty when disabled.")

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._orderweb_tax_products()
        return companies

    def write(self, vals):
        result = super().write(vals)
        # A new company gets its default sale tax when its chart of accounts is loaded.
        if vals.get('account_sale_tax_id'):
            self._orderweb_tax_products()
        return result

    def _orderweb_tax_products(self):
        """Give the addon's placeholders and charges product the default sale tax of each of
        these companies that has one, where they have no tax of that company yet: an unknown
        item or a delivery fee is taxed as a known item (price included where the company's
        prices are, as its default tax says). A tax a manager set is left as it is."""
        products = self.env['product.product'].sudo().browse()
        for xmlid in TAXED_PRODUCTS:
            products |= self.env.ref(xmlid, raise_if_not_found=False) or products
        for company in self.filtered('account_sale_tax_id'):
            products.filtered(lambda product: not product.taxes_id._filter_taxes_by_company(company)).write(
                {'taxes_id': [Command.link(company.account_sale_tax_id.id)]})

    @api.depends('orderweb_enabled', 'orderweb_tenant', 'orderweb_url')
    def _compute_orderweb_feed(self):
        for company in self:
            server, tenant = company._orderweb_tenant_identity()
            company.orderweb_feed = f'{server}/{tenant}' if company.orderweb_enabled else False

    @api.constrains('orderweb_url')
    def _check_orderweb_url(self):
        for company in self.filtered('orderweb_url'):
            try:
                ws_base, _http_base = endpoints(company.orderweb_url)
            except ValueError as error:
                raise ValidationError(_("The OrderWeb server address is not valid: %(reason)s",
                                        reason=translated(self.env, error))) from None
            # The key travels in the headers: in clear text only to this very machine (a local stand-in).
            if ws_base.startswith('ws://') and urlsplit(ws_base).hostname not in LOOPBACK_HOSTS:
                raise ValidationError(_(
                    "The OrderWeb server must be reached over TLS (wss:// or https://): "
                    "ws:// and http:// are for a server on this machine only."))

    @api.constrains('orderweb_enabled', 'orderweb_tenant', 'orderweb_api_key', 'orderweb_target',
                    'orderweb_pos_config_id', 'orderweb_url')
    def _check_orderweb_ready(self):
        for company in self.filtered('orderweb_enabled'):
            missing = [
                label for label, ok in (
                    (_("the OrderWeb server"), company.orderweb_url),
                    (_("the tenant"), company.orderweb_tenant),
                    (_("the API key"), company.sudo().orderweb_api_key),
                    (_("the receiving POS shop"), company.orderweb_target != 'pos' or company.orderweb_pos_config_id),
                ) if not ok
            ]
            if missing:
                raise ValidationError(_(
                    "OrderWeb cannot be enabled for %(company)s without %(missing)s.",
                    company=company.name, missing=", ".join(missing)))

    @api.constrains('orderweb_enabled', 'orderweb_tenant', 'orderweb_url')
    def _check_orderweb_tenant_once(self):
        # The live connection is held per company: two companies on one tenant would both
        # connect and both import its orders. One server is known by its identity, not by
        # how its address is spelled (http:// or ws://, case, default port, localhost...).
        for company in self.filtered('orderweb_enabled'):
            tenant = company._orderweb_tenant_identity()
            twin = self.sudo().search([('id', '!=', company.id), ('orderweb_enabled', '=', True)]).filtered(
                lambda other: other._orderweb_tenant_identity() == tenant)[:1]
            if twin:
                raise ValidationError(_(
                    "%(company)s already receives the orders of OrderWeb tenant “%(tenant)s”.",
                    company=twin.name, tenant=company.orderweb_tenant))

    def _orderweb_tenant_identity(self):
        """(server, tenant) of the tenant this company receives, as OrderWeb tells them apart."""
        self.ensure_one()
        try:
            server = server_identity(self.orderweb_url)
        except ValueError:
            server = self.orderweb_url  # refused by _check_orderweb_url anyway
        return server, (self.orderweb_tenant or '').strip().casefold()

    def _orderweb_connection_status(self):
        """The company's live connection status record (empty before the first report)."""
        self.ensure_one()
        return self.env['orderweb.connection'].sudo().search([('company_id', '=', self.id)])

    def _orderweb_pull_client(self):
        self.ensure_one()
        company = self.sudo()
        return PullClient(company.orderweb_url, company.orderweb_tenant.strip(), company.orderweb_api_key.strip())
