"""Cost of importing one OrderWeb order next to Odoo's own sync_from_ui, in one run.

    odoo_python bench/bench_import.py [--db ow_bench] [--orders 100]

Creates the database with pos_orderweb if it does not exist, opens a POS session,
then times, alternately, N imports through the inbound log (store + commit, map +
commit, notification) and N `sync_from_ui` calls + commit of an equivalent order
(same products, same lines, same customer). Goal: ratio <= 1.3.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid

import odoo
from odoo import api, fields
from odoo.modules.registry import Registry

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tools'))
import odoo_env

PRODUCTS = [('Bench Burger', 12.99, 2), ('Bench Fries', 4.50, 1), ('Bench Shake', 3.95, 1)]


def ensure_database(db):
    exists = subprocess.run(['psql', '-h', os.environ.get('PGHOST', '127.0.0.1'), '-tAc',
                             f"SELECT 1 FROM pg_database WHERE datname='{db}'", 'postgres'],
                            check=False, capture_output=True, text=True).stdout.strip()
    if not exists:
        subprocess.run(odoo_env.odoo_command('-d', db, '-i', 'pos_orderweb', '--stop-after-init',
                                             *odoo_env.no_demo_data_options(), '--log-level=warn'), check=True)


def setup(env, url='http://127.0.0.1:9', tenant='bench', api_key='pos_' + '0' * 16 + 'fake' * 12):
    company = env.company
    config = (env['pos.config'].search([('company_id', '=', company.id)], limit=1)
              or env['pos.config'].create({'name': 'Bench Shop'}))
    products = {
        name: env['product.product'].search([('name', '=', name)], limit=1)
        or env['product.product'].create({
            'name': name, 'list_price': price, 'available_in_pos': True, 'taxes_id': [(5, 0, 0)]})
        for name, price, _qty in PRODUCTS
    }
    company.write({'orderweb_enabled': True, 'orderweb_url': url, 'orderweb_tenant': tenant,
                   'orderweb_api_key': api_key, 'orderweb_target': 'pos',
                   'orderweb_pos_config_id': config.id})
    if not config.current_session_id:
        config.open_ui()
    return company, config, products


def platform_order(number):
    return {'orderId': str(uuid.uuid4()), 'orderNumber': f'BEN-{number}', 'customerName': 'Bench Customer',
            'customerPhone': '+447911123456', 'orderType': 'pickup', 'totalAmount': sum(p * q for _n, p, q in PRODUCTS),
            'items': [{'id': name, 'name': name, 'price': price, 'quantity': qty} for name, price, qty in PRODUCTS]}


def ui_order(env, config, products, partner):
    session = config.current_session_id
    total = sum(price * qty for _n, price, qty in PRODUCTS)
    return {
        'name': f'Order {uuid.uuid4()}', 'uuid': str(uuid.uuid4()), 'session_id': session.id, 'sequence_number': 1,
        'user_id': env.uid, 'partner_id': partner.id, 'date_order': fields.Datetime.to_string(fields.Datetime.now()),
        'pricelist_id': config.pricelist_id.id, 'fiscal_position_id': False, 'state': 'draft',
        'lines': [(0, 0, {'uuid': str(uuid.uuid4()), 'product_id': products[name].id, 'qty': qty, 'price_unit': price,
                          'price_subtotal': price * qty, 'price_subtotal_incl': price * qty, 'discount': 0,
                          'tax_ids': [(6, 0, [])], 'full_product_name': name})
                  for name, price, qty in PRODUCTS],
        'payment_ids': [], 'amount_paid': 0, 'amount_return': 0, 'amount_tax': 0, 'amount_total': total,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db', default='ow_bench')
    parser.add_argument('--orders', type=int, default=100)
    args = parser.parse_args()
    ensure_database(args.db)
    odoo.tools.config.parse_config([*odoo_env.odoo_command('--log-level=warn')[1:]])
    registry = Registry(args.db)
    from odoo.addons.pos_orderweb.service import importer
    with registry.cursor() as cr:
        # The administrator, as a manager opening the shop: the superuser has no POS rights.
        uid = api.Environment(cr, odoo.SUPERUSER_ID, {}).ref('base.user_admin').id
        env = api.Environment(cr, uid, {})
        company, config, products = setup(env)
        partner = (env['res.partner'].search([('name', '=', 'Bench Customer')], limit=1)
                   or env['res.partner'].create({'name': 'Bench Customer'}))
        company_id, config_id, partner_id = company.id, config.id, partner.id
        product_ids = {name: product.id for name, product in products.items()}

    ours, odoo_own = [], []
    for number in range(args.orders + 5):
        with registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            company = env['res.company'].browse(company_id)
            started = time.perf_counter()
            log = importer.receive(env, company, [platform_order(number)], 'push')
            elapsed_ours = time.perf_counter() - started
            assert log.state == 'done', log.error
        with registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            config = env['pos.config'].browse(config_id)
            products = {k: env['product.product'].browse(v) for k, v in product_ids.items()}
            started = time.perf_counter()
            env['pos.order'].sync_from_ui([ui_order(env, config, products, env['res.partner'].browse(partner_id))])
            cr.commit()
            elapsed_odoo = time.perf_counter() - started
        if number >= 5:  # warm-up: caches, first sequences
            ours.append(elapsed_ours)
            odoo_own.append(elapsed_odoo)

    def ms(values, q):
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    print(f"orders: {args.orders} each, database {args.db}")
    print(f"pos_orderweb import (store+commit, map+commit, notify): "
          f"p50 {ms(ours, 50):.1f} ms, p99 {ms(ours, 99):.1f} ms")
    print(f"Odoo sync_from_ui (+commit), equivalent order:          "
          f"p50 {ms(odoo_own, 50):.1f} ms, p99 {ms(odoo_own, 99):.1f} ms")
    print(f"ratio (p50): {statistics.median(ours) / statistics.median(odoo_own):.2f}  (goal <= 1.3)")


if __name__ == '__main__':
    main()
