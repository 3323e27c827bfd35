from odoo import api, models

# Held in the context by the import only: a context sent over RPC is JSON and cannot carry
# this very object, so no client can pass for the import.
IMPORT_TOKEN = object()


class OrderWebOriginMixin(models.AbstractModel):
    """A record made from an online order, whose link to that order only the import sets.

    Values of ``_orderweb_origin_fields`` from anywhere else (a POS screen saving an order
    sends back every field it loaded, RPC, ``default_*`` keys of the context) are dropped:
    pointing a record at another online order would block that order's import, and
    clearing the link would let an online order be deleted.
    """
    _name = 'orderweb.origin.mixin'
    _description = "Record Made from an OrderWeb Order"

    _orderweb_origin_fields = ()

    def _orderweb_as_import(self):
        """These records in an environment allowed to set the online origin."""
        return self.with_context(orderweb_origin_writer=IMPORT_TOKEN)

    def _orderweb_origin_allowed(self):
        return self.env.context.get('orderweb_origin_writer') is IMPORT_TOKEN

    def _orderweb_strip_origin(self, vals):
        if self._orderweb_origin_allowed():
            return vals
        return {name: value for name, value in vals.items() if name not in self._orderweb_origin_fields}

    @api.model
    def default_get(self, fields_list):
        return self._orderweb_strip_origin(super().default_get(fields_list))

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._orderweb_strip_origin(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(self._orderweb_strip_origin(vals))
