"""Money as a UK restaurant reads it: VAT on every line, every line at the customer's price."""
from decimal import Decimal

from odoo.tests import tagged

from ..orderweb.simulator.data import MENU
from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestMoney(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.open_new_session()
        self.placeholders = self.env['product.product'].concat(*(
            self.env.ref('pos_orderweb.' + xmlid)
            for xmlid in ('product_orderweb_item', 'product_orderweb_addon', 'product_orderweb_adjustment')))

    def vat(self, included=True):
        """A UK VAT of 20%, included in prices (as menus show them) or not."""
        return self.env['account.tax'].create({
            'name': "VAT 20%", 'amount': 20, 'amount_type': 'percent', 'type_tax_use': 'sale',
            'company_id': self.company.id, 'price_include_override': 'tax_included' if included else 'tax_excluded',
        })

    def uk_menu(self, vat):
        """The stand-in's menu (the demo's restaurant) as products taxed with ``vat``, mapped by id."""
        for item_id, name, price, addons in MENU:
            for product_id, product_name, product_price in ((item_id, name, price), *(a[:3] for a in addons)):
                product = self._create_menu_product(product_name, float(product_price), vat)
                self.env['orderweb.product.map'].create({
                    'company_id': self.company.id, 'orderweb_item_id': product_id, 'product_id': product.id})

    def menu_orders(self):
        """Every dish of the menu alone, twice, and with all its add-ons."""
        for item_id, name, price, addons in MENU:
            for quantity, chosen in ((1, ()), (2, ()), (1, addons)):
                items = [{'id': item_id, 'name': name, 'price': float(price), 'quantity': quantity,
                          'selectedAddons': [{'id': a[0], 'name': a[1], 'price': float(a[2])} for a in chosen]}]
                total = (Decimal(price) + sum(Decimal(a[2]) for a in chosen)) * quantity
                yield new_order(items=items, totalAmount=float(total))

    def assertPricesAsSent(self, pos_order, order):
        sent = [(source['name'], source['price'], item['quantity'])
                for item in order['items'] for source in (item, *item.get('selectedAddons', ()))]
        booked = [(line.full_product_name.removeprefix('+ '), line.price_unit, line.qty) for line in pos_order.lines]
        self.assertEqual(booked, sent, "one line per dish and add-on, at the menu's price: no rounding line")
        for line, (_name, price, qty) in zip(pos_order.lines, sent, strict=True):
            self.assertAlmostEqual(line.price_subtotal_incl, price * qty)
        self.assertTotal(pos_order, order['totalAmount'])

    # ------------------------------------------------------------------
    # VAT on every line
    # ------------------------------------------------------------------

    def test_an_unknown_item_is_booked_with_the_company_vat(self):
        # As on a database whose chart of accounts came after the addon (the demo's): the
        # placeholders had no tax of the company, which then gets its default sale tax.
        self.placeholders.taxes_id = False
        vat = self.vat()
        self.company.account_sale_tax_id = vat
        self.assertEqual(self.placeholders.taxes_id, vat)
        pos_order = self.receive(new_order(totalAmount=14.50, items=[
            {'id': 'item-chef-special', 'name': "Chef's special ramen", 'price': 14.50, 'quantity': 1}])).pos_order_id
        self.assertEqual(pos_order.lines.product_id, self.env.ref('pos_orderweb.product_orderweb_item'))
        self.assertEqual((pos_order.lines.price_unit, pos_order.lines.tax_ids), (14.50, vat))
        self.assertAlmostEqual(pos_order.amount_tax, 2.42)
        self.assertTotal(pos_order, 14.50)

    def test_every_company_is_set_up_and_a_chosen_tax_is_kept(self):
        other = self.vat()
        self.placeholders.taxes_id = False
        self.env.ref('pos_orderweb.product_orderweb_addon').taxes_id = other
        # What installing the addon runs (data/product_data.xml).
        self.env['res.company'].search([])._orderweb_tax_products()
        default = self.company.account_sale_tax_id
        self.assertTrue(default)
        for xmlid, tax in (('product_orderweb_item', default), ('product_orderweb_adjustment', default),
                           ('product_orderweb_addon', other)):
            taxes = self.env.ref('pos_orderweb.' + xmlid).sudo().taxes_id  # all companies' taxes
            self.assertEqual(taxes._filter_taxes_by_company(self.company), tax, xmlid)

    def test_charges_and_discounts_carry_the_vat(self):
        vat = self.vat()
        self.env.ref('pos_orderweb.product_orderweb_adjustment').taxes_id = vat
        self.uk_menu(vat)
        pos_order = self.receive(new_order(totalAmount=15.99)).pos_order_id  # a burger and a 3.00 delivery fee
        fee = pos_order.lines.filtered(lambda line: line.full_product_name.startswith('Fees'))
        self.assertEqual((fee.price_unit, fee.tax_ids), (3.00, vat))
        self.assertAlmostEqual(pos_order.amount_tax, 2.67)  # 15.99 / 6
        self.assertTotal(pos_order, 15.99)
        discount = self.receive(new_order(totalAmount=11.99)).pos_order_id.lines.filtered(
            lambda line: line.full_product_name == 'Discount')
        self.assertEqual((discount.price_unit, discount.tax_ids), (-1.00, vat))

    # ------------------------------------------------------------------
    # The price the customer paid, on the line
    # ------------------------------------------------------------------

    def test_the_demo_menu_is_booked_at_its_prices(self):
        # The demo's UK restaurant: VAT 20% in the menu's prices, rounded per line (tools/demo.py).
        self.company.tax_calculation_rounding_method = 'round_per_line'
        self.uk_menu(self.vat())
        for order in self.menu_orders():
            self.assertPricesAsSent(self.receive(order).pos_order_id, order)

    def test_round_per_tax_keeps_prices_and_books_only_its_own_penny(self):
        # Rounded over the whole order, Odoo's VAT of a lone 12.99 (10.825 + 2.165, both half a
        # penny) comes to 13.00: the burger keeps its price, the penny has a line of its own.
        self.company.tax_calculation_rounding_method = 'round_globally'
        self.uk_menu(self.vat())
        pos_order = self.receive(new_order()).pos_order_id
        burger, rounding = pos_order.lines
        self.assertEqual((burger.price_unit, burger.full_product_name), (12.99, 'Classic Burger'))
        self.assertEqual((rounding.full_product_name, rounding.price_unit, rounding.tax_ids.ids),
                         ('Tax rounding', -0.01, []))
        self.assertTotal(pos_order, 12.99)
        # Where Odoo's rounding gives the customer's total, no line.
        two = new_order(totalAmount=25.98, items=[
            {'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 2}])
        self.assertPricesAsSent(self.receive(two).pos_order_id, two)

    def test_excluded_vat_still_totals_what_the_customer_paid(self):
        self.uk_menu(self.vat(included=False))
        for method in ('round_per_line', 'round_globally'):
            self.company.tax_calculation_rounding_method = method
            for order in self.menu_orders():
                pos_order = self.receive(order).pos_order_id
                self.assertTotal(pos_order, order['totalAmount'])
                self.assertGreater(pos_order.amount_tax, 0)
