"""1.4.0: VAT on the placeholders and the charges product; allergy words that cover the UK's 14 allergens."""
from odoo import SUPERUSER_ID, api
from odoo.addons.pos_orderweb.const import ALLERGY_WORDS

# The default words until 1.3: a shop that kept them gets the new default, one that chose its own keeps them.
OLD_ALLERGY_WORDS = ("allergy, allergic, allergies, nut, nuts, peanut, peanuts, gluten, coeliac, celiac, dairy, "
                     "shellfish, sesame")


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env['res.company'].search([])._orderweb_tax_products()
    env['pos.config'].with_context(active_test=False).search(
        [('orderweb_allergy_words', '=', OLD_ALLERGY_WORDS)]).orderweb_allergy_words = ALLERGY_WORDS
