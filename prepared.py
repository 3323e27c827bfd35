"""An OrderWeb order resolved once for its import, and the money rules of an import.

The online order reads its payload once and resolves it here (customer, products, the
customer's prices): ``pos.order`` and ``sale.order`` turn a :class:`PreparedOrder` into their
own values, asking it for prices under their taxes and for the lines that bring their total
to what the customer paid. The source checks the total of what they made. Its red flags
are the restaurant's policy, in flags.py.

Plain values travel, never the online order itself: a target needs not know its source
(and imports nothing of it), only what it is told here.
"""
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from .const import SCHEDULE_HORIZON_DAYS, UNROUNDED_PRICE_PRECISION
from .flags import red_flags


@dataclass(frozen=True)
class PreparedLine:
    """An item, or an add-on right after its item, as the targets make a line of it."""
    name: str
    note: str
    qty: float
    price: float  # per unit, as the customer paid it (taxes included)
    product: object  # product.product
    item: int | None = None  # for an add-on: the index of its item's line
    placeholder: bool = False  # the product is the fallback of an item Odoo does not know
    taxes: object = None  # account.tax, once priced (``PreparedOrder.priced_lines``)
    price_unit: float = 0.0  # once priced: the unit price before those taxes


class ImportWaits(Exception):
    """The online order is fine but its target cannot be made yet (no open POS session)."""


@dataclass(frozen=True)
class PreparedOrder:
    """An OrderWeb order ready to be imported: what the targets need, resolved once."""
    company: object  # res.company receiving it, in the import's environment
    online_order_id: int  # the id of its online order (orderweb.order), which the target links to
    orderweb_id: str  # OrderWeb's id of the order, unique in the company
    number: str  # its number, as the shop and the customer call it
    for_pos: bool  # made into a POS order (else a sales order)
    orderweb_order: object  # orderweb.order.Order, the parsed payload
    customer: object  # res.partner, empty without customer details
    lines: tuple  # PreparedLine
    unmapped: object  # orderweb.product.map of the items imported as placeholders

    @property
    def env(self):
        return self.company.env

    @cached_property
    def later(self):
        """Whether the order is for later: its time is ahead, within SCHEDULE_HORIZON_DAYS."""
        scheduled_for = self.orderweb_order.scheduled_for
        if not scheduled_for:
            return False
        now = fields.Datetime.now()
        return now < scheduled_for.replace(tzinfo=None) <= now + timedelta(days=SCHEDULE_HORIZON_DAYS)

    @cached_property
    def schedule_note(self):
        """Why an order with a time is made as soon as possible (its time is past, or too far
        ahead to be trusted), in the shop's timezone; None otherwise."""
        scheduled_for = self.orderweb_order.scheduled_for
        if not scheduled_for or self.later:
            return None
        env = self.env
        when = format_datetime(env, scheduled_for.replace(tzinfo=None),
                               tz=self.company.partner_id.tz or env.user.tz or 'UTC', dt_format='short')
        if scheduled_for.replace(tzinfo=None) <= fields.Datetime.now():
            return env._("Scheduled for %(when)s, already past when it was imported: made as soon as possible.",
                         when=when)
        return env._("Scheduled for %(when)s, more than %(days)s days ahead: made as soon as possible; "
                     "check the time with the customer.", when=when, days=SCHEDULE_HORIZON_DAYS)

    @cached_property
    def flags(self):
        """The red flags of this order (``flags.red_flags``): tuple of translated texts."""
        return red_flags(self.company, self.for_pos, self.orderweb_order, self.lines, line_sources(self.orderweb_order))

    @cached_property
    def adjustment_product(self):
        """The product of the lines for charges, discounts and rounding (only read when one is needed)."""
        return self.company.orderweb_adjustment_product_id or self.env.ref(
            'pos_orderweb.product_orderweb_adjustment')

    def priced_lines(self, fiscal_position, currency):
        """The lines with the taxes of their product under ``fiscal_position``, and the unit
        price that, taxed so, gives back what the customer paid.

        :return: list of PreparedLine
        """
        return [self._priced(line, fiscal_position, currency) for line in self.lines]

    def priced_charges(self, fiscal_position, currency):
        """The line of what was charged beyond the items (delivery fee, service charge) or
        taken off them (discount), priced as ``priced_lines``: shown apart, never folded into
        prices, and taxed as the adjustment product is (the company's sale tax): VAT is due
        on a fee, and a discount lowers it.

        :return: list of PreparedLine, empty when the customer paid the items' total
        """
        orderweb_order, _ = self.orderweb_order, self.env._
        if orderweb_order.total is None:
            return []
        charges = currency.round(float(orderweb_order.total - orderweb_order.items_total))
        if currency.is_zero(charges):
            return []
        label = _("Fees and charges (delivery, service)") if charges > 0 else _("Discount")
        return [self._priced(PreparedLine(name=label, note='', qty=1.0, price=charges,
                                          product=self.adjustment_product), fiscal_position, currency)]

    def _priced(self, line, fiscal_position, currency):
        taxes = line.product.taxes_id._filter_taxes_by_company(self.company)
        if fiscal_position:
            taxes = fiscal_position.map_tax(taxes)
        return replace(line, taxes=taxes,
                       price_unit=price_excluding(taxes, line.price, line.qty, currency, line.product))

    def rounding(self, odoo_total, currency):
        """What brings ``odoo_total``, Odoo's total of the priced lines and charges, to what the
        customer paid: the penny by which Odoo's rounding of taxes over the whole order may
        truly differ (with taxes rounded per line, nothing). The targets book it on a line
        of its own, without tax.

        :raise UserError: Odoo's total is more than pennies away from the customer's
        :return: float, 0.0 when the totals agree
        """
        total = self.orderweb_order.total
        if total is None:
            return 0.0
        rounding = currency.round(float(total) - odoo_total)
        if abs(rounding) > currency.rounding * (len(self.lines) + 1) * 2:
            # More than pennies: prices were changed on the way (pricelist, mixed taxes), not rounded.
            _ = self.env._
            raise UserError(_(
                "Odoo prices the order at %(odoo)s where the customer paid %(orderweb)s; "
                "check the taxes and pricelist of the products.",
                odoo=currency.format(odoo_total), orderweb=currency.format(float(total))))
        return 0.0 if currency.is_zero(rounding) else rounding

    def check_total(self, odoo_total, currency):
        """:raise UserError: ``odoo_total`` is not what the customer paid"""
        total = self.orderweb_order.total
        if total is not None and not currency.is_zero(odoo_total - float(total)):
            raise UserError(self.env._(
                "The Odoo total %(odoo)s differs from the OrderWeb total %(orderweb)s.",
                odoo=currency.format(odoo_total), orderweb=currency.format(float(total))))


