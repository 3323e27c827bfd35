{
    'name': 'OrderWeb Online Orders for Point of Sale',
    'version': '1.5.0',  # no series: the same module installs on 18.0 and 19.0
    'category': 'Sales/Point of Sale',
    'summary': 'Receive OrderWeb online orders live in your POS and Sales, exactly once',
    'author': 'OrderWeb Connector Team',
    'maintainers': ['orderweb-connector'],
    'website': 'https://orderweb.net',
    'license': 'LGPL-3',
    'images': [
        'static/description/pos_online_order.png',
        'static/description/backend_online_orders.png',
        'static/description/backend_pos_order.png',
        'static/description/pos_online_order_tablet.png',
    ],
    'depends': ['point_of_sale', 'sale_management', 'sms'],
    # Python packages imported at runtime, by their PyPI names (requirements.txt gives the ranges).
    'external_dependencies': {'python': ['requests', 'urllib3', 'websocket-client', 'phonenumbers']},
    'data': [
        'security/pos_orderweb_security.xml',
        'security/ir.model.access.csv',
        'data/ir_asset.xml',
        'data/ir_cron.xml',
        'data/product_data.xml',
        'data/res_partner_data.xml',
        'views/orderweb_order_views.xml',
        'views/orderweb_product_map_views.xml',
        'views/pos_order_views.xml',
        'views/sale_order_views.xml',
        'report/orderweb_order_report_views.xml',
        'views/menus.xml',
        'views/orderweb_connection_views.xml',
        'views/res_config_settings_views.xml',
    ],
    'post_load': 'post_load',  # installs the log filter of utils.expected_sql_failures
    # No 'assets': the POS screen's files differ by Odoo series, see compat.py POS_ASSETS.
}
