import psycopg2

from odoo import fields, models

from ..compat import sql_constraints


@sql_constraints(
    item_company_uniq=(
        'unique(orderweb_item_id, company_id)',
        "This OrderWeb item is already mapped for this company."),
)
class OrderWebProductMap(models.Model):
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

    def _note_unmapped(self, company, line):
        """List an item that fell back to a placeholder, so a manager can map it."""
        if self.search_count([('company_id', '=', company.id), ('orderweb_item_id', '=', line.id)], limit=1):
            return
        try:
            with self.env.cr.savepoint():
                self.create({'company_id': company.id, 'orderweb_item_id': line.id, 'name': line.name})
        except psycopg2.errors.UniqueViolation:  # pylint: disable=except-pass
            pass  # listed by a concurrent import