def prepared_lines(env, orderweb_order, products):
    """The lines of ``orderweb_order``: each item followed by its add-ons.

    :param env: the environment whose language the lines' notes are written in
    :param products: (product, whether it is a fallback) of each item and add-on, in the order
        of ``line_sources``
    :return: tuple of PreparedLine
    """
    lines = []
    products = iter(products)

    def line(**values):
        product, placeholder = next(products)
        return PreparedLine(**values, product=product, placeholder=placeholder)

    for item in orderweb_order.items:
        addon_names = [
            addon.name if addon.quantity == 1 else f"{addon.name} ×{addon.quantity.normalize():f}"
            for addon in item.addons
        ]
        note = "\n".join(filter(None, [addon_names and env._("With: %(addons)s", addons=", ".join(addon_names)),
                                       item.note]))
        item_index = len(lines)
        lines.append(line(name=item.name, note=note, qty=float(item.quantity), price=float(item.price)))
        lines.extend(line(name=f"+ {addon.name}", note='', qty=float(addon.quantity * item.quantity),
                          price=float(addon.price), item=item_index)
                     for addon in item.addons)
    return tuple(lines)


def line_sources(orderweb_order):
    """[(item or add-on, is_addon)] of ``orderweb_order``, in the order of its lines."""
    return [(source, is_addon) for item in orderweb_order.items
            for source, is_addon in ((item, False), *((addon, True) for addon in item.addons))]


def price_excluding(taxes, price_included, qty, currency, product):
    """The unit price that gives back the customer's ``price_included × qty`` once ``taxes`` apply.

    OrderWeb prices are what the customer saw, taxes included; a product whose taxes are
    price-excluded gets its price converted, not re-taxed on top.

    :return: float
    """
    if all(tax.price_include for tax in taxes):
        return price_included
    exact = taxes._get_tax_details(
        price_included, 1.0, precision_rounding=UNROUNDED_PRICE_PRECISION,
        product=product, special_mode='total_included')['total_excluded']
    # Odoo taxes a rounded base: the nearest unit price that lands on the customer's total wins.
    target = currency.round(price_included * qty)
    for candidate in (exact, *(currency.round(exact) + step * currency.rounding for step in (0, -1, 1))):
        included = taxes.compute_all(candidate, currency, qty, product=product)['total_included']
        if currency.is_zero(included - target):
            return candidate
    return exact
