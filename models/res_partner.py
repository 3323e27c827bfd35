import logging
import re
from collections import defaultdict

import phonenumbers
import psycopg2

from odoo import api, models
from odoo.tools import SQL, create_index, email_normalize, escape_psql

from ..compat import PARTNER_PHONE_FIELDS as PHONE_FIELDS
from ..const import PHONE_MATCH_DIGITS
from ..utils import error_summary, expected_sql_failures, is_outage

_logger = logging.getLogger(__name__)

# The ways a customer is told apart, in the order they are tried: an identity is a tuple of these.
IDENTITY_KINDS = ('phone', 'email', 'name')


def _phone_tail(column):
    """SQL of the last PHONE_MATCH_DIGITS digits of ``column``, the same where indexed and searched."""
    return rf"right(regexp_replace(({column})::text, '\D', '', 'g'), {PHONE_MATCH_DIGITS})"


def phone_tail_match(tails):
    """SQL condition: the contact's phone or mobile ends with one of the digit strings ``tails``."""
    return SQL(" OR ").join(
        SQL(f"({column} IS NOT NULL AND {_phone_tail(column)} = ANY(%s))", list(tails)) for column in PHONE_FIELDS)


def phone_key(number, region):
    """``number`` in E.164 (+447700900777) as written in ``region``, valid or not (reserved
    and new ranges are real customers' numbers too); else its digits.

    :return: str, or None for a number without digits
    """
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, region or None),
                                          phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return re.sub(r'\D', '', number) or None


