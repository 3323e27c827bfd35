"""What the kitchen is warned of: the UK's allergens in any of the customer's words, however
written, and the items it may not know."""
import importlib.util
import pathlib

from odoo.tests.common import BaseCase, tagged

from ..compat import POS_LINE_NOTE, POS_ORDER_NOTE
from ..const import ALLERGY_WORDS
from ..utils import words_found, words_pattern
from .common import OrderWebCommon, new_order


@tagged('post_install', '-at_install')
class TestAllergyWords(BaseCase):
    """The default words, as the customers write them (no database needed)."""

    def found(self, text):
        return words_found(words_pattern(ALLERGY_WORDS), text)

    def test_the_uk_14_allergens_and_a_severe_reaction_flag_by_default(self):
        for text, words in (
            ("No celery please", ['celery']),
            ("gluten free, no wheat, rye, barley or oats", ['barley', 'gluten', 'oats', 'rye', 'wheat']),
            ("Prawns, crab, lobster or shrimp make me ill", ['crab', 'lobster', 'prawns', 'shrimp']),
            ("no eggs", ['eggs']),
            ("no fish sauce", ['fish']),
            ("lupin flour?", ['lupin']),
            ("Milk intolerance and no egg please - anaphylaxis risk", ['anaphylaxis', 'egg', 'intolerance', 'milk']),
            ("lactose intolerant, no dairy", ['dairy', 'intolerant', 'lactose']),
            ("no mussels, oysters or squid", ['mussels', 'oysters', 'squid']),
            ("hold the mustard", ['mustard']),
            ("almonds, hazelnuts, walnuts, cashews, pecans, pistachios, macadamias, Brazil nuts",
             ['almonds', 'brazil nuts', 'cashews', 'hazelnuts', 'macadamias', 'pecans', 'pistachios', 'walnuts']),
            ("peanut oil", ['peanut']),
            ("no sesame seeds", ['sesame']),
            ("soy sauce or soya milk", ['milk', 'soy', 'soya']),
            ("sulphites; sulfites", ['sulfites', 'sulphites']),
            ("anaphylactic, carries an EpiPen", ['anaphylactic', 'epipen']),
            ("severe allergies", ['allergies']),
        ):
            self.assertEqual(self.found(text), words, text)

    def test_text_is_folded_before_matching(self):
        self.assertEqual(self.found("Cœliac"), ['coeliac'])
        self.assertEqual(self.found("CŒLIAC, SULFITES"), ['coeliac', 'sulfites'])
        self.assertEqual(self.found("Séśame"), ['sesame'])
        self.assertEqual(self.found("ＰＥＡＮＵＴ"), ['peanut'], "full-width letters")
        self.assertEqual(self.found("Epi‑Pen"), ['epi-pen'], "a non-breaking hyphen")
        self.assertEqual(self.found("tree\n nut"), ['tree nut'])
        # Still whole words only.
        self.assertEqual(self.found("nutmeg, eggplant, Dairyland, butternut"), [])

    def test_the_shop_words_are_folded_too(self):
        self.assertEqual(words_found(words_pattern("Cœliac; ÉPOISSES"), "coeliac and epoisses"),
                         ['coeliac', 'epoisses'])


