from odoo import models
from odoo.tools import SQL, create_index

from ..compat import PARTNER_PHONE_FIELDS as PHONE_FIELDS
from ..const import PHONE_MATCH_DIGITS


def _phone_tail(column):
    """SQL of the last PHONE_MATCH_DIGITS digits of ``column``, the same where indexed and searched."""
    return rf"right(regexp_replace(({column})::text, '\D', '', 'g'), {PHONE_MATCH_DIGITS})"


def phone_tail_match(tails):
    """SQL condition: the contact's phone or mobile ends with one of the digit strings ``tails``."""
    return SQL(" OR ").join(
        SQL(f"({column} IS NOT NULL AND {_phone_tail(column)} = ANY(%s))", list(tails)) for column in PHONE_FIELDS)


class ResPartner(models.Model):
    _inherit = 'res.partner'

    def init(self):  # Model.init() returns nothing  # pylint: disable=missing-return
        super().init()
        # Odoo's own phone search reads every contact's number for a run of digits (its trigram
        # index hardly narrows digits): an import looks its customer up by the number's last
        # digits instead, through these indexes, whatever way the number was written.
        for column in PHONE_FIELDS:
            create_index(self.env.cr, f'res_partner_{column}_orderweb_tail_index', self._table,
                         [_phone_tail(column)], where=f'{column} IS NOT NULL')

    def _orderweb_search_phone_tails(self, numbers):
        """Ids of the contacts whose phone or mobile ends with the last digits of one of
        ``numbers`` (digits only; candidates: the caller compares the parsed numbers)."""
        self.flush_model(PHONE_FIELDS)
        self.env.cr.execute(SQL("SELECT id FROM res_partner WHERE %s", phone_tail_match(
            {number[-PHONE_MATCH_DIGITS:] for number in numbers})))
        return [partner_id for (partner_id,) in self.env.cr.fetchall()]
