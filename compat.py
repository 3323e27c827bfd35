"""What differs between the Odoo series this addon runs on (18.0, 19.0), in one place.

Models, views and the POS screen use the names defined here; a new series is one more
branch in this file (and, for the POS screen, a folder under ``static/src/``), not a fork.
"""
import contextlib

from odoo import models, release
from odoo.modules import module

SERIES = release.version_info[0]

# The POS order's note from the customer, which its receipt and kitchen ticket print.
POS_ORDER_NOTE = 'general_note' if SERIES < 19 else 'general_customer_note'

# A POS order line's note from the customer, which the orderline and the kitchen ticket show
# (19.0's "note" holds the cashier's internal notes as JSON).
POS_LINE_NOTE = 'note' if SERIES < 19 else 'customer_note'

# A sales order line's taxes.
SALE_LINE_TAXES = 'tax_id' if SERIES < 19 else 'tax_ids'


def pos_reference_values(reference, number):
    """Values by which ``sync_from_ui`` names a POS order: ``reference`` is its receipt number
    (shown and searched); from 19.0 ``number`` is also its tracking number, the one called
    out (18.0 computes it from the session and sequence).

    :return: dict of pos.order values
    """
    if SERIES < 19:
        return {'name': reference}  # 18.0's sync_from_ui makes it the pos_reference
    return {'pos_reference': reference, 'tracking_number': number}


# A contact's phone numbers (19.0 dropped "mobile").
PARTNER_PHONE_FIELDS = ('phone', 'mobile') if SERIES < 19 else ('phone',)

# The POS screen's files of each series (its frontend moved and changed from 18.0 to 19.0),
# by asset bundle: what every series shares (static/src/common, which imports nothing whose
# path differs) and the files of the series. Registered as ir.asset records by the module
# (models/ir_asset.py), as a manifest cannot choose by series. A series without its own files
# gets none: its POS runs without the addon's screen rather than break on another's imports.
POS_ASSETS = {
    series: {
        'point_of_sale._assets_pos': ['pos_orderweb/static/src/common/**/*', f'pos_orderweb/static/src/{series}/**/*'],
        'web.assets_tests': ['pos_orderweb/static/tests/common/**/*', f'pos_orderweb/static/tests/{series}/**/*'],
    }
    for series in (18, 19)
}.get(SERIES, {})


def sql_constraints(**constraints):
    """Class decorator declaring a model's SQL constraints the way its series reads them:
    ``_sql_constraints`` on 18.0, ``models.Constraint`` attributes on 19.0.

    :param constraints: ``name=(definition, message)``, e.g.
        ``company_uniq=('unique(company_id)', "A company has one status.")``
    :return: the decorator
    """
    def decorate(cls):
        if SERIES < 19:
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
    if SERIES < 19:
        return registry.in_test_mode()
    return bool(module.current_test)  # 19.0 patches the registry's cursors instead


def lend_test_lock():
    """Tests: a context in which threads other than the test's own (the runner's) may open the
    test cursor, each holding the test lock only while its cursor is open, as on 18.0; 19.0's
    test holds that lock throughout unless it lends it.

    :return: a context manager
    """
    if SERIES < 19:
        return contextlib.nullcontext()
    from odoo.tests.common import release_test_lock
    return release_test_lock()
