from odoo import api, models

from ..compat import POS_ASSETS


class IrAsset(models.Model):
    _inherit = 'ir.asset'

    @api.model
    def _orderweb_register_assets(self):
        """Register the POS screen's files of this Odoo series (``compat.POS_ASSETS``) as asset
        records of the module: updated with it, removed when it is uninstalled, and those of
        another series (a database upgraded from it) dropped as obsolete at the update's end."""
        self._load_records([{
            'xml_id': 'pos_orderweb.asset_%s%s' % (bundle.replace('.', '_'), '_%s' % index if index else ''),
            'values': {'name': "OrderWeb: %s" % bundle, 'bundle': bundle, 'path': path, 'sequence': 16 + index},
            'noupdate': False,
        } for bundle, paths in POS_ASSETS.items() for index, path in enumerate(paths)])
