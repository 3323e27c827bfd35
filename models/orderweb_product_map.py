import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..compat import sql_constraints

# The fallback product of an item and of an add-on: the company's setting, else the addon's own.
FALLBACK_PRODUCTS = {
    False: ('orderweb_item_product_id', 'pos_orderweb.product_orderweb_item'),
    True: ('orderweb_addon_product_id', 'pos_orderweb.product_orderweb_addon'),
}


@sql_constraints(
    item_company_uniq=(
        'unique(orderweb_item_id, company_id)',
        "This OrderWeb item is already mapped for this company."),
)
class OrderWebProductMap(models.Model):
    """Which Odoo product an OrderWeb menu item or add-on is imported as (its mapping)."""
    _name = 'orderweb.product.map'
    _description = "OrderWeb Menu Item Mapping"
    _order = 'product_id desc, name'
    _check_company_auto = True

    company_id = fields.Many2one('res.company', required=True, index=True, default=lambda self: self.env.company)
    orderweb_item_id = fields.Char(string="OrderWeb Item ID", required=True)
    name = fields.Char(string="OrderWeb Name", help="The name OrderWeb last sent for this item or add-on.")
    product_id = fields.Many2one(
        'product.product', check_company=True,
        help="Product used for this OrderWeb item. Empty: matched by exact name, else the fallback product.")

    @api.model
    def _orderweb_products(self, company, items, for_pos, known=None):
        """The product of each OrderWeb item or add-on: its mapping, else the product of the
        exact name, else the fallback product (the item is then listed here, to be mapped).

        :param items: [(``orderweb.order.Item`` or ``Addon``, is_addon)]; two searches for all
        :param for_pos: products sold in the POS (else sold at all)
        :param known: ``_orderweb_known_products`` of items including these (a batch's), else searched here
        :return: ([(product, whether it is the fallback)] in the order of ``items``, the mappings of
            the items that fell back)
        :raise UserError: an item falls back and no fallback product is set
        """
        mapped, by_name = known or self._orderweb_known_products(company, items, for_pos)
        products, unmapped = [], self.browse()
        for item, is_addon in items:
            product = mapped.get(item.id) or by_name.get(item.name)
            if product:
                products.append((product, False))
                continue
            products.append((self._orderweb_fallback(company, item, is_addon), True))
            if item.id:
                unmapped |= self._orderweb_list_unmapped(company, item)
        return products, unmapped

    @api.model
    def _orderweb_known_products(self, company, items, for_pos):
        """The products that ``items`` have in Odoo: two searches for all of them (a batch's at once).

        :return: ({item id: its mapping's product}, {name: the oldest product of that name})
        """
        item_ids = {item.id for item, _is_addon in items if item.id}
        mapped = {
            mapping.orderweb_item_id: mapping.product_id
            for mapping in self.search([
                ('company_id', '=', company.id), ('orderweb_item_id', 'in', list(item_ids)),
                ('product_id', '!=', False)])
        } if item_ids else {}
        Product = self.env['product.product'].with_company(company)
        by_name = {}
        for product in Product.search([
            ('name', 'in', list({item.name for item, _is_addon in items})),
            *Product._check_company_domain(company),
            ('available_in_pos', '=', True) if for_pos else ('sale_ok', '=', True),
        ], order='id'):
            by_name.setdefault(product.name, product)
        return mapped, by_name

    @api.model
    def _orderweb_fallback(self, company, item, is_addon):
        field_name, xmlid = FALLBACK_PRODUCTS[is_addon]
        product = (company[field_name] or self.env.ref(xmlid, raise_if_not_found=False)).filtered('active')
        if not product:
            raise UserError(_(
                "No product matches “%(name)s” and no fallback product is set in the OrderWeb settings.",
                name=item.name))
        return product

    @api.model
    def _orderweb_list_unmapped(self, company, item):
        """The mapping of an item that fell back to a placeholder, listed if new, so a manager can map it."""
        domain = [('company_id', '=', company.id), ('orderweb_item_id', '=', item.id)]
        mapping = self.search(domain, limit=1)
        if mapping:
            return mapping
        try:
            with self.env.cr.savepoint():
                return self.create({'company_id': company.id, 'orderweb_item_id': item.id, 'name': item.name})
        except psycopg2.errors.UniqueViolation:
            return self.search(domain, limit=1)  # listed by a concurrent import
