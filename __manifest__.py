{
    'name': 'OrderWeb Online Orders for Point of Sale',
    'version': '18.0.1.0.0',
    'category': 'Sales/Point of Sale',
    'summary': 'Receive OrderWeb online orders live in your POS and Sales, exactly once',
    'description': """
Brings every online order placed on OrderWeb into Odoo, live over OrderWeb's WebSocket
and from its pull endpoint as a backup: as a POS order in the open session of your shop
(the cashier is alerted, the kitchen gets its ticket) or as a sales order.
""",
    'author': 'pos_orderweb',
    'license': 'LGPL-3',
    'depends': ['point_of_sale', 'sale_management', 'sms'],
    'external_dependencies': {'python': ['websocket-client', 'requests']},
    'data': [
        'security/pos_orderweb_security.xml',
        'security/ir.model.access.csv',
        'data/ir_cron.xml',
        'data/product_data.xml',
        'views/orderweb_order_views.xml',
        'views/orderweb_product_map_views.xml',
        'views/pos_order_views.xml',
        'views/sale_order_views.xml',
        'report/orderweb_order_report_views.xml',
        'views/menus.xml',
        'security/orderweb_connection_security.xml',
        'views/orderweb_connection_views.xml',
        'views/res_config_settings_views.xml',
        'views/pos_config_views.xml',
    ],
    'assets': {
        'point_of_sale._assets_pos': [
            'pos_orderweb/static/src/**/*',
        ],
        'web.assets_tests': [
            'pos_orderweb/static/tests/tours/**/*',
        ],
    },
    'installable': True,
    'application': False,
}