def _casefold(kind, value):
    """``value`` as customers are told apart by ``kind``: a name in any case is the same name."""
    return value.casefold() if kind == 'name' else value


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

    # ------------------------------------------------------------------
    # The customer of an OrderWeb order: found by phone, else e-mail, else name; else made
    # ------------------------------------------------------------------

    @api.model
    def _orderweb_customer(self, company, orderweb_order):
        """The customer of ``orderweb_order``: same phone number, else same e-mail, else a new contact.

        A name alone only finds a contact without phone or e-mail of its own: a namesake
        who has them is another person. Imports of one new customer's orders running at
        once (cron and listener) make one contact, not two: see ``_orderweb_lock_customers``.

        :param orderweb_order: an ``orderweb.order.Order``
        :return: the contact, or an empty recordset for an order without customer details
        :raise psycopg2.errors.SerializationFailure: a concurrent import just made this
            customer: the order is imported again in a fresh transaction, which sees it
        """
        identity = self._orderweb_identity(company, orderweb_order)
        if not identity:
            return self.browse()
        partner = self._orderweb_match(company, [identity]).get(identity)
        if partner:
            return partner
        # Only making a contact needs the lock. This transaction reads a snapshot older than
        # the lock: an import that created this customer and committed meanwhile is invisible
        # here. A fresh read tells.
        self._orderweb_lock_customers(company, [identity])
        if self._orderweb_just_made(company, [identity]):
            raise psycopg2.errors.SerializationFailure("An OrderWeb customer was just created by a concurrent import")
        return self._orderweb_create_customers(company, {identity: orderweb_order})

    @api.model
    def _orderweb_customers(self, company, orderweb_orders):
        """Find or make at once the customers of a batch of OrderWeb orders: one lock, a few
        searches and one ``create()``, with exactly the contacts that the same orders one by
        one (``_orderweb_customer``) would make.

        One by one, an order finds its customer by phone, else e-mail, else a name alone among
        the contacts, the ones made by the orders before it included: so each order's new
        contact is only decided after the orders before it, in the batch's order. An order
        whose new customer was just made by a concurrent import is left to its own lookup;
        so are all of them if the contacts cannot be made together (one bad contact then
        fails alone, in its order's savepoint).

        :param orderweb_orders: {key: ``orderweb.order.Order``}, in the batch's order
        :return: {key: contact} of the orders whose customer was found or made
        """
        identities = {}  # key -> identity
        first_orders = {}  # identity -> the first of its orders, whose details a new contact takes
        for key, orderweb_order in orderweb_orders.items():
            identity = self._orderweb_identity(company, orderweb_order)
            if identity and any(identity):  # a blank name alone makes a contact per order
                identities[key] = identity
                first_orders.setdefault(identity, orderweb_order)
        if not identities:
            return {}
        # Each way of finding a customer, asked of the database apart: one by one, a phone
        # found among the new contacts wins over an e-mail found among the old ones.
        probes = {(kind, value): tuple(value if index == position else None for index in range(len(IDENTITY_KINDS)))
                  for identity in identities.values()
                  for position, (kind, value) in enumerate(zip(IDENTITY_KINDS, identity, strict=True))
                  if value}
        found = self._orderweb_match(company, set(probes.values()))
        made = {}  # (kind, value) -> identity of the new contact found that way
        customer_of = {}  # key -> contact (found) or identity (to make)
        for key, (phone, email, name) in identities.items():
            ways = [(kind, value) for kind, value in (
                ('phone', phone if self._orderweb_searchable_phone(phone) else None),
                ('email', email), ('name', name)) if value]
            customer = None
            for kind, value in ways:
                customer = found.get(probes[kind, value]) or made.get((kind, _casefold(kind, value)))
                if customer:
                    break
            else:
                customer = (phone, email, name)
                for kind, value in ways:
                    made.setdefault((kind, _casefold(kind, value)), customer)
            customer_of[key] = customer
        new_identities = {customer for customer in customer_of.values() if isinstance(customer, tuple)}
        if not new_identities:
            return customer_of  # all returning: nothing to make, no lock
        # Only making contacts needs the lock; made by an import that committed after this
        # transaction's snapshot (taken before the lock), they are theirs to make.
        self._orderweb_lock_customers(company, new_identities)
        just_made = set(self._orderweb_just_made(company, list(new_identities)))
        to_make = {identity: first_orders[identity] for identity in new_identities - just_made}
        contacts = {}
        if to_make:
            try:
                with expected_sql_failures(), self.env.cr.savepoint():
                    contacts = dict(zip(to_make, self._orderweb_create_customers(company, to_make), strict=True))
            except Exception as error:
                if is_outage(error):
                    raise
                _logger.info("OrderWeb customers of %s made one by one: %s", company.name, error_summary(error))
        return {key: contacts[customer] if isinstance(customer, tuple) else customer
                for key, customer in customer_of.items()
                if not isinstance(customer, tuple) or customer in contacts}

    @api.model
    def _orderweb_identity(self, company, orderweb_order):
        """(phone key, normalised e-mail, name) by which the customer of ``orderweb_order`` is
        found: the name only counts without phone and e-mail. None without any of them."""
        if not (orderweb_order.customer_name or orderweb_order.customer_phone or orderweb_order.customer_email):
            return None
        phone = orderweb_order.customer_phone and phone_key(orderweb_order.customer_phone,
                                                            self._orderweb_region(company))
        email = orderweb_order.customer_email and email_normalize(orderweb_order.customer_email)
        name = None if phone or email else (orderweb_order.customer_name or '').strip()
        return (phone or None, email or None, name or None)

    @api.model
    def _orderweb_region(self, company):
        """The region a number without country code is read in: the company's country, read
        from its contact (``company.country_id`` recomputes the company's whole address)."""
        return company.partner_id.country_id.code

    @api.model
    def _orderweb_searchable_phone(self, phone):
        return bool(phone) and len(re.sub(r'\D', '', phone)) >= self._phone_search_min_length

    @api.model
    def _orderweb_just_made(self, company, identities):
        """Those of ``identities`` that another import made and committed since this
        transaction's snapshot: read through a cursor of its own, the only way to see them.

        :return: list of identities
        """
        if not identities:
            return []
        with self.env.registry.cursor() as cr:
            fresh = self.with_env(self.env(cr=cr))
            return list(fresh._orderweb_match(company.with_env(fresh.env), identities))

    @api.model
    def _orderweb_create_customers(self, company, orderweb_orders):
        """New contacts, one per identity of ``orderweb_orders`` ({identity: OrderWeb order})."""
        # No creation message or follower, as Odoo's own imports: the contact's orders say where it came from.
        return self.with_company(company).with_context(tracking_disable=True).create([{
            'company_id': company.id,
            'name': orderweb_order.customer_name or orderweb_order.customer_phone or orderweb_order.customer_email,
            'phone': phone if phone and phone.startswith('+') else orderweb_order.customer_phone,
            'email': orderweb_order.customer_email,
        } for (phone, _email, _name), orderweb_order in orderweb_orders.items()])

    @api.model
    def _orderweb_lock_customers(self, company, identities):
        """Hold, until this transaction ends, the customer ``identities`` of ``company`` (in a
        fixed order, so that two imports never wait for each other crosswise)."""
        keys = sorted({
            f'pos_orderweb.customer:{company.id}:{kind}:{_casefold(kind, value)}'
            for identity in identities
            for kind, value in zip(IDENTITY_KINDS, identity, strict=True) if value})
        self.env.cr.execute("SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(%s::text[]) AS key",
                            [keys])

    @api.model
    def _orderweb_match(self, company, identities):
        """For each of ``identities`` found, the oldest contact of ``company`` with its phone
        key, else its e-mail, else its name and without phone or e-mail: a few searches for
        all of them.

        :return: {identity: contact}
        """
        Partner = self.with_company(company)
        company_domain = Partner._check_company_domain(company)
        found = {}
        by_phone = defaultdict(list)
        for identity in identities:
            if self._orderweb_searchable_phone(identity[0]):
                by_phone[identity[0]].append(identity)
        if by_phone:
            # Candidates share a number's last digits (an indexed search); the parsed numbers decide.
            candidate_ids = Partner._orderweb_search_phone_tails([re.sub(r'\D', '', phone) for phone in by_phone])
            for partner in Partner.search([('id', 'in', candidate_ids), *company_domain], order='id'):
                region = partner.country_id.code or self._orderweb_region(company)
                for number in filter(None, (partner[field_name] for field_name in PHONE_FIELDS)):
                    for identity in by_phone.get(phone_key(number, region), ()):
                        found.setdefault(identity, partner)
        by_email = defaultdict(list)
        for identity in identities:
            if identity not in found and identity[1]:
                by_email[identity[1]].append(identity)
        if by_email:
            for partner in Partner.search([('email_normalized', 'in', list(by_email)), *company_domain], order='id'):
                for identity in by_email.get(partner.email_normalized, ()):
                    found.setdefault(identity, partner)
        for identity in identities:
            name = identity[2]
            if identity not in found and name:
                partner = Partner.search([
                    ('name', '=ilike', escape_psql(name)), ('email', '=', False), *company_domain,
                    *((field_name, '=', False) for field_name in PHONE_FIELDS),
                ], order='id', limit=1)
                if partner:
                    found[identity] = partner
        return found

    def _orderweb_search_phone_tails(self, numbers):
        """Ids of the contacts whose phone or mobile ends with the last digits of one of
        ``numbers`` (digits only; candidates: the caller compares the parsed numbers)."""
        self.flush_model(PHONE_FIELDS)
        self.env.cr.execute(SQL("SELECT id FROM res_partner WHERE %s", phone_tail_match(
            {number[-PHONE_MATCH_DIGITS:] for number in numbers})))
        return [partner_id for (partner_id,) in self.env.cr.fetchall()]
