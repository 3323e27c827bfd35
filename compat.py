"""What differs between the Odoo series this addon runs on, in one place: ``SERIES_TABLE``.

The table's keys are the supported series: the code (here), the tools (tools/odoo_env.py,
which reads the table as a literal, without Odoo) and CI (.ci/run, .ci/lint, through
tools/odoo_env.py) all take the list from it. Models, views, tests and the POS screen use the
names defined here; a new series is one more entry in the table (plus its POS screen adapter,
``static/src/<series>/adapter.js``, and its tour steps, ``static/tests/<series>/``), not a fork.
"""
import contextlib

from odoo import models, release
from odoo.modules import module
from odoo.tools import config

# One entry per supported series, literal values only (tools/odoo_env.py reads it with
# ast.literal_eval). Each key is documented once, in the 18 entry.
SERIES_TABLE = {
    18: {
        # Fields. The POS order's note from the customer, which its receipt and kitchen ticket print.
        'pos_order_note': 'general_note',
        # A POS order line's note from the customer, which the orderline and the kitchen ticket show.
        'pos_line_note': 'note',
        # A sales order line's taxes.
        'sale_line_taxes': 'tax_id',
        # A contact's phone numbers.
        'partner_phone_fields': ('phone', 'mobile'),
        # The fields sync_from_ui names a POS order by: its receipt number (shown and searched) and
        # the tracking number called out (None: the series computes it from session and sequence).
        'pos_reference_field': 'name',
        'pos_tracking_field': None,
        # The models pos.order.read_pos_data answers for (models/pos_order.py): each is in its answer.
        'read_pos_data_models': ('pos.order', 'pos.session', 'pos.payment', 'pos.order.line',
                                 'pos.pack.operation.lot', 'product.attribute.custom.value'),
        # Switches. SQL constraints as a _sql_constraints list (else models.Constraint attributes).
        'sql_constraints_list': True,
        # The server's list options (db_name, addons_path) are comma-separated text (else lists).
        'config_lists': False,
        # Tests share one cursor through the registry's test mode (else module.current_test, the
        # registry's cursors patched per test class, the test lock held unless lent).
        'registry_test_mode': True,
        # Tools (tools/odoo_env.py): what a new database's demo data takes, with or without it.
        'demo_data_options': (),
        'no_demo_data_options': ('--without-demo=all',),
        # Tests. The queries of one returning customer's import, of a batch of 20 new customers'
        # and of 20 returning customers' (tests/test_import_cost.py; sync_from_ui differs by series).
        'import_queries': 63,
        'batch_new_customers_queries': 448,
        'batch_queries': 419,
    },
    19: {
        'pos_order_note': 'general_customer_note',
        # ("note" holds the cashier's internal notes as JSON)
        'pos_line_note': 'customer_note',
        'sale_line_taxes': 'tax_ids',
        'partner_phone_fields': ('phone',),  # "mobile" is gone
        'pos_reference_field': 'pos_reference',
        'pos_tracking_field': 'tracking_number',
        'read_pos_data_models': ('pos.order', 'pos.session', 'pos.payment', 'pos.order.line',
                                 'pos.pack.operation.lot', 'product.attribute.custom.value', 'account.move'),
        'sql_constraints_list': False,
        'config_lists': True,
        'registry_test_mode': False,
        'demo_data_options': ('--with-demo',),
        'no_demo_data_options': (),
        'import_queries': 70,
        'batch_new_customers_queries': 370,
        'batch_queries': 361,
    },
}

SERIES = release.version_info[0]
# The running series' entry. A series not in the table reads the newest entry (the nearest
# guess, as a newer series mostly keeps the last one's names) and gets no POS screen (POS_ASSETS).
SERIES_INFO = SERIES_TABLE.get(SERIES) or SERIES_TABLE[max(SERIES_TABLE)]

POS_ORDER_NOTE = SERIES_INFO['pos_order_note']
POS_LINE_NOTE = SERIES_INFO['pos_line_note']
SALE_LINE_TAXES = SERIES_INFO['sale_line_taxes']
PARTNER_PHONE_FIELDS = SERIES_INFO['partner_phone_fields']
READ_POS_DATA_MODELS = SERIES_INFO['read_pos_data_models']

# The POS screen's files of each series (its frontend moved and changed from 18.0 to 19.0),
# by asset bundle: what every series shares (static/src/common, which imports the series'
# names from its adapter, ``@pos_orderweb/adapter``) and the series' own folder (the adapter,
# and templates whose parents differ). Registered as ir.asset records by the module
# (models/ir_asset.py), as a manifest cannot choose by series. A series without its own entry
# gets none: its POS runs without the addon's screen rather than break on another's imports.
POS_ASSETS = {
    'point_of_sale._assets_pos': ['pos_orderweb/static/src/common/**/*', f'pos_orderweb/static/src/{SERIES}/**/*'],
    'web.assets_tests': ['pos_orderweb/static/tests/common/**/*', f'pos_orderweb/static/tests/{SERIES}/**/*'],
} if SERIES in SERIES_TABLE else {}


def pos_reference_values(reference, number):
    """Values by which ``sync_from_ui`` names a POS order: ``reference`` is its receipt number
    (shown and searched); where the series has a tracking field, ``number`` is also its tracking
    number, the one called out.

    :return: dict of pos.order values
    """
    values = {SERIES_INFO['pos_reference_field']: reference}
    if SERIES_INFO['pos_tracking_field']:
        values[SERIES_INFO['pos_tracking_field']] = number
    return values


def config_list(name):
    """A list option of the server's configuration (``db_name``, ``addons_path``) as a list,
    whichever form the series keeps it in.

    :param name: the option's name
    :return: list of str
    """
    value = config[name]
    if SERIES_INFO['config_lists']:
        return list(value)
    return [item for item in (value or '').split(',') if item]


def server_db_names():
    """The databases the server was told to serve (``-d``/``db_name``), as its cron workers read
    them; empty when it serves every database.

    :return: list of database names
    """
    return config_list('db_name')


def sql_constraints(**constraints):
    """Class decorator declaring a model's SQL constraints the way its series reads them:
    a ``_sql_constraints`` list or ``models.Constraint`` attributes.

    :param constraints: ``name=(definition, message)``, e.g.
        ``company_uniq=('unique(company_id)', "A company has one status.")``
    :return: the decorator
    """
    def decorate(cls):
        if SERIES_INFO['sql_constraints_list']:
            cls._sql_constraints = [*getattr(cls, '_sql_constraints', []), *(
                (name, definition, message) for name, (definition, message) in constraints.items())]
        else:
            for name, (definition, message) in constraints.items():
                constraint = models.Constraint(definition, message)
                setattr(cls, '_' + name, constraint)
                constraint.__set_name__(cls, '_' + name)  # as if written in the class body
        return cls
    return decorate


def in_test_mode(registry):
    """Whether Odoo's tests run, all cursors sharing the test's one (no extra threads then).

    :param registry: the database's registry
    :return: bool
    """
    if SERIES_INFO['registry_test_mode']:
        return registry.in_test_mode()
    return bool(module.current_test)  # the registry's cursors are patched instead


def lend_test_lock():
    """Tests: a context in which threads other than the test's own (the runner's) may open the
    test cursor, each holding the test lock only while its cursor is open, as with the
    registry's test mode; otherwise the test holds that lock throughout unless it lends it.

    :return: a context manager
    """
    if SERIES_INFO['registry_test_mode']:
        return contextlib.nullcontext()
    from odoo.tests.common import release_test_lock
    return release_test_lock()
