import hashlib
import json
import logging
import reprlib

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..compat import sql_constraints
from ..const import (
    MAX_PAYLOAD_LENGTH,
    ONLINE_ORDER_CHANNELS,
    ONLINE_ORDER_STATES,
    ORDERWEB_TARGETS,
    PAYLOAD_DISPLAY_MAX_DEPTH,
    PAYLOAD_DISPLAY_MAX_LENGTH,
)
from ..orderweb.const import MAX_ID_LENGTH
from ..orderweb.order import PayloadError, read_order
from ..orderweb.utils import is_storable_text, json_text, pretty_json, storable_text
from ..prepared import ImportWaits, PreparedOrder, line_sources, prepared_lines
from ..service import importer
from ..utils import TRANSIENT_ERRORS, error_summary, expected_sql_failures, is_outage, translated
from .orderweb_origin_mixin import IMPORT_TOKEN

_logger = logging.getLogger(__name__)


@sql_constraints(
    orderweb_company_uniq=(
        'unique(orderweb_id, company_id)',
        "This OrderWeb order was already received by this company."),
)
class OrderWebOrder(models.Model):
    """An online order: an order as OrderWeb sent it (its payload), and what became of it in Odoo.

    It is **received** by the live listener (``channel`` push) or the pull (``channel`` pull),
    **stored** first, verbatim, one record per OrderWeb order and company (the same order
    again, from either channel, is the same record), then **imported**: its payload read
    once into an *OrderWeb order* (``orderweb.order.Order``), resolved once
    (``prepared.PreparedOrder``: plain values, customer, products, prices) and made into the
    target of the company's settings, a ``pos.order`` or a ``sale.order``, which tells its
    own users (the POS screens ring). The flow: frame (the listener decodes and parses it,
    the order is stored with that parse) → stored payload (the truth) → parsed once by the
    import → target values → the target's notification. ``service/importer.py`` gives
    storing and importing their transactions; the methods here run in the one they are given.

    ``state`` says where it stands: *received* (to import), *waiting* (for a POS session
    to open: imported when one does), *done* (imported), *error* (with its reason).
    A payload that cannot even be stored as usual is **set aside**: kept in error with its
    raw text only, never imported. Orders in error are retried by the import cron, at most
    ``MAX_AUTO_ATTEMPTS`` times; a POS manager's Retry has no limit.
    """
    _name = 'orderweb.order'
    _description = "OrderWeb Online Order"
    _inherit = ['mail.thread']
    _order = 'received_at desc, id desc'
    _check_company_auto = True

    name = fields.Char(string="Order Number", required=True, readonly=True)
    orderweb_id = fields.Char(string="OrderWeb ID", required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        'res.company', required=True, readonly=True, index=True,
        default=lambda self: self.env.company)
    payload = fields.Text(string="Raw Payload", required=True, readonly=True,
                          help="The order exactly as OrderWeb sent it.")
    payload_display = fields.Text(string="Payload", compute='_compute_payload_display')
    state = fields.Selection(ONLINE_ORDER_STATES, string="Status", required=True, readonly=True,
                             default='received', index=True, tracking=True)
    error = fields.Text(string="Reason", readonly=True, tracking=True)
    set_aside = fields.Boolean(
        readonly=True,
        help="The order could not be stored as usual: its raw text is kept here, it is not imported.")
    channel = fields.Selection(ONLINE_ORDER_CHANNELS, string="Arrived By", required=True, readonly=True)
    created_at = fields.Datetime(string="Created on OrderWeb", readonly=True,
                                 help="When the customer placed the order, as OrderWeb says.")
    received_at = fields.Datetime(string="Received", required=True, readonly=True, default=fields.Datetime.now)
    imported_at = fields.Datetime(readonly=True)
    attempt_count = fields.Integer(string="Import Tries", readonly=True)
    # What the list shows of the payload, read once when it is stored.
    customer_name = fields.Char(string="Customer", readonly=True)
    customer_phone = fields.Char(string="Phone", readonly=True)
    order_type = fields.Char(string="Type Sent", readonly=True)
    order_type_label = fields.Char(string="Type", compute='_compute_order_type_label')
    scheduled_for = fields.Datetime(readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    amount_total = fields.Monetary(string="Total", readonly=True)
    pos_order_id = fields.Many2one('pos.order', string="POS Order", readonly=True, index='btree_not_null')
    # The rest of its evening, as the POS screens moved it (see pos.order).
    accepted_at = fields.Datetime(related='pos_order_id.orderweb_accepted_at')
    sent_at = fields.Datetime(related='pos_order_id.orderweb_sent_at')
    ready_at = fields.Datetime(related='pos_order_id.orderweb_ready_at')
    done_at = fields.Datetime(related='pos_order_id.orderweb_done_at')
    sale_order_id = fields.Many2one('sale.order', string="Sales Order", readonly=True, index='btree_not_null')
    # What the import learned: what the kitchen must look at, whether its time is trusted, and
    # the items that fell back to a placeholder product.
    flags = fields.Text(
        readonly=True, copy=False,
        help="What the kitchen must look at before cooking it (allergies, unavailable products, prices), "
             "one per line. Flags never stop the import.")
    # Computed before the row is inserted: no UPDATE right after every stored payload's INSERT.
    flagged = fields.Boolean(compute='_compute_flagged', store=True, precompute=True)
    schedule_note = fields.Char(readonly=True, copy=False)
    unmapped_item_ids = fields.Many2many(
        'orderweb.product.map', string="Items Imported as Placeholders", readonly=True, copy=False,
        help="Map them to products so that the next orders get the right ones.")

    @api.depends('order_type')
    @api.depends_context('lang')
    def _compute_order_type_label(self):
        # The one wording of the platform's types, read by the backend and the POS screens alike
        # ("Pickup", not "pickup"); a type this addon does not know reads as sent.
        labels = {'pickup': self.env._("Pickup"), 'delivery': self.env._("Delivery")}
        for online_order in self:
            online_order.order_type_label = labels.get(online_order.order_type, online_order.order_type or False)

    def _orderweb_as_import(self):
        """These online orders in the import's own environment, which alone writes them."""
        return self.with_context(orderweb_origin_writer=IMPORT_TOKEN)

    def write(self, vals):
        # What OrderWeb sent, and what the import made of it, is written by the import only (its
        # own context, or the superuser): no person rewrites an order, a POS manager included.
        # What a person may write (followers, their own messages) is the chatter's.
        if not (self.env.su or self.env.context.get('orderweb_origin_writer') is IMPORT_TOKEN):
            fixed = sorted(set(vals) - set(self.env['mail.thread']._fields))
            if fixed:
                raise AccessError(_("Online orders keep what OrderWeb sent and what the import made of it: "
                                    "%(fields)s cannot be changed.",
                                    fields=", ".join(self._fields[name].string if name in self._fields else name
                                                     for name in fixed)))
        return super().write(vals)

    @api.depends('flags')
    def _compute_flagged(self):
        for online_order in self:
            online_order.flagged = bool(online_order.flags)

    @api.depends('payload')
    def _compute_payload_display(self):
        for record in self:
            text = payload = record.payload or ''
            notes = []
            if len(payload) <= PAYLOAD_DISPLAY_MAX_LENGTH:
                try:
                    text, cut = pretty_json(json.loads(payload), PAYLOAD_DISPLAY_MAX_DEPTH)
                except RecursionError:
                    notes.append(_("… nested too deeply to be laid out, shown as received"))
                except ValueError:  # pylint: disable=except-pass
                    pass  # not JSON (an order set aside as Python shows it): shown as stored
                else:
                    if cut:
                        notes.append(_("… nested deeper than %(depth)s levels, shown as […] and {…}",
                                       depth=PAYLOAD_DISPLAY_MAX_DEPTH))
            if len(text) > PAYLOAD_DISPLAY_MAX_LENGTH:
                notes.append(_("… truncated, %(count)s characters more", count=len(text) - PAYLOAD_DISPLAY_MAX_LENGTH))
                text = text[:PAYLOAD_DISPLAY_MAX_LENGTH]
            record.payload_display = "\n".join([text, *notes])


    # ------------------------------------------------------------------
    # Store: the payload first, verbatim
    # ------------------------------------------------------------------

    @api.model
    def _store(self, company, raw_orders, channel, parsed=None):
        """Store the raw orders, all at once when none stands in the way, else each in its own
        savepoint: one order can never block another.

        An order that cannot be stored as usual is set aside; only a database failure raises.

        :param raw_orders: the orders as decoded from the wire
        :param channel: 'push' or 'pull'
        :param parsed: the ``orderweb.order.Order`` of each raw order, when the caller parsed
            them already (the listener): not parsed again to be stored
        :return: the online orders (new or already stored)
        """
        parsed = parsed or [None] * len(raw_orders)
        if len(raw_orders) > 1:
            try:
                with expected_sql_failures(), self.env.cr.savepoint():
                    return self._store_at_once(company, raw_orders, channel, parsed)
            except Exception as error:
                if is_outage(error):
                    raise
                # One of them cannot be stored as usual, or another transaction stored one meanwhile:
                # one by one then, so that only that one is set aside or left to its owner.
        online_orders = self.browse()
        for raw, orderweb_order in zip(raw_orders, parsed, strict=True):
            try:
                with expected_sql_failures(), self.env.cr.savepoint():
                    online_order = self._store_one(company, raw, channel, orderweb_order)
            except psycopg2.errors.UniqueViolation:
                # Another transaction stored it first and owns it; this snapshot may not even see it.
                continue
            except Exception as error:
                if is_outage(error):
                    raise
                online_order = self._set_aside(company, raw, channel, error)
            online_orders |= online_order
        return online_orders

    @api.model
    def _store_at_once(self, company, raw_orders, channel, parsed):
        """Store the raw orders not stored yet in one ``create()``, the other copies (a resend,
        the other channel, a second copy in this lot) as ``_store_copy`` does, with one
        search for all. Raises if any fails."""
        vals_list = [self._prepare_values(company, raw, channel, orderweb_order)
                     for raw, orderweb_order in zip(raw_orders, parsed, strict=True)]
        stored = {online_order.orderweb_id: online_order for online_order in self.search([
            ('orderweb_id', 'in', [vals['orderweb_id'] for vals in vals_list]), ('company_id', '=', company.id)])}
        new = {}
        for vals in vals_list:
            if vals['orderweb_id'] not in stored:
                new.setdefault(vals['orderweb_id'], vals)
        # The chatter starts with what happens to the order, not its creation.
        stored.update(zip(new, self.with_context(tracking_disable=True).create(list(new.values())), strict=True))
        online_orders = self.browse()
        for vals in vals_list:
            online_order = stored[vals['orderweb_id']]
            if vals is not new.get(vals['orderweb_id']):
                online_order._store_copy(vals)
            online_orders |= online_order
        return online_orders

    @api.model
    def _store_one(self, company, raw, channel, orderweb_order=None):
        vals = self._prepare_values(company, raw, channel, orderweb_order)
        online_order = self.search(
            [('orderweb_id', '=', vals['orderweb_id']), ('company_id', '=', company.id)], limit=1)
        if not online_order:
            # The chatter starts with what happens to the order, not its creation.
            return self.with_context(tracking_disable=True).create(vals)
        online_order._store_copy(vals)
        return online_order

    def _store_copy(self, vals):
        """Another copy (``vals``) of this stored online order."""
        if self.state == 'error' and vals.get('state') != 'error' and not self._is_readable():
            # A readable copy (the other channel, a resend) replaces an unreadable one. Once: a
            # readable record is never replaced, so an order that fails to import is not reset by
            # every pull; the cron's bounded retries and Retry handle it.
            self._orderweb_as_import().write({**vals, 'state': 'received', 'error': False})

    @api.model
    def _store_unread(self, company, raw, channel, error):
        """Store an order the listener or the pull could not read, in error with their reason
        (``error``, a PayloadError): for an oversized frame ``raw`` is only a summary, whose
        own reading would not say why."""
        records = self._store(company, [raw], channel)
        try:
            payload = json_text(raw)
        except (TypeError, ValueError):  # set aside then, with its own reason
            return records
        unread = records.filtered(lambda online_order: (
            online_order.state == 'error' and not online_order.set_aside and online_order.payload == payload))
        # Part of storing it, not a change of the order: no chatter line.
        unread._orderweb_as_import().with_context(tracking_disable=True).write({'error': self._unreadable(error)})
        return records

    @api.model
    def _set_aside(self, company, raw, channel, error):
        """Keep an order that could not be stored as usual: in error, with its raw text only,
        keyed by the hash of that text (the same order again is the same record)."""
        try:
            payload = json_text(raw)
        except (TypeError, ValueError):  # not JSON (e.g. an integer of 5000 digits): what Python shows of it
            payload = storable_text(reprlib.repr(raw))
        orderweb_id = 'aside-' + hashlib.sha256(payload.encode()).hexdigest()[:32]
        _logger.error("OrderWeb order for %s set aside as %s: it could not be stored (%s)",
                      company.name, orderweb_id, error_summary(error))
        try:
            with expected_sql_failures(), self.env.cr.savepoint():
                return self.search([('orderweb_id', '=', orderweb_id),
                                    ('company_id', '=', company.id)]) or self.with_context(
                    tracking_disable=True).create({
                    'company_id': company.id,
                    'channel': channel,
                    'payload': payload,
                    'orderweb_id': orderweb_id,
                    'name': _("Set aside order"),
                    'state': 'error',
                    'set_aside': True,
                    'error': _("This order could not be stored as received and was set aside: %(error)s. "
                               "Its raw text is kept here; it is not imported.",
                               error=storable_text(str(error))[:1000]),
                })
        except Exception as second:
            if is_outage(second):
                raise
            # Not its text (customers' details stay out of logs): OrderWeb still lists a confirmed
            # order, and the next pull tries again.
            _logger.critical("OrderWeb order for %s could not even be set aside as %s (%s), %s characters",
                             company.name, orderweb_id, error_summary(second), len(payload))
            return self.browse()

    @api.model
    def _prepare_values(self, company, raw, channel, orderweb_order=None):
        """:param orderweb_order: ``raw`` as the caller parsed it, else parsed here"""
        payload = json_text(raw)
        vals = {
            'company_id': company.id,
            'channel': channel,
            'payload': payload,
        }
        try:
            if orderweb_order is None or len(payload) > MAX_PAYLOAD_LENGTH:
                orderweb_order = self._read(payload, raw)
        except PayloadError as error:
            raw_id = raw.get('orderId' if 'orderId' in raw else 'id') if isinstance(raw, dict) else None
            raw_number = raw.get('orderNumber') if isinstance(raw, dict) else None
            # The id where and as the parser reads it (so that a readable copy finds this record),
            # if it is one: text or integer, not too long, and storable as it is.
            raw_id = str(raw_id).strip() if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else ''
            valid_id = 0 < len(raw_id) <= MAX_ID_LENGTH and is_storable_text(raw_id)
            number = storable_text(str(raw_number))[:64].strip() if isinstance(raw_number, (str, int)) else None
            return {
                **vals,
                # Without a usable id, the payload itself is the key: the same bad payload is stored once.
                'orderweb_id': raw_id if valid_id else 'invalid-' + hashlib.sha256(payload.encode()).hexdigest()[:32],
                'name': number or _("Unreadable order"),
                'state': 'error',
                'error': self._unreadable(error),
            }
        return {
            **vals,
            'orderweb_id': orderweb_order.order_id,
            'name': orderweb_order.number or orderweb_order.order_id,
            'customer_name': orderweb_order.customer_name,
            'customer_phone': orderweb_order.customer_phone,
            'order_type': orderweb_order.order_type,
            'scheduled_for': orderweb_order.scheduled_for and orderweb_order.scheduled_for.replace(tzinfo=None),
            'created_at': orderweb_order.created_at and orderweb_order.created_at.replace(tzinfo=None),
            'amount_total': float(
                orderweb_order.total if orderweb_order.total is not None else orderweb_order.items_total),
            # Not stored (related): the currency the total is rounded in, given rather than
            # derived again from the company on every insert.
            'currency_id': company.currency_id.id,
        }

    @api.model
    def _read(self, payload, raw=None):
        """The OrderWeb order stored as ``payload`` (``raw`` when already decoded).

        :return: an ``orderweb.order.Order``
        :raise PayloadError: it is not one to import
        """
        return read_order(payload, raw, MAX_PAYLOAD_LENGTH)

    @api.model
    def _unreadable(self, error):
        """Why an OrderWeb order cannot be read (``error``, a PayloadError), in the user's language."""
        return storable_text(_("OrderWeb sent an order that cannot be read: its field “%(field)s” %(reason)s.",
                               field=error.field, reason=translated(self.env, error)))

    def _is_readable(self):
        self.ensure_one()
        try:
            self._read(self.payload)
        except PayloadError:
            return False
        return True


    # ------------------------------------------------------------------
    # Import: each online order becomes its target (pos.order or sale.order)
    # ------------------------------------------------------------------

    def _import(self):
        """Import each online order; a failure leaves it in error with its reason.

        The orders are locked first, in this transaction: orders another process is importing
        (it holds their lock) are left to it, and what became of each order is written under
        its lock, which no savepoint rolled back can release. Each order is imported in a
        savepoint: one that fails, even on a conflict, undoes only its own work. The targets
        made are handed to their model at the end (``_orderweb_imported``), which tells its
        users of them all at once (the POS screens ring once per shop and batch).

        :return: the online orders that met a concurrent update, left as they were: the
            caller imports them again in a fresh transaction
        :raise TRANSIENT_ERRORS: one of them changed since this transaction began (repeatable
            read): the caller imports them all again in a fresh transaction
        """
        conflicted = self.browse()
        targets = {}  # model -> the records made
        self.env.cr.execute(
            "SELECT id FROM orderweb_order WHERE id = ANY(%s) AND state != 'done' FOR NO KEY UPDATE SKIP LOCKED",
            [self.ids], log_exceptions=False)
        locked_ids = {online_order_id for (online_order_id,) in self.env.cr.fetchall()}
        locked = self.filtered(lambda online_order: online_order.id in locked_ids)
        read = {}  # online order -> its OrderWeb order, or why it cannot be read
        for online_order in locked:
            try:
                read[online_order] = online_order._read(online_order.payload)
            except PayloadError as error:
                read[online_order] = error
        customers, known_products = {}, {}  # of a batch's orders, found at once per company
        for company in locked.company_id if len(locked) > 1 else ():
            orderweb_orders = {online_order: orderweb_order for online_order, orderweb_order in read.items()
                               if online_order.company_id == company and not isinstance(orderweb_order, Exception)}
            customers.update(self.env['res.partner']._orderweb_customers(company, orderweb_orders))
            known_products[company] = self.env['orderweb.product.map']._orderweb_known_products(
                company, [source for orderweb_order in orderweb_orders.values()
                          for source in line_sources(orderweb_order)],
                for_pos=ORDERWEB_TARGETS[company.orderweb_target][0] == 'pos.order')
        for online_order in locked:
            try:
                target = online_order._import_locked(read[online_order], customers.get(online_order),
                                                     known_products.get(online_order.company_id))
                if target:
                    targets[target._name] = targets.get(target._name, target.browse()) | target
            except TRANSIENT_ERRORS:
                # A conflict with another transaction, not a fault of the order: imported again at once.
                _logger.info("OrderWeb order %s met a concurrent update; imported again", online_order.name)
                conflicted |= online_order
        for made in targets.values():
            made._orderweb_imported()
        return conflicted

    def _import_locked(self, orderweb_order, customer=None, known_products=None):
        """Import this online order, whose row this transaction holds, and write what became of it.

        :param orderweb_order: its payload as read (``_read``), or the error reading it raised
        :param customer: its customer, found or made with its batch's; else looked up here
        :param known_products: its batch's products (``orderweb.product.map._orderweb_known_products``);
            else searched here
        :return: the target made (``pos.order`` or ``sale.order``), or None when not imported
        :raise TRANSIENT_ERRORS: it met a concurrent update; nothing of it was written
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                if isinstance(orderweb_order, Exception):
                    raise orderweb_order
                prepared = self._prepare_import(orderweb_order, customer, known_products)
                target = self.env[self._target_model()].with_company(self.company_id)._orderweb_import(prepared)
                prepared.check_total(target.amount_total, target.currency_id)
        except TRANSIENT_ERRORS:
            raise
        except ImportWaits as wait:
            self._orderweb_as_import().write({'state': 'waiting', 'error': str(wait)})
        except PayloadError as error:
            # Unreadable as stored, so read again it fails again: the reason given when it was
            # stored stays (of an oversized frame only a summary is here to read).
            kept = self.state == 'error' and self.error
            self._mark_error(kept or self._unreadable(error))
        except (UserError, ValidationError, ValueError) as error:
            self._mark_error(str(error))
        except psycopg2.errors.UniqueViolation:
            # The target exists already (made by another process): nothing to redo.
            self._mark_error(_("This order was imported twice at the same time; check for a duplicate."))
            _logger.warning("OrderWeb order %s hit a unique constraint while importing", self.name)
        except Exception as error:
            if is_outage(error):
                raise
            _logger.exception("OrderWeb order %s could not be imported", self.name)
            self._mark_error(_("Unexpected error while importing: %(error)s", error=error))
        else:
            if prepared.flags:
                # Not the flags themselves: they may quote the customer.
                self._message_log(body=_("Flagged for the kitchen: %(count)s red flag(s) to acknowledge.",
                                         count=len(prepared.flags)))
            # The usual first-time import is not news for the chatter; a retry that worked is.
            self._orderweb_as_import().with_context(mail_notrack=self.state == 'received').write({
                'state': 'done',
                'error': False,
                'imported_at': fields.Datetime.now(),
                'attempt_count': self.attempt_count + 1,
                self._target_link_field(): target.id,
                # Written only when there are some: an imported order is never imported again.
                **({'unmapped_item_ids': [(6, 0, prepared.unmapped.ids)]} if prepared.unmapped else {}),
                **({'flags': "\n".join(prepared.flags)} if prepared.flags else {}),
                **({'schedule_note': prepared.schedule_note} if prepared.schedule_note else {}),
            })
            return target
        return None

    def _target_model(self):
        return ORDERWEB_TARGETS[self.company_id.orderweb_target][0]

    def _target_link_field(self):
        return ORDERWEB_TARGETS[self.company_id.orderweb_target][1]

    def _prepare_import(self, orderweb_order, customer=None, known_products=None):
        """This online order's OrderWeb order resolved once for its target: customer, products
        (of the POS or of sales, by the target) and the lines.

        :param customer: found or made with its batch's; else looked up here
        :param known_products: its batch's products, found at once; else searched here
        :return: a ``prepared.PreparedOrder``
        """
        company = self.company_id
        if customer is None:
            customer = self.env['res.partner']._orderweb_customer(company, orderweb_order)
        products, unmapped = self.env['orderweb.product.map']._orderweb_products(
            company, line_sources(orderweb_order), for_pos=self._target_model() == 'pos.order', known=known_products)
        return PreparedOrder(
            company=company,
            online_order_id=self.id,
            orderweb_id=self.orderweb_id,
            number=self.name,
            for_pos=self._target_model() == 'pos.order',
            orderweb_order=orderweb_order,
            customer=customer,
            lines=prepared_lines(self.env, orderweb_order, products),
            unmapped=unmapped,
        )

    def _mark_error(self, reason):
        self._orderweb_as_import().write(
            {'state': 'error', 'error': storable_text(reason), 'attempt_count': self.attempt_count + 1})

    def action_retry(self):
        # Who may retry is who may change the online orders (POS managers of the order's
        # company); the import itself then runs as the listener's does, whatever the user may create.
        self.check_access('write')
        to_retry = self.filtered(lambda online_order: online_order.state in ('error', 'waiting')
                                 and not online_order.set_aside)
        if not to_retry:
            raise UserError(_("Only orders in error or waiting for a POS session can be retried."))
        self.env.flush_all()  # the import reads through cursors of its own
        importer.import_pending(self.sudo().env, to_retry.company_id.ids, ids=to_retry.ids, include='retry')
        return True

    @api.model
    def _cron_orderweb_import(self):
        """The import cron: the import job for every enabled company, with the orders waiting
        for a session and those in error (``MAX_AUTO_ATTEMPTS`` times). Every minute as a
        safety net (an order stored by a process that died before importing it, a session
        opened while its order was being imported), and triggered at once when a session
        opens or a catch-up is longer than the batch its inbox imports at a time."""
        companies = self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)])
        if companies:
            importer.import_pending(self.sudo().env, companies.ids, include='auto')
