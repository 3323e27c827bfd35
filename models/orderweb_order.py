import hashlib
import json
import logging
import random
import re
import reprlib
import threading
import time
from collections import defaultdict
from datetime import timedelta

import phonenumbers
import psycopg2
from psycopg2.pool import PoolError

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, escape_psql, split_every

from ..compat import PARTNER_PHONE_FIELDS, in_test_mode, sql_constraints
from ..const import (
    CONFLICT_RETRIES,
    CONFLICT_RETRY_DELAY,
    LIVE_IMPORT_GRACE,
    MAP_BATCH,
    MAP_WORKERS,
    MAX_AUTO_ATTEMPTS,
    MAX_ORDERWEB_ID_LENGTH,
    MAX_PAYLOAD_LENGTH,
    ONLINE_ORDER_CHANNELS,
    ONLINE_ORDER_STATES,
    PAYLOAD_DISPLAY_MAX_DEPTH,
    PAYLOAD_DISPLAY_MAX_LENGTH,
    PULL_LIMIT,
    UNROUNDED_PRICE_PRECISION,
)
from ..orderweb.order import PayloadError, parse_order
from ..orderweb.pull import OrderWebError
from ..orderweb.utils import is_storable_text, json_text, pretty_json, storable_text
from ..utils import error_summary, expected_sql_failures

_logger = logging.getLogger(__name__)


TRANSIENT_ERRORS = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected,
                    psycopg2.errors.LockNotAvailable)


def _phone_key(number, region):
    """``number`` in E.164 (+447700900777) as written in ``region``, valid or not (reserved
    and new ranges are real customers' numbers too); else its digits."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(number, region or None),
                                          phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return re.sub(r'\D', '', number) or None


def _casefold(kind, value):
    """``value`` as customers are told apart by ``kind``: a name in any case is the same name."""
    return value.casefold() if kind == 'name' else value


def _is_outage(error):
    """Whether ``error`` comes from the database or its connection (worth retrying the batch)
    rather than from the order (a limit it exceeds is the order's fault). A full pool of
    Odoo's connections is one: the connection a mapping opens is missing for a moment."""
    return isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError, PoolError)) and not isinstance(
        error, psycopg2.errors.ProgramLimitExceeded)


class MappingWaits(Exception):
    """The online order is fine but cannot be imported yet (no open POS session)."""


