"""1.2.0: the pull lives on the connection; an online order keeps the items it imported as placeholders."""
from odoo import SUPERUSER_ID, api
from odoo.addons.pos_orderweb.prepared import line_sources


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    # The cron's record is noupdate (an administrator's interval survives updates): moved here.
    cron = env.ref('pos_orderweb.ir_cron_orderweb_pull', raise_if_not_found=False)
    if cron:
        cron.model_id = env['ir.model']._get('orderweb.connection')
    # What the import now stores, read once more from the payloads of the orders imported before.
    unmapped = {(mapping.company_id.id, mapping.orderweb_item_id): mapping.id
                for mapping in env['orderweb.product.map'].search([('product_id', '=', False)])}
    if not unmapped:
        return
    for online_order in env['orderweb.order'].search([('state', '=', 'done')]):
        try:
            orderweb_order = online_order._read(online_order.payload)
        except (ValueError, RecursionError):  # PayloadError is a ValueError
            continue
        mapping_ids = {unmapped[key] for source, _is_addon in line_sources(orderweb_order)
                       if (key := (online_order.company_id.id, source.id)) in unmapped}
        if mapping_ids:
            online_order.unmapped_item_ids = [(6, 0, list(mapping_ids))]