@tagged('post_install', '-at_install')
class TestFlags(OrderWebCommon):
    """Every word of the customer is kept, shown and checked; an item the kitchen may not know is a flag."""

    def setUp(self):
        super().setUp()
        self.open_new_session()
        self.config.orderweb_auto_accept = True

    def test_an_unflagged_allergy_never_reaches_the_kitchen_unseen(self):
        online_order = self.receive(new_order(
            specialInstructions="Milk intolerance and no egg please - anaphylaxis risk"))
        self.assertIn('anaphylaxis, egg, intolerance, milk', online_order.flags)
        self.assertEqual(online_order.pos_order_id.orderweb_status, 'new', "the cashier acknowledges it first")

    def test_every_note_addon_and_long_text_is_kept_shown_and_checked(self):
        instructions = "Please read all of this. " * 200 + "Cœliac: no gluten at all"  # past 4,000 characters
        online_order = self.receive(new_order(
            specialInstructions=instructions, totalAmount=12.99, items=[{
                'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 1,
                'notes': "Well done", 'specialInstructions': "No sesame bun",
                'selectedAddons': [{'id': 'addon-note', 'name': "Nut allergy - no nuts", 'price': 0}]}]))
        flags = online_order.flags.splitlines()
        self.assertEqual(len(flags), 4, "one line each: the instructions, the notes, the add-on, its placeholder")
        self.assertIn('coeliac, gluten', flags[0])
        self.assertIn('Please read all of this.', flags[0])
        self.assertLess(len(flags[0]), 400, "a flag quotes the text; the order holds it whole")
        self.assertIn('sesame', flags[1])
        self.assertIn('Classic Burger: “Well done No sesame bun”', flags[1])
        self.assertIn('allergy, nut', flags[2])
        self.assertIn('Nut allergy - no nuts', flags[2])
        pos_order = online_order.pos_order_id
        self.assertEqual(pos_order[POS_ORDER_NOTE], instructions, "kept whole, shown whole")
        burger = pos_order.lines.filtered(lambda line: line.full_product_name == 'Classic Burger')
        for text in ("Well done", "No sesame bun", "Nut allergy - no nuts"):
            self.assertIn(text, burger[POS_LINE_NOTE])

    def test_an_item_the_kitchen_may_not_know_is_a_flag(self):
        fish = self._create_menu_product('Fish and chips', 13.25, self.taxes['tax10'])
        fish.active = False
        self._create_menu_product('Garlic bread', 4.00, self.taxes['tax10']).available_in_pos = False
        online_order = self.receive(new_order(totalAmount=31.75, items=[
            {'id': 'item-chef-special', 'name': "Chef's special ramen", 'price': 14.50, 'quantity': 1},
            {'id': 'item-fish-chips', 'name': 'Fish and chips', 'price': 13.25, 'quantity': 1},
            {'id': 'item-garlic-bread', 'name': 'Garlic bread', 'price': 4.00, 'quantity': 1}]))
        self.assertEqual(online_order.state, 'done', "flags never stop the import")
        ramen, fish_flag, bread = online_order.flags.splitlines()
        self.assertIn("Chef's special ramen", ramen)
        self.assertIn('unknown', ramen)
        self.assertIn('archived', fish_flag)
        self.assertIn('not sold here', bread)
        self.assertEqual(online_order.pos_order_id.orderweb_status, 'new')
        # An unknown add-on too.
        addon = self.receive(new_order(items=[
            {'id': 'item-classic-burger', 'name': 'Classic Burger', 'price': 12.99, 'quantity': 1,
             'selectedAddons': [{'id': 'addon-secret', 'name': 'Secret sauce', 'price': 0}]}]))
        self.assertIn('Secret sauce', addon.flags)


@tagged('post_install', '-at_install')
class TestAllergyWordsMigration(OrderWebCommon):

    def test_a_shop_on_the_old_default_gets_the_new_one(self):
        path = pathlib.Path(__file__).parent.parent / 'migrations' / '1.4.0' / 'post-migrate.py'
        spec = importlib.util.spec_from_file_location('pos_orderweb_migrate_1_4_0', path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        own = self.env['pos.config'].create({'name': "Bar", 'orderweb_allergy_words': "coriander"})
        self.config.orderweb_allergy_words = migration.OLD_ALLERGY_WORDS
        self.env.flush_all()
        migration.migrate(self.env.cr, '1.3.0')
        self.env.invalidate_all()
        self.assertEqual(self.config.orderweb_allergy_words, ALLERGY_WORDS)
        self.assertEqual(own.orderweb_allergy_words, "coriander", "a shop's own words stay")