@sql_constraints(
    orderweb_company_uniq=(
        'unique(orderweb_id, company_id)',
        "This OrderWeb order was already received by this company."),
)
class OrderWebOrder(models.Model):
    """An online order as OrderWeb sent it, and what became of it in Odoo.

    Lifecycle:

    * **received**: the live listener (``channel`` push) or the pull (``channel`` pull) hands
      the payload to ``_ingest``;
    * **stored**: each payload is committed first, verbatim, one record per platform order
      and company (the same order again, from either channel, is the same record);
    * **mapped**: each record is then imported in a transaction of its own: the target
      (``pos.order`` or ``sale.order``, per the company's settings) builds itself from the
      parsed *platform order* (``_read_order``) and the record links to it.

    ``state`` says where it stands: *received* (to import), *waiting* (for a POS session
    to open: imported when one does), *done* (imported), *error* (with its reason).
    A payload that cannot even be stored as usual is **set aside**: kept in error with its
    raw text only, never imported. Orders in error are retried by the pull cron, at most
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
    channel = fields.Selection(ONLINE_ORDER_CHANNELS, string="Received Via", required=True, readonly=True)
    received_at = fields.Datetime(string="Received", required=True, readonly=True, default=fields.Datetime.now)
    processed_at = fields.Datetime(string="Imported", readonly=True)
    attempt_count = fields.Integer(string="Attempts", readonly=True)
    # What the list shows of the payload, read once when it is stored.
    customer_name = fields.Char(string="Customer", readonly=True)
    customer_phone = fields.Char(string="Phone", readonly=True)
    order_type = fields.Char(string="Type", readonly=True)
    scheduled_for = fields.Datetime(readonly=True)
    currency_id = fields.Many2one(related='company_id.currency_id')
    amount_total = fields.Monetary(string="Total", readonly=True)
    pos_order_id = fields.Many2one('pos.order', string="POS Order", readonly=True, index='btree_not_null')
    sale_order_id = fields.Many2one('sale.order', string="Sales Order", readonly=True, index='btree_not_null')

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
    # Intake: store first, then map, each in its own transaction
    # ------------------------------------------------------------------

    @api.model
    def _ingest(self, company, raw_orders, channel, received_since=None):
        """Store each raw order and commit, then map them (``MAP_BATCH`` per transaction).

        Opens its own cursors, so a caller's transaction neither delays nor loses the
        payloads. Safe to run in several processes at once: the unique key of the online
        orders makes a second copy of an order a no-op and the row lock lets only one of
        them map it. Raises only when the database fails: no payload can make a batch fail.

        A catch-up of more than one batch is mapped by ``MAP_WORKERS`` threads, a batch
        each at a time: the Python of one runs while another waits on PostgreSQL. An order
        two batches contended for (one new customer in both) is mapped again at the end.

        :param received_since: a callable giving the orders the live listener received
            meanwhile: stored before each next batch is mapped, and mapped after the others,
            so that during a long catch-up no received order waits unstored.
        :return: the online orders of ``raw_orders`` (new or already known)
        """
        online_orders = self._store_committed(company, raw_orders, channel)
        states = ('received', 'waiting')
        to_map = online_orders.ids
        lock = threading.Lock()
        failures = []  # what stopped a mapping thread: the database failed

        def next_batch():
            nonlocal to_map
            with lock:
                batch, to_map = ([], []) if failures else (to_map[:MAP_BATCH], to_map[MAP_BATCH:])
                return batch

        def help_map():
            try:
                while batch := next_batch():
                    self._process_committed(batch, states)
            except Exception as error:  # raised by the caller's thread, below
                failures.append(error)

        helpers = []
        try:
            while batch := next_batch():
                self._process_committed(batch, states)
                more = received_since and received_since()
                if more:
                    stored = self._store_committed(company, more, 'push')
                    online_orders |= stored
                    with lock:
                        to_map += stored.ids
                if len(to_map) > MAP_BATCH and sum(helper.is_alive() for helper in helpers) < MAP_WORKERS - 1 \
                        and not in_test_mode(self.env.registry):  # tests share one connection
                    helpers.append(threading.Thread(
                        target=help_map, name=f'{threading.current_thread().name}-map', daemon=True))
                    helpers[-1].start()
        except Exception as error:
            failures.append(error)  # the helpers stop after their batch
            raise
        finally:
            for helper in helpers:
                helper.join()
        if failures:
            raise failures[0]
        if helpers:
            self._process_committed(online_orders.ids, ('received',))
        online_orders.invalidate_model()  # mapped through cursors of their own
        return online_orders

    @api.model
    def _store_committed(self, company, raw_orders, channel):
        # The environment is kept in a variable until its cursor commits: the commit flushes
        # the pending writes through a live environment of the transaction, or not at all.
        with self.env.registry.cursor() as cr:
            env = self.env(cr=cr)
            return self.browse(self.with_env(env)._store_payloads(company, raw_orders, channel).ids)

    def _process_each_committed(self, states=None):
        """Map the online orders (those in ``states`` then, if given), ``MAP_BATCH`` per
        transaction, each order in a savepoint of its own (see ``_process``): a catch-up
        commits and notifies the shops once per batch, and one order's trouble holds no
        other back.

        Raises only when the database fails; an order that fails otherwise stays stored
        and the cron retries it.
        """
        for batch_ids in split_every(MAP_BATCH, self.ids):
            self._process_committed(batch_ids, states)
        self.invalidate_model()

    def _process_committed(self, online_order_ids, states):
        """Map these online orders in a transaction of their own (see ``_process``); those that
        met a concurrent import are mapped again at once, in fresh transactions, a few times:
        an order that lost a race is imported within seconds, by its winner or here."""
        conflicted = self._process_committed_once(online_order_ids, states)
        for attempt in range(CONFLICT_RETRIES):
            if not conflicted:
                return
            time.sleep(CONFLICT_RETRY_DELAY * (attempt + 1) * random.uniform(0.5, 1.5))
            conflicted = self._process_committed_once(conflicted, states)
        if conflicted:
            _logger.warning("OrderWeb online orders %s kept meeting concurrent imports; left for the next run",
                            conflicted)

    def _process_committed_once(self, online_order_ids, states):
        """:return: ids of the online orders that met a concurrent update (to map again)"""
        try:
            with self.env.registry.cursor() as cr:
                # Mapping only: its commit need not wait for the disk. A crash that loses it
                # loses the POS orders and the 'done' states together, and the payloads, stored
                # durably before, are mapped again with the same uuids: still exactly once.
                cr.execute("SET LOCAL synchronous_commit TO OFF")
                env = self.env(cr=cr)  # live until the commit, as in _ingest
                online_orders = self.with_env(env).browse(online_order_ids)
                if states:
                    online_orders = online_orders.filtered(lambda record: record.state in states)
                conflicted = []
                for company in online_orders.company_id:
                    conflicted += online_orders.filtered(lambda record: record.company_id == company).with_company(
                        company)._process().ids
            return conflicted
        except TRANSIENT_ERRORS:
            # Outside any order's savepoint (an order changed since the transaction began, the
            # batch's customers): nothing was committed, all of them again.
            return list(online_order_ids)
        except Exception as error:
            if _is_outage(error):
                raise
            if len(online_order_ids) == 1:
                _logger.exception("OrderWeb online order %s could not be processed; left for the cron",
                                  online_order_ids[0])
                return []
            # What failed lay outside any order's savepoint, and nothing of the batch was
            # committed: each order again, alone, so that only the culprit is left.
            _logger.warning("OrderWeb online orders %s failed as a batch; mapped one by one", online_order_ids,
                            exc_info=True)
            conflicted = []
            for online_order_id in online_order_ids:
                conflicted += self._process_committed_once([online_order_id], states)
            return conflicted

    @api.model
    def _store_payloads(self, company, raw_orders, channel):
        """Store the raw orders, all at once when none stands in the way, else each in its own
        savepoint: one order can never block another.

        An order that cannot be stored as usual is set aside; only a database failure raises.
        """
        if len(raw_orders) > 1:
            try:
                with expected_sql_failures(), self.env.cr.savepoint():
                    return self._store_payloads_at_once(company, raw_orders, channel)
            except Exception as error:
                if _is_outage(error):
                    raise
                # One of them cannot be stored as usual, or another transaction stored one meanwhile:
                # one by one then, so that only that one is set aside or left to its owner.
        online_orders = self.browse()
        for raw in raw_orders:
            try:
                with expected_sql_failures(), self.env.cr.savepoint():
                    online_order = self._store_payload(company, raw, channel)
            except psycopg2.errors.UniqueViolation:
                # Another transaction stored it first and owns it; this snapshot may not even see it.
                continue
            except Exception as error:
                if _is_outage(error):
                    raise
                online_order = self._set_aside(company, raw, channel, error)
            online_orders |= online_order
        return online_orders

    @api.model
    def _store_payloads_at_once(self, company, raw_orders, channel):
        """Store the raw orders not stored yet in one ``create()``, the other copies (a resend,
        the other channel, a second copy in this lot) as ``_store_payload`` does, with one
        search for all. Raises if any fails."""
        vals_list = [self._prepare_online_order_values(company, raw, channel) for raw in raw_orders]
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
    def _store_payload(self, company, raw, channel):
        vals = self._prepare_online_order_values(company, raw, channel)
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
            # readable record is never replaced, so an order that fails to map is not reset by
            # every pull; the cron's bounded retries and Retry handle it.
            self.write({**vals, 'state': 'received', 'error': False})

    @api.model
    def _store_unread(self, company, raw, channel, reason):
        """Store an order the listener could not read, in error with the listener's ``reason``:
        for an oversized frame ``raw`` is only a summary, whose own reading would not say why."""
        records = self._store_payloads(company, [raw], channel)
        try:
            payload = json_text(raw)
        except (TypeError, ValueError):  # set aside then, with its own reason
            return records
        unread = records.filtered(lambda online_order: (
            online_order.state == 'error' and not online_order.set_aside and online_order.payload == payload))
        # Part of storing it, not a change of the order: no chatter line.
        unread.with_context(tracking_disable=True).write({
            'error': _("OrderWeb sent an order that cannot be read: %(reason)s", reason=storable_text(reason))})
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
            if _is_outage(second):
                raise
            # Not its text (customers' details stay out of logs): OrderWeb still lists a confirmed
            # order, and the next pull tries again.
            _logger.critical("OrderWeb order for %s could not even be set aside as %s (%s), %s characters",
                             company.name, orderweb_id, error_summary(second), len(payload))
            return self.browse()

    @api.model
    def _prepare_online_order_values(self, company, raw, channel):
        payload = json_text(raw)
        vals = {
            'company_id': company.id,
            'channel': channel,
            'payload': payload,
        }
        try:
            platform_order = self._read_order(payload, raw)
        except PayloadError as error:
            raw_id = raw.get('orderId' if 'orderId' in raw else 'id') if isinstance(raw, dict) else None
            raw_number = raw.get('orderNumber') if isinstance(raw, dict) else None
            # The id where and as the parser reads it (so that a readable copy finds this record),
            # if it is one: text or integer, not too long, and storable as it is.
            raw_id = str(raw_id).strip() if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else ''
            valid_id = 0 < len(raw_id) <= MAX_ORDERWEB_ID_LENGTH and is_storable_text(raw_id)
            number = storable_text(str(raw_number))[:64].strip() if isinstance(raw_number, (str, int)) else None
            return {
                **vals,
                # Without a usable id, the payload itself is the key: the same bad payload is stored once.
                'orderweb_id': raw_id if valid_id else 'invalid-' + hashlib.sha256(payload.encode()).hexdigest()[:32],
                'name': number or _("Unreadable order"),
                'state': 'error',
                'error': _("OrderWeb sent an order that cannot be read: %(reason)s", reason=storable_text(str(error))),
            }
        return {
            **vals,
            'orderweb_id': platform_order.order_id,
            'name': platform_order.number or platform_order.order_id,
            'customer_name': platform_order.customer_name,
            'customer_phone': platform_order.customer_phone,
            'order_type': platform_order.order_type,
            'scheduled_for': platform_order.scheduled_for and platform_order.scheduled_for.replace(tzinfo=None),
            'amount_total': float(
                platform_order.total if platform_order.total is not None else platform_order.items_total),
        }

    @api.model
    def _read_order(self, payload, raw=None):
        """The platform order stored as ``payload`` (``raw`` when already decoded); PayloadError
        if it is not one to import."""
        if len(payload) > MAX_PAYLOAD_LENGTH:
            raise PayloadError('order', _(
                "is %(length)s characters long, more than the %(limit)s an order may have",
                length=len(payload), limit=MAX_PAYLOAD_LENGTH))
        if raw is None:
            try:
                raw = json.loads(payload)
            except RecursionError:  # json decodes recursively: a stack deeper than the listener's fails
                raise PayloadError('order', _("is nested too deeply to be read here")) from None
        return parse_order(raw)

    def _is_readable(self):
        self.ensure_one()
        try:
            self._read_order(self.payload)
        except (ValueError, RecursionError):  # PayloadError is a ValueError
            return False
        return True

    # ------------------------------------------------------------------
    # Processing: each online order becomes its Odoo order
    # ------------------------------------------------------------------

    def _process(self):
        """Map each online order to its Odoo order; a failure leaves it in error with its reason.

        The orders are locked first, in this transaction: orders another process is mapping
        (it holds their lock) are left to it, and what became of each order is written under
        its lock, which no savepoint rolled back can release. Each order maps in a savepoint:
        one that fails, even on a conflict, undoes only its own work. The POS shops are told
        of all the new orders at once, at the end.

        :return: the online orders that met a concurrent update, left as they were: the
            caller maps them again in a fresh transaction
        :raise TRANSIENT_ERRORS: one of them changed since this transaction began (repeatable
            read): the caller maps them all again in a fresh transaction
        """
        imported = conflicted = self.browse()
        self.env.cr.execute(
            "SELECT id FROM orderweb_order WHERE id = ANY(%s) AND state != 'done' FOR NO KEY UPDATE SKIP LOCKED",
            [self.ids], log_exceptions=False)
        locked_ids = {online_order_id for (online_order_id,) in self.env.cr.fetchall()}
        locked = self.filtered(lambda online_order: online_order.id in locked_ids)
        customers = locked._find_partners() if len(locked) > 1 else {}
        for online_order in locked:
            try:
                if online_order._map_locked(customers.get(online_order.id)):
                    imported |= online_order
            except TRANSIENT_ERRORS:
                # A conflict with another transaction, not a fault of the order: mapped again at once.
                _logger.info("OrderWeb order %s met a concurrent update; mapped again", online_order.name)
                conflicted |= online_order
        imported.pos_order_id._orderweb_send_notification()
        return conflicted

    def _map_locked(self, customer_id=None):
        """Map this online order, whose row this transaction holds, and write what became of it.

        :param customer_id: its customer, found or made with its batch's
        :return: whether it was imported
        :raise TRANSIENT_ERRORS: it met a concurrent update; nothing of it was written
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                mapped = self.with_context(orderweb_customer_id=customer_id) if customer_id else self
                target = mapped._map()
        except TRANSIENT_ERRORS:
            raise
        except MappingWaits as wait:
            self.write({'state': 'waiting', 'error': str(wait)})
        except PayloadError as error:
            # Unreadable as stored, so read again it fails again: the reason given when it was
            # stored stays (of an oversized frame only a summary is here to read).
            kept = self.state == 'error' and self.error
            self._mark_error(kept or str(error))
        except (UserError, ValidationError, ValueError) as error:
            self._mark_error(str(error))
        except psycopg2.errors.UniqueViolation:
            # The Odoo order exists already (made by another process): nothing to redo.
            self._mark_error(_("This order was imported twice at the same time; check for a duplicate."))
            _logger.warning("OrderWeb order %s hit a unique constraint while mapping", self.name)
        except Exception as error:
            if _is_outage(error):
                raise
            _logger.exception("OrderWeb order %s could not be imported", self.name)
            self._mark_error(_("Unexpected error while importing: %(error)s", error=error))
        else:
            # The usual first-time import is not news for the chatter; a retry that worked is.
            self.with_context(mail_notrack=self.state == 'received').write({
                'state': 'done',
                'error': False,
                'processed_at': fields.Datetime.now(),
                'attempt_count': self.attempt_count + 1,
                **target,
            })
            return True
        return False

    def _mark_error(self, reason):
        self.write({'state': 'error', 'error': storable_text(reason), 'attempt_count': self.attempt_count + 1})

    def _map(self):
        """Have the target of the company's settings build itself from this online order.

        :return: the values linking this online order to what was made
        """
        self.ensure_one()
        platform_order = self._read_order(self.payload)
        if self.company_id.orderweb_target == 'sale':
            return {'sale_order_id': self.env['sale.order']._orderweb_create_from(self, platform_order).id}
        return {'pos_order_id': self.env['pos.order']._orderweb_create_from(self, platform_order).id}

    def action_retry(self):
        # Who may retry is who may change the online orders (POS managers of the order's
        # company); the import itself then runs as the listener's does, whatever the user may create.
        self.check_access('write')
        to_retry = self.filtered(lambda online_order: online_order.state in ('error', 'waiting')
                                 and not online_order.set_aside)
        if not to_retry:
            raise UserError(_("Only orders in error or waiting for a POS session can be retried."))
        self.env.flush_all()  # each import reads through a cursor of its own
        to_retry.sudo()._process_each_committed()
        self.invalidate_model()
        return True

    # ------------------------------------------------------------------
    # Pull
    # ------------------------------------------------------------------

    @api.model
    def _pull_company(self, company):
        """Pull the confirmed orders of ``company`` once and ingest them (idempotent)."""
        with company._orderweb_pull_client() as client:
            result = client.pull(limit=PULL_LIMIT)
        return self._ingest_pulled(company, result)

    @api.model
    def _ingest_pulled(self, company, result):
        """Store and import what a pull of ``company`` answered: its orders as ``_ingest``
        does, those it could not even decode in error with their text and the reason.

        :param result: an ``orderweb.pull.PullResult``
        :return: the online orders of the answer
        """
        online_orders = self._ingest(company, result.orders, 'pull')
        for text, reason in result.unreadable:
            online_orders |= self._store_unread(company, text, 'pull', reason)
        company.sudo().orderweb_last_pull_at = fields.Datetime.now()
        self.env['orderweb.connection']._orderweb_note_pull(company)
        return online_orders

    @api.model
    def _cron_pull(self):
        now = fields.Datetime.now()
        companies = self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)])
        for company in companies:
            due = not company.orderweb_last_pull_at or (
                (now - company.orderweb_last_pull_at).total_seconds() >= company.orderweb_pull_interval * 60 - 30)
            if not due:
                continue
            try:
                # An answer may fail in the middle of its storing: only this company's work is undone.
                with self.env.cr.savepoint():
                    self.with_company(company)._pull_company(company)
            except (OrderWebError, ValueError, *TRANSIENT_ERRORS) as error:
                # One company's outage or bad settings must not stop the others' pulls.
                _logger.warning("OrderWeb pull for %s failed: %s", company.name, error)
                self.env['orderweb.connection']._orderweb_note_pull(company, error)
            except Exception as error:
                if _is_outage(error):
                    raise
                # Nor anything an answer holds: the others' pulls and the retries below go on.
                _logger.exception("OrderWeb pull for %s failed unexpectedly", company.name)
                self.env['orderweb.connection']._orderweb_note_pull(company, error)
        self.search([
            ('company_id', 'in', companies.ids),
            '|', '|', ('state', '=', 'waiting'),
            '&', ('state', '=', 'received'), ('received_at', '<', now - timedelta(seconds=LIVE_IMPORT_GRACE)),
            '&', '&', ('state', '=', 'error'), ('attempt_count', '<', MAX_AUTO_ATTEMPTS), ('set_aside', '=', False),
        ])._process_each_committed()

    # ------------------------------------------------------------------
    # What both targets (pos.order, sale.order) ask of the online order
    # ------------------------------------------------------------------

    def _find_partner(self, platform_order):
        """The customer of ``platform_order``: same phone number, else same e-mail, else a new contact.

        A name alone only finds a contact without phone or e-mail of its own: a namesake
        who has them is another person. Imports of one new customer's orders running at
        once (cron and listener) make one contact, not two: see ``_lock_customers``. In a
        batch, ``_find_partners`` has already found or made it (context ``orderweb_customer_id``).
        """
        if self.env.context.get('orderweb_customer_id'):
            return self.env['res.partner'].browse(self.env.context['orderweb_customer_id'])
        company = self.company_id
        identity = self._customer_identity(company, platform_order)
        if not identity:
            return self.env['res.partner']
        self._lock_customers(company, [identity])
        partner = self._match_partners(company, [identity]).get(identity)
        if partner:
            return partner
        # This transaction reads a snapshot older than the lock: an import that created this
        # customer and committed meanwhile is invisible here. A fresh read tells; if so, this
        # order is left for the next run, which will see that contact.
        if self._customers_just_created(company, [identity]):
            raise psycopg2.errors.SerializationFailure(
                "The customer of OrderWeb order %s was just created by a concurrent import" % self.name)
        return self._create_customers(company, {identity: platform_order})

    def _find_partners(self):
        """Find or make at once the customers of these online orders (one company's batch):
        one lock, a few searches and one ``create()`` for the batch, with exactly the contacts
        the same orders imported one by one (``_find_partner``) would make.

        One by one, an order finds its customer by phone, else e-mail, else a name alone among
        the contacts, the ones made by the orders before it included: so each order's new
        contact is only decided after the orders before it, in the batch's order. An order
        that cannot be read, or whose new customer was just made by a concurrent import, is
        left to its own mapping; so are all of them if the contacts cannot be made together
        (one bad contact then fails alone, in its order's savepoint).

        :return: {online order id: contact id} of the orders whose customer was found or made
        """
        company = self.company_id
        identities = {}  # online order id -> identity
        platform_orders = {}
        for online_order in self:
            try:
                platform_order = online_order._read_order(online_order.payload)
            except (ValueError, RecursionError):  # PayloadError is a ValueError
                continue
            identity = self._customer_identity(company, platform_order)
            if identity and any(identity):  # a blank name alone makes a contact per order
                identities[online_order.id] = identity
                platform_orders.setdefault(identity, platform_order)
        if not identities:
            return {}
        self._lock_customers(company, set(identities.values()))
        # Each way of finding a customer, asked of the database apart: one by one, a phone
        # found among the new contacts wins over an e-mail found among the old ones.
        probes = {(kind, value): tuple(value if index == position else None for index in range(3))
                  for identity in identities.values()
                  for position, (kind, value) in enumerate(zip(('phone', 'email', 'name'), identity, strict=True))
                  if value}
        found = self._match_partners(company, set(probes.values()))
        searchable_phone = self.env['res.partner']._phone_search_min_length
        made = {}  # (kind, value) -> identity of the new contact found that way
        customer_of = {}  # online order id -> contact (found) or identity (to make)
        for online_order_id, (phone, email, name) in identities.items():
            ways = [(kind, value) for kind, value in (
                ('phone', phone if phone and len(re.sub(r'\D', '', phone)) >= searchable_phone else None),
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
            customer_of[online_order_id] = customer
        new_identities = {customer for customer in customer_of.values() if isinstance(customer, tuple)}
        # Made by an import that committed after this transaction's snapshot: theirs to map.
        just_made = set(self._customers_just_created(company, list(new_identities)))
        to_make = {identity: platform_orders[identity] for identity in new_identities - just_made}
        contacts = {}
        if to_make:
            try:
                with expected_sql_failures(), self.env.cr.savepoint():
                    contacts = dict(zip(to_make, self._create_customers(company, to_make), strict=True))
            except Exception as error:
                if _is_outage(error):
                    raise
                _logger.info("OrderWeb customers of %s made one by one: %s", company.name, error_summary(error))
        return {online_order_id: (contacts[customer] if isinstance(customer, tuple) else customer).id
                for online_order_id, customer in customer_of.items()
                if not isinstance(customer, tuple) or customer in contacts}

    @api.model
    def _customer_identity(self, company, platform_order):
        """(phone key, normalised e-mail, name) by which the customer of ``platform_order`` is
        found: the name only counts without phone and e-mail. None without any of them."""
        if not (platform_order.customer_name or platform_order.customer_phone or platform_order.customer_email):
            return None
        phone = platform_order.customer_phone and _phone_key(
            platform_order.customer_phone, company.country_id.code)
        email = platform_order.customer_email and email_normalize(platform_order.customer_email)
        name = None if phone or email else (platform_order.customer_name or '').strip()
        return (phone or None, email or None, name or None)

    @api.model
    def _customers_just_created(self, company, identities):
        """Those of ``identities`` that another import made and committed since this
        transaction's snapshot (read through a cursor of its own)."""
        if not identities:
            return []
        with self.env.registry.cursor() as cr:
            fresh = self.with_env(self.env(cr=cr))
            company = company.with_env(fresh.env)
            return list(fresh._match_partners(company, identities))

    @api.model
    def _create_customers(self, company, platform_orders):
        """New contacts, one per identity of ``platform_orders`` ({identity: platform order})."""
        # No creation message or follower, as Odoo's own imports: the contact's orders say where it came from.
        return self.env['res.partner'].with_company(company).with_context(tracking_disable=True).create([{
            'company_id': company.id,
            'name': platform_order.customer_name or platform_order.customer_phone or platform_order.customer_email,
            'phone': phone if phone and phone.startswith('+') else platform_order.customer_phone,
            'email': platform_order.customer_email,
        } for (phone, _email, _name), platform_order in platform_orders.items()])

    @api.model
    def _lock_customers(self, company, identities):
        """Hold, until this transaction ends, the customer ``identities`` of ``company`` (in a
        fixed order, so that two imports never wait for each other crosswise)."""
        keys = sorted({
            f'pos_orderweb.customer:{company.id}:{kind}:{value.casefold() if kind == "name" else value}'
            for identity in identities
            for kind, value in zip(('phone', 'email', 'name'), identity, strict=True) if value})
        self.env.cr.execute("SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(%s::text[]) AS key",
                            [keys])

    @api.model
    def _match_partners(self, company, identities):
        """For each of ``identities`` found, the oldest contact of ``company`` with its phone
        key, else its e-mail, else its name and without phone or e-mail: a few searches for
        all of them.

        :return: {identity: contact}
        """
        Partner = self.env['res.partner'].with_company(company)
        company_domain = Partner._check_company_domain(company)
        found = {}
        by_phone = defaultdict(list)
        for identity in identities:
            if len(re.sub(r'\D', '', identity[0] or '')) >= Partner._phone_search_min_length:
                by_phone[identity[0]].append(identity)
        if by_phone:
            # Candidates share a number's last digits (an indexed search); the parsed numbers decide.
            candidate_ids = Partner._orderweb_search_phone_tails([re.sub(r'\D', '', phone) for phone in by_phone])
            for partner in Partner.search([('id', 'in', candidate_ids), *company_domain], order='id'):
                region = (partner.country_id or company.country_id).code
                for number in filter(None, (partner[field_name] for field_name in PARTNER_PHONE_FIELDS)):
                    for identity in by_phone.get(_phone_key(number, region), ()):
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
                    *((field_name, '=', False) for field_name in PARTNER_PHONE_FIELDS),
                ], order='id', limit=1)
                if partner:
                    found[identity] = partner
        return found

    def _order_lines(self, platform_order, for_pos, fiscal_position, currency):
        """Items of ``platform_order``, each followed by its add-ons, as the targets make lines of them.

        Each line: product, taxes, name, unit price excluding those taxes, quantity, note, and
        for an add-on the index of its item.
        """
        lines = []
        for item in platform_order.items:
            addon_names = [
                addon.name if addon.quantity == 1 else f"{addon.name} ×{addon.quantity.normalize()}"
                for addon in item.addons
            ]
            note = "\n".join(filter(None, [
                addon_names and _("With: %(addons)s", addons=", ".join(addon_names)),
                item.note,
            ]))
            item_index = len(lines)
            lines.append({'source': item, 'is_addon': False, 'name': item.name, 'price': item.price,
                          'qty': item.quantity, 'note': note, 'item': None})
            lines.extend({'source': addon, 'is_addon': True, 'name': f"+ {addon.name}", 'price': addon.price,
                          'qty': addon.quantity * item.quantity, 'note': '', 'item': item_index}
                         for addon in item.addons)
        products = self._resolve_products([(line['source'], line['is_addon']) for line in lines], for_pos)
        for line, product in zip(lines, products, strict=True):
            taxes = product.taxes_id._filter_taxes_by_company(self.company_id)
            if fiscal_position:
                taxes = fiscal_position.map_tax(taxes)
            line.update(
                product=product,
                taxes=taxes,
                qty=float(line['qty']),
                price_unit=self._price_excluding(taxes, float(line['price']), float(line['qty']), currency, product),
            )
        return lines

    def _resolve_products(self, lines, for_pos):
        """Product of each OrderWeb item or add-on: explicit mapping, then exact name, else the fallback.

        :param lines: [(platform order line, is_addon)]; answered with two searches, whatever their number
        """
        company = self.company_id
        line_ids = {line.id for line, _is_addon in lines if line.id}
        mapped = {
            mapping.orderweb_item_id: mapping.product_id
            for mapping in self.env['orderweb.product.map'].search([
                ('company_id', '=', company.id), ('orderweb_item_id', 'in', list(line_ids)),
                ('product_id', '!=', False)])
        } if line_ids else {}
        Product = self.env['product.product'].with_company(company)
        by_name = {}
        for product in Product.search([
            ('name', 'in', list({line.name for line, _is_addon in lines})),
            *Product._check_company_domain(company),
            ('available_in_pos', '=', True) if for_pos else ('sale_ok', '=', True),
        ], order='id'):
            by_name.setdefault(product.name, product)
        products = []
        for line, is_addon in lines:
            product = mapped.get(line.id) or by_name.get(line.name) or self._fallback_product(line, is_addon)
            products.append(product)
        return products

    def _fallback_product(self, line, is_addon):
        company = self.company_id
        field_name, xmlid = (
            ('orderweb_addon_product_id', 'pos_orderweb.product_orderweb_addon') if is_addon
            else ('orderweb_item_product_id', 'pos_orderweb.product_orderweb_item'))
        product = (company[field_name] or self.env.ref(xmlid, raise_if_not_found=False)).filtered('active')
        if not product:
            raise UserError(_(
                "No product matches “%(name)s” and no fallback product is set in the OrderWeb settings.",
                name=line.name))
        if line.id:
            self.env['orderweb.product.map']._note_unmapped(company, line)
        return product

    def _adjustment_product(self):
        return (self.company_id.orderweb_adjustment_product_id
                or self.env.ref('pos_orderweb.product_orderweb_adjustment'))

    def _adjustments(self, platform_order, odoo_items_total):
        """(label, amount) lines that bring Odoo's total to what the customer paid.

        Charges beyond the items (delivery fee, service charge, discount) and the penny
        that Odoo's tax rounding may differ by are shown apart, never folded into prices.
        """
        if platform_order.total is None:
            return []
        currency = self.company_id.currency_id
        charges = float(platform_order.total - platform_order.items_total)
        rounding = float(platform_order.items_total) - odoo_items_total
        if abs(rounding) > currency.rounding * len(platform_order.items) * 2:
            # More than pennies: prices were changed on the way (pricelist, mixed taxes), not rounded.
            raise UserError(_(
                "Odoo prices the items at %(odoo)s where the customer paid %(platform)s for them; "
                "check the taxes and pricelist of the products.",
                odoo=currency.format(odoo_items_total), platform=currency.format(float(platform_order.items_total))))
        return [
            (label, currency.round(amount)) for label, amount in (
                (_("Fees and charges (delivery, service)") if charges > 0 else _("Discount"), charges),
                (_("Tax rounding"), rounding),
            ) if not currency.is_zero(amount)
        ]

    def _check_total(self, odoo_total, platform_order, currency):
        if platform_order.total is not None and not currency.is_zero(odoo_total - float(platform_order.total)):
            raise UserError(_(
                "The Odoo total %(odoo)s differs from the OrderWeb total %(platform)s.",
                odoo=currency.format(odoo_total), platform=currency.format(float(platform_order.total))))

    @api.model
    def _price_excluding(self, taxes, price_included, qty, currency, product):
        """The unit price that gives back the customer's ``price_included × qty`` once ``taxes`` apply.

        OrderWeb prices are what the customer saw, taxes included; a product whose
        taxes are price-excluded gets its price converted, not re-taxed on top.
        """
        if all(tax.price_include for tax in taxes):
            return price_included
        exact = taxes._get_tax_details(
            price_included, 1.0, precision_rounding=UNROUNDED_PRICE_PRECISION,
            product=product, special_mode='total_included')['total_excluded']
        # Odoo taxes a rounded base: the nearest unit price that lands on the customer's total wins.
        target = currency.round(price_included * qty)
        for candidate in (exact, *(currency.round(exact) + step * currency.rounding for step in (0, -1, 1))):
            included = taxes.compute_all(candidate, currency, qty, product=product)['total_included']
            if currency.is_zero(included - target):
                return candidate
        return exact
