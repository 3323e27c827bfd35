"""The restaurant's red flags on an online order: what the kitchen must look at before cooking
it, as the receiving shop's settings (else the defaults, const.py) say. Flags never stop the
import; the cashier acknowledges them before accepting the order."""
from .const import ALLERGY_WORDS, FLAG_QUOTE_LENGTH, PRICE_TOLERANCE
from .utils import words_found, words_pattern


def red_flags(company, for_pos, orderweb_order, lines, sources):
    """What the kitchen must look at before cooking this order, as the receiving shop's
    settings (else the defaults) say: an allergy word in the special instructions, an
    item's notes or an add-on's name; an item Odoo does not know (imported as a
    placeholder, also when only an archived product or one the shop does not sell has its
    name); an item whose product is archived, not sold in the POS or unavailable in the
    shop; an item priced off its product's price by more than the tolerance.
    Flags never stop the import.

    :param company: the receiving company (res.company), in the import's environment
    :param for_pos: whether the order becomes a POS order (else a sales order)
    :param orderweb_order: its parsed payload (``orderweb.order.Order``)
    :param lines: its ``prepared.PreparedLine``s, the products resolved
    :param sources: (item or add-on, is_addon) of each line (``prepared.line_sources``)
    :return: tuple of translated texts, one per flag
    """
    env = company.env
    _, shop, currency = env._, company.orderweb_pos_config_id, company.currency_id
    tolerance = shop.orderweb_price_tolerance if shop else PRICE_TOLERANCE
    allergy = words_pattern(shop.orderweb_allergy_words if shop else ALLERGY_WORDS)
    flags = []
    if allergy:
        for where, text in ((_("special instructions"), orderweb_order.special_instructions),
                            *((item.name, item.note) for item in orderweb_order.items),
                            *((item.name, addon.name) for item in orderweb_order.items for addon in item.addons)):
            found = words_found(allergy, text)
            if found:
                flags.append(_("Allergy (%(words)s) in %(where)s: “%(text)s”",
                               words=", ".join(found), where=where, text=flag_quote(text)))
    unsold_by_name = None  # searched once, at the first placeholder
    for line, (source, _is_addon) in zip(lines, sources, strict=True):
        product = line.product
        if line.placeholder:
            if unsold_by_name is None:
                unsold_by_name = _unsold_by_name(company, lines, sources)
            flags.append(_placeholder_flag(env, line, unsold_by_name.get(source.name)))
            continue
        if not product.active:
            flags.append(_("%(item)s: its product %(product)s is archived", item=line.name, product=product.name))
        elif product in shop.orderweb_unavailable_product_ids:
            flags.append(_("%(item)s: %(product)s is unavailable in %(shop)s",
                           item=line.name, product=product.name, shop=shop.name))
        elif for_pos and not product.available_in_pos:
            flags.append(_("%(item)s: %(product)s is not sold in the POS", item=line.name, product=product.name))
        if line.item is None:
            odoo_price = product.lst_price
            taxes = product.taxes_id._filter_taxes_by_company(company)
            if taxes:
                odoo_price = taxes.compute_all(odoo_price, currency, 1.0, product=product)['total_included']
            if currency.compare_amounts(abs(line.price - odoo_price), tolerance) > 0:
                flags.append(_("%(item)s: priced %(price)s online, %(odoo_price)s in Odoo",
                               item=line.name, price=currency.format(line.price),
                               odoo_price=currency.format(odoo_price)))
    return tuple(flags)


def _placeholder_flag(env, line, unsold):
    """The flag of a line imported as a placeholder: the kitchen may not know it. ``unsold``, a
    product of its item's name that was not taken (archived, or not sold where the order goes),
    is named, so that a manager sees why."""
    _ = env._
    if unsold and not unsold.active:
        return _("%(item)s: its product %(product)s is archived; imported as “%(placeholder)s”",
                 item=line.name, product=unsold.display_name, placeholder=line.product.name)
    if unsold:
        return _("%(item)s: %(product)s is not sold here; imported as “%(placeholder)s”",
                 item=line.name, product=unsold.display_name, placeholder=line.product.name)
    return _("%(item)s: unknown to Odoo, imported as “%(placeholder)s”: check what it is before cooking it",
             item=line.name, placeholder=line.product.name)


def _unsold_by_name(company, lines, sources):
    """{name: product} of the products, archived ones included, that have the name of an
    item imported as a placeholder: the match the import could not take."""
    names = {source.name for line, (source, _is_addon) in zip(lines, sources, strict=True) if line.placeholder}
    if not names:
        return {}
    Product = company.env['product.product'].with_company(company).with_context(active_test=False)
    return {product.name: product for product in Product.search(
        [('name', 'in', list(names)), *Product._check_company_domain(company)], order='active, id desc')}


def flag_quote(text):
    """``text`` as a flag quotes it: on one line (a flag is a line), and at most FLAG_QUOTE_LENGTH
    characters; the whole text is on the order, where it belongs."""
    text = " ".join(text.split())
    return text if len(text) <= FLAG_QUOTE_LENGTH else text[:FLAG_QUOTE_LENGTH - 1] + "…"
