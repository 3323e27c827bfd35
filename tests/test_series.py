"""The table of what differs by Odoo series (compat.SERIES_TABLE) holds for the series running:
what the tools read of it without Odoo is what the code reads, every series has its POS screen
adapter and tour steps, and its entries name what this Odoo has."""
import importlib.util
import os

from odoo.tests import TransactionCase, tagged

from .. import compat

ADDON = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tools_odoo_env():
    """tools/odoo_env.py, as the tools and CI load it (standard library only)."""
    spec = importlib.util.spec_from_file_location('odoo_env', os.path.join(ADDON, 'tools', 'odoo_env.py'))
    odoo_env = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(odoo_env)
    return odoo_env


@tagged('post_install', '-at_install')
class TestSeries(TransactionCase):

    def test_the_tools_read_the_one_list_of_series(self):
        odoo_env = tools_odoo_env()
        self.assertEqual(odoo_env.SERIES_TABLE, compat.SERIES_TABLE)
        self.assertEqual(odoo_env.SERIES, tuple(f'{series}.0' for series in sorted(compat.SERIES_TABLE)))
        self.assertIn(compat.SERIES, compat.SERIES_TABLE, "the series running is one the addon supports")

    def test_every_series_has_every_entry_and_its_screen_files(self):
        keys = set(compat.SERIES_INFO)
        for series, entry in compat.SERIES_TABLE.items():
            self.assertEqual(set(entry), keys, series)
            for path in (f'static/src/{series}/adapter.js', f'static/tests/{series}/tours/orderweb_series_steps.js'):
                self.assertTrue(os.path.isfile(os.path.join(ADDON, path)), path)

    def test_the_entry_names_what_this_series_has(self):
        info = compat.SERIES_INFO
        for model, field in (('pos.order', info['pos_order_note']), ('pos.order.line', info['pos_line_note']),
                             ('sale.order.line', info['sale_line_taxes']),
                             *(('res.partner', name) for name in info['partner_phone_fields']),
                             ('pos.order', info['pos_reference_field']), ('pos.order', info['pos_tracking_field'])):
            if field:
                self.assertIn(field, self.env[model]._fields, f'{model}.{field}')
        # The import answers sync_from_ui for the same models as Odoo does (outside an import, Odoo answers).
        self.assertEqual(set(self.env['pos.order'].read_pos_data([], False)), set(compat.READ_POS_DATA_MODELS))
        # The POS screen's files registered are this series' own.
        assets = self.env['ir.asset'].search([('path', 'like', 'pos_orderweb/static/%')])
        registered = [path for paths in compat.POS_ASSETS.values() for path in paths]
        self.assertEqual(sorted(assets.mapped('path')), sorted(registered))
