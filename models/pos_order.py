import hashlib
import hmac
import re
import uuid
from datetime import timedelta

import psycopg2
from markupsafe import escape

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..compat import POS_ORDER_NOTE, pos_reference_values, sql_constraints
from ..const import KITCHEN_CLAIM_TIMEOUT, ORDERWEB_STATUSES
from ..prepared import ImportWaits

ORDERWEB_ORIGIN_FIELDS = (
    'orderweb_order_id', 'orderweb_number', 'orderweb_type', 'orderweb_scheduled_for',
    'orderweb_prepaid', 'orderweb_status', 'orderweb_sent_at', 'orderweb_kitchen_claimed_at',
    'orderweb_kitchen_claimed_by', 'orderweb_kitchen_claim_screen', 'orderweb_fired_at',
    'orderweb_flags_acknowledged_by', 'orderweb_flags_acknowledged_at',
)
# When an online order reached each step on the POS screen, by the status it moved to.
ORDERWEB_STEP_FIELDS = {
    'accepted': 'orderweb_accepted_at',
    'ready': 'orderweb_ready_at',
    'done': 'orderweb_done_at',
}


@sql_constraints(
    orderweb_order_uniq=(
        'unique(orderweb_order_id)',
        "An OrderWeb order can only become one POS order."),
)
class PosOrder(models.Model):
    _name = 'pos.order'
    _inherit = ['pos.order', 'orderweb.origin.mixin']
    # The screens and RPC read these; the import sets them and the orderweb_* methods below
    # move the status: the cashier's screen sends them back on every save, ignored.
    _orderweb_origin_fields = (*ORDERWEB_ORIGIN_FIELDS, *ORDERWEB_STEP_FIELDS.values())

    orderweb_order_id = fields.Many2one(
        'orderweb.order', string="OrderWeb Order", readonly=True, copy=False, index='btree_not_null',
        ondelete='restrict')
    orderweb_number = fields.Char(string="Online Order No.", readonly=True, copy=False, index='btree_not_null')
    orderweb_type = fields.Char(string="Online Order Type Sent", readonly=True, copy=False)
    orderweb_type_label = fields.Char(related='orderweb_order_id.order_type_label', string="Online Order Type")
    orderweb_scheduled_for = fields.Datetime(string="Scheduled For", readonly=True, copy=False)
    orderweb_prepaid = fields.Boolean(string="Paid Online", readonly=True, copy=False)
    orderweb_status = fields.Selection(ORDERWEB_STATUSES, string="Online Order Status", readonly=True, copy=False)
    orderweb_accepted_at = fields.Datetime(string="Accepted At", readonly=True, copy=False)
    orderweb_ready_at = fields.Datetime(string="Ready At", readonly=True, copy=False)
    orderweb_done_at = fields.Datetime(string="Done At", readonly=True, copy=False)
    orderweb_sent_at = fields.Datetime(string="Sent to Kitchen At", readonly=True, copy=False)
    # The screen sending the kitchen ticket claimed it then: no other screen sends it meanwhile.
    # That screen is its user's screen of that login number (the session's count of screens opened).
    orderweb_kitchen_claimed_at = fields.Datetime(readonly=True, copy=False)
    orderweb_kitchen_claimed_by = fields.Many2one('res.users', readonly=True, copy=False)
    orderweb_kitchen_claim_screen = fields.Integer(readonly=True, copy=False)
    # An order for later left the held ones then (its time came, or the cashier took it early):
    # the kitchen's wait counts from there.
    orderweb_fired_at = fields.Datetime(string="Fired At", readonly=True, copy=False)
    orderweb_flags = fields.Text(related='orderweb_order_id.flags', string="Red Flags")
    orderweb_flagged = fields.Boolean(related='orderweb_order_id.flagged', string="Flagged")
    orderweb_flags_acknowledged_by = fields.Many2one('res.users', string="Flags Acknowledged By", readonly=True,
                                                     copy=False)
    orderweb_flags_acknowledged_at = fields.Datetime(string="Flags Acknowledged At", readonly=True, copy=False)
    orderweb_flags_acknowledged_name = fields.Char(related='orderweb_flags_acknowledged_by.name')  # for the screens
    orderweb_schedule_note = fields.Char(related='orderweb_order_id.schedule_note')
    # The steps before the POS, from its online order (the timeline on the form).
    orderweb_created_at = fields.Datetime(related='orderweb_order_id.created_at')
    orderweb_received_at = fields.Datetime(related='orderweb_order_id.received_at', string="Received At")
    orderweb_imported_at = fields.Datetime(related='orderweb_order_id.processed_at', string="Imported At")
    # The customer's special instructions, in the note field of the series (compat.py).
    orderweb_instructions = fields.Text(related=POS_ORDER_NOTE, string="Special Instructions")
    orderweb_unmapped_count = fields.Integer(
        string="Items to Map", compute='_compute_orderweb_unmapped_count',
        help="Items of this online order that fell back to a placeholder product.")

    @api.depends('orderweb_order_id.unmapped_item_ids.product_id')
    def _compute_orderweb_unmapped_count(self):
        for order in self:
            order.orderweb_unmapped_count = len(order._orderweb_unmapped_items())

    # ------------------------------------------------------------------
    # Imported from an online order (orderweb.order._import_locked)
    # ------------------------------------------------------------------

    @api.model
    def _orderweb_import(self, prepared):
        """The POS order of an online order in the open session of the receiving shop, made as
        the POS screens make theirs (``sync_from_ui``), paid if it was paid online.

        :param prepared: the ``prepared.PreparedOrder`` of the online order
        :raise ImportWaits: no session of the shop is open
        """
        company = prepared.company
        config = company.orderweb_pos_config_id
        if not config:
            raise UserError(_("No receiving POS shop is set in the OrderWeb settings."))
        # The shop's open session, as config.current_session_id finds it, without computing
        # the config's session fields from all of its sessions on every order.
        session = self.env['pos.session'].search([
            ('config_id', '=', config.id), ('state', '!=', 'closed'), ('rescue', '=', False)], order='id desc', limit=1)
        state = None
        if session:
            # Locked until this transaction ends, so that no import lands in a session closed
            # meanwhile: a closing waits for the import; an import meeting a closing waits for
            # it, then fails to serialize and is imported again (it waits for the next session).
            session.flush_recordset(['state'])
            self.env.cr.execute("SELECT state FROM pos_session WHERE id = %s FOR SHARE", [session.id],
                                log_exceptions=False)  # a conflict is expected, and retried
            state = self.env.cr.fetchone()[0]
        if state not in ('opening_control', 'opened'):
            raise ImportWaits(_("Waiting for a session of %(shop)s to open.", shop=config.name))
        payment_method = company.orderweb_payment_method_id
        if payment_method and payment_method not in config.payment_method_ids:
            raise UserError(_(
                "The online payment method %(method)s is not enabled on %(shop)s.",
                method=payment_method.name, shop=config.name))

        # As Odoo's own imports do, the record says where it came from (its online order,
        # whose chatter tells the import) rather than logging its creation and followers.
        PosOrder = self.with_company(company)._orderweb_as_import().with_context(tracking_disable=True)
        order_vals = PosOrder._prepare_orderweb_values(prepared, session)
        made = PosOrder.sudo().search([('uuid', '=', order_vals['uuid'])], limit=1)  # any company's
        if made:
            # Made by this import before (a crash lost the link, not the order): link, never redo.
            # Only what the import itself marked counts; the marks are out of any client's
            # reach (orderweb.origin.mixin), the uuid too (_orderweb_uuid).
            if made.company_id != company or made.orderweb_number != prepared.number \
                    or made.orderweb_order_id.id not in (prepared.online_order_id, False):
                raise UserError(_(
                    "The POS order %(order)s of %(shop)s already holds the reference reserved for this "
                    "online order, but the import did not make it: check that order (it may have been "
                    "made on purpose to hide this one), then cancel it and retry.",
                    order=made.name, shop=made.config_id.name))
            made.orderweb_order_id = prepared.online_order_id
            return made
        result = PosOrder.sync_from_ui([order_vals])
        pos_order = PosOrder.browse(result['pos.order'][0]['id'])
        pos_order._orderweb_balance(prepared)
        if pos_order.orderweb_status == 'accepted':
            pos_order._orderweb_stamp_steps('accepted')
        elif pos_order.orderweb_status == 'scheduled':
            # Fired on time by the cron, woken for it (it also runs every minute).
            self.env.ref('pos_orderweb.ir_cron_orderweb_fire').sudo()._trigger(
                self._orderweb_fire_at(prepared, config))
        if payment_method:
            pos_order.add_payment({
                'pos_order_id': pos_order.id,
                'amount': pos_order.amount_total,
                'payment_method_id': payment_method.id,
                'name': _("Paid on OrderWeb"),
                'payment_date': fields.Datetime.now(),
            })
            pos_order._process_saved_order(False)
        return pos_order

    @api.model
    def _prepare_orderweb_values(self, prepared, session):
        """The values ``sync_from_ui`` takes for the POS order of an online order, lines included.

        Its uuid comes from ``_orderweb_uuid``: the same order always yields the same uuid.

        :param prepared: the ``prepared.PreparedOrder`` of the online order
        """
        orderweb_order, number = prepared.orderweb_order, prepared.number
        config = session.config_id
        # config.currency_id, from its stored sources: on 18.0 that field is computed anew per order.
        currency = config.journal_id.currency_id or config.company_id.sudo().currency_id
        fiscal_position = config.default_fiscal_position_id
        order_uuid = self._orderweb_uuid(prepared.company, prepared.orderweb_id)
        PosOrderLine = self.env['pos.order.line']
        line_vals = [
            PosOrderLine._prepare_orderweb_line_values(
                line, f'{order_uuid}:{index}', currency,
                item_uuid=line.item is not None and f"{order_uuid}:{line.item}")
            for index, line in enumerate(prepared.priced_lines(fiscal_position, currency))
        ]
        line_vals += [
            PosOrderLine._prepare_orderweb_line_values(line, f'{order_uuid}:adjustment:{index}', currency)
            for index, line in enumerate(prepared.priced_charges(fiscal_position, currency))
        ]
        reference = _("OrderWeb %(number)s", number=number)
        # Named here, each line takes no number from the shop's line sequence: on 19.0 a no-gap
        # one, whose row a batch of imports would hold locked until it commits, failing the
        # other import workers' lines meanwhile.
        for position, vals in enumerate(line_vals, 1):
            vals['name'] = f'{reference}/{position}'
        digits = re.findall(r'\d+', number)
        scheduled_for = orderweb_order.scheduled_for
        # An order for later is held until its time (_cron_orderweb_fire), a trusted one for now
        # accepted at once if the shop says so; a flagged one always waits for the cashier.
        status = 'scheduled' if prepared.later and self._orderweb_fire_at(prepared, config) > fields.Datetime.now() \
            else 'accepted' if config.orderweb_auto_accept and not prepared.flags else 'new'
        return {
            **pos_reference_values(reference, number),
            'uuid': order_uuid,
            'session_id': session.id,
            'sequence_number': int(digits[-1][-6:]) if digits else 0,
            'user_id': session.user_id.id or self.env.uid,  # config.current_user_id: the session's
            'partner_id': prepared.customer.id,
            'date_order': fields.Datetime.to_string(fields.Datetime.now()),
            'fiscal_position_id': fiscal_position.id,
            'pricelist_id': config.pricelist_id.id,
            'state': 'draft',
            POS_ORDER_NOTE: orderweb_order.special_instructions or '',
            'lines': [(0, 0, vals) for vals in line_vals],
            'payment_ids': [],
            'amount_paid': 0,
            'amount_return': 0,
            'amount_tax': currency.round(
                sum(vals['price_subtotal_incl'] - vals['price_subtotal'] for vals in line_vals)),
            'amount_total': currency.round(sum(vals['price_subtotal_incl'] for vals in line_vals)),
            'orderweb_order_id': prepared.online_order_id,
            'orderweb_number': number,
            'orderweb_type': orderweb_order.order_type,
            'orderweb_scheduled_for': scheduled_for and scheduled_for.replace(tzinfo=None),
            'orderweb_prepaid': bool(prepared.company.orderweb_payment_method_id),
            'orderweb_status': status,
        }

    @api.model
    def _orderweb_fire_at(self, prepared, config):
        """When an order for later reaches the kitchen's list: its time minus the shop's preparation minutes."""
        return prepared.orderweb_order.scheduled_for.replace(tzinfo=None) - timedelta(
            minutes=config.orderweb_preparation_minutes)

    @api.model
    def _orderweb_uuid(self, company, orderweb_id):
        """The uuid of the POS order of the OrderWeb order ``orderweb_id`` of ``company``: always
        the same for one OrderWeb order and company (a re-import finds what an interrupted one
        made), and out of any client's reach: keyed by the database secret, so that no cashier
        can take it first with an order of their own (``sync_from_ui`` would then update theirs, or the import link it).
        """
        secret = self.env['ir.config_parameter'].sudo().get_param('database.secret')
        digest = hmac.new(secret.encode(), f'pos_orderweb:{company.id}:{orderweb_id}'
                          .encode(), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def _orderweb_balance(self, prepared):
        """Give what Odoo's rounding of taxes truly leaves between its total and what the
        customer paid (taxes rounded over the whole order rather than per line, as the
        lines were computed) a line of its own, without tax: every other line keeps the
        customer's price."""
        self.ensure_one()
        currency = self.config_id.currency_id
        # Rounded per line, or without taxes to round, the amounts given to sync_from_ui are what
        # Odoo computes: recompute only when Odoo rounds otherwise.
        if self.config_id.cash_rounding or (self.company_id.tax_calculation_rounding_method != 'round_per_line'
                                            and self.lines.tax_ids):
            self._compute_prices()
        residual = prepared.rounding(self.amount_total, currency)
        if residual:
            self.write({'lines': [(0, 0, self.env['pos.order.line']._prepare_orderweb_adjustment_values(
                f'{self.uuid}:rounding', f'{self.pos_reference}/{len(self.lines) + 1}', _("Tax rounding"), residual,
                prepared.adjustment_product))]})
            self._compute_prices()

    def read_pos_data(self, data, config_id):
        # sync_from_ui hands the screen that saved the orders everything of them; the import
        # has no screen and keeps only the ids (what other modules' sync_from_ui reads too).
        if not self._orderweb_origin_allowed():
            return super().read_pos_data(data, config_id)
        return {
            'pos.order': [{'id': order_id} for order_id in self.ids],
            **{model: [] for model in ('pos.session', 'pos.payment', 'pos.order.line', 'pos.pack.operation.lot',
                                       'product.attribute.custom.value')},
        }

    # pos.order has no _load_pos_data_fields of its own (empty list = every field), so the
    # orderweb_* fields reach the POS screens without an override; extending that list
    # would restrict the POS to the fields named in it.

    @api.model
    def _process_order(self, order, existing_order):
        pos_order_id = super()._process_order(order, existing_order)
        if not existing_order:
            self.browse(pos_order_id)._orderweb_name_unpaid()
        return pos_order_id

    def _orderweb_name_unpaid(self):
        # Odoo names an order from the shop's sequence when it is paid, '/' until then (the
        # POS screen only uses pos_reference). An online order waits unpaid in the backend
        # lists too: it takes its name now, which payment then keeps.
        for order in self.filtered(lambda order: order.orderweb_order_id and order.name == '/'):
            order.name = order._compute_order_name()

    def write(self, vals):
        # Only the orderweb_* methods (and the import, the fire cron) move the status: the mixin
        # drops it from anyone else.
        moving = self._orderweb_origin_allowed() and vals.get('orderweb_status')
        fired = self.filtered(lambda order: order.orderweb_status == 'scheduled') \
            if moving and moving != 'scheduled' else self.browse()
        result = super().write(vals)
        if fired:
            fired.write({'orderweb_fired_at': fields.Datetime.now()})
            fired._orderweb_log(_("Its time came: on the kitchen's list."))
        if moving in ORDERWEB_STEP_FIELDS:
            self._orderweb_stamp_steps(moving)
        return result

    def _orderweb_stamp_steps(self, status):
        """Note when each order first reached ``status``, and the steps before it (an order
        handed over straight from accepted was ready no later than that), in its online
        order's chatter too."""
        now = fields.Datetime.now()
        steps = list(ORDERWEB_STEP_FIELDS)
        reached = self.filtered(lambda order: not order[ORDERWEB_STEP_FIELDS[status]])
        for step in steps[:steps.index(status) + 1]:
            field_name = ORDERWEB_STEP_FIELDS[step]
            self.filtered(lambda order: not order[field_name]).write({field_name: now})
        reached._orderweb_log({
            'accepted': _("Accepted: on its way to the kitchen."),
            'ready': _("Marked ready."),
            'done': _("Done: handed over."),
        }[status])

    def _orderweb_log(self, text):
        """Say ``text`` (no customer's words) in the chatter of these orders' online orders,
        as the user who did it: the POS order's own chatter says only where it came from."""
        online_orders = self.orderweb_order_id
        if online_orders:
            online_orders._message_log_batch(dict.fromkeys(online_orders.ids, escape(text)))

    def _orderweb_unmapped_items(self):
        """The mappings, still without a product, of the items this order imported as placeholders."""
        self.ensure_one()
        return self.orderweb_order_id.unmapped_item_ids.filtered(lambda mapping: not mapping.product_id)

    def action_orderweb_map_items(self):
        """The mappings of the items this order imported as placeholders, ready to be mapped."""
        self.ensure_one()
        self.check_access('read')
        return {
            **self.env['ir.actions.act_window']._for_xml_id('pos_orderweb.action_orderweb_product_map'),
            'domain': [('id', 'in', self._orderweb_unmapped_items().ids)],
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_except_orderweb(self):
        # The POS order is the shop's record of what a customer ordered (and maybe paid)
        # online: it only goes away once deliberately cancelled (backend "Cancel Order").
        online = self.filtered('orderweb_order_id')
        if online and not (self.env.su or self.env.user.has_group('point_of_sale.group_pos_manager')):
            raise UserError(_(
                "Only a Point of Sale manager can delete online orders: %(orders)s.",
                orders=", ".join(online.mapped('orderweb_number'))))
        online = online.filtered(lambda order: order.state != 'cancel')
        if online:
            raise UserError(_(
                "Online orders cannot be deleted: %(orders)s. Cancel them first if the customer cancelled.",
                orders=", ".join(online.mapped('orderweb_number'))))

    def _orderweb_imported(self):
        """These POS orders were just imported (``orderweb.order._import``, once per batch and
        transaction, only those whose import went through): the shops' screens are told."""
        self._orderweb_send_notification()

    def _orderweb_send_notification(self):
        """Alert the open POS screens of each shop that online orders arrived.

        ``sync_from_ui``, which created the orders, already sent SYNCHRONISATION, so the
        screens load new draft orders like those of another device. ORDERWEB_NEW_ORDER
        makes them ring and show the order; prepaid orders are already paid, which that
        synchronisation skips, so the screens read them by id. Only ids travel: the bus
        channel is the shop's token, shared with its customer display (as
        pos_online_payment does, the screens read the rest over RPC).
        """
        for config in self.config_id:
            config._notify('ORDERWEB_NEW_ORDER', {
                'order_ids': self.filtered(lambda order: order.config_id == config).ids,
            })

    # ------------------------------------------------------------------
    # Called by the POS screen (Online orders): accept, ready, done
    # ------------------------------------------------------------------

    def _orderweb_check_screen_access(self):
        """Whoever calls a POS screen's method may handle these POS orders: a POS user of their
        company. Checked before anything of them is read, and refused without naming them:
        whoever may not handle them learns nothing of them (nor of their customers)."""
        try:
            self.check_access('write')
        except AccessError:
            raise AccessError(_("Only the Point of Sale users of their company may handle these orders.")) from None

    def orderweb_accept(self, config_id, acknowledge_flags=False):
        """Accept the online orders; a flagged one only once the cashier acknowledged its flags
        (kept on the order: who, when). Accepting is what sends the kitchen ticket: the screens
        claim it then (``orderweb_kitchen_claim``)."""
        self._orderweb_check_screen_access()
        unacknowledged = self.filtered(
            lambda order: order.orderweb_flagged and not order.orderweb_flags_acknowledged_by)
        if unacknowledged:
            if not acknowledge_flags:
                # Numbers only: the screen shows the flags, an error also goes to the server's log.
                raise UserError(_(
                    "%(orders)s is flagged: acknowledge its flags before accepting it.",
                    orders=", ".join(unacknowledged.mapped('orderweb_number'))))
            unacknowledged._orderweb_as_import().write({
                'orderweb_flags_acknowledged_by': self.env.uid,
                'orderweb_flags_acknowledged_at': fields.Datetime.now(),
            })
            unacknowledged._orderweb_log(_("Red flags acknowledged by %(user)s.", user=self.env.user.name))
        # An order for later too: the cashier may accept it early, on purpose (its time is then moot).
        return self._orderweb_set_status('accepted', ('new', 'scheduled'), config_id)

    def _orderweb_screen(self):
        """The calling screen among its user's: the login number its requests carry."""
        return self.env.context.get('login_number') or 0

    def orderweb_kitchen_claim(self):
        """Claim the sending of these accepted orders' kitchen tickets for the calling screen.

        Several screens of a shop learn at once of an order accepted (by a cashier, on arrival,
        when its time came): the one that claims it first prints it, the others leave it. A
        claim not followed by ``orderweb_kitchen_sent`` within KITCHEN_CLAIM_TIMEOUT seconds
        (the screen closed or reloaded mid-way) lapses, and the next screen to ask sends it.
        An order marked ready before its ticket went out can still be claimed: the kitchen
        gets every accepted order's ticket once.

        :return: the ids of the orders this screen must send
        """
        if not self:
            return []
        self._orderweb_check_screen_access()
        self.flush_recordset()
        claimable = self._orderweb_lock_claimable(self.ids)
        if claimable:
            self.env.cr.execute(SQL(
                """UPDATE pos_order SET orderweb_kitchen_claimed_at = %(now)s, orderweb_kitchen_claimed_by = %(uid)s,
                          orderweb_kitchen_claim_screen = %(screen)s
                    WHERE id = ANY(%(ids)s)""",
                ids=claimable, now=fields.Datetime.now(), uid=self.env.uid, screen=self._orderweb_screen()))
            self.invalidate_recordset(['orderweb_kitchen_claimed_at', 'orderweb_kitchen_claimed_by',
                                       'orderweb_kitchen_claim_screen'])
        return claimable

    def _orderweb_lock_claimable(self, order_ids):
        """Lock those of ``order_ids`` whose kitchen ticket is free to claim.

        Orders another screen is claiming (it holds their lock) are skipped; one that another
        screen claimed, or anyone changed, since this transaction began cannot be locked in its
        snapshot (the database refuses to serialize it): skipped too, without an error logged,
        each of the others then locked alone. The screens ask again every few seconds.

        :return: the ids locked
        """
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    """SELECT id FROM pos_order
                        WHERE id = ANY(%(ids)s) AND orderweb_status IN ('accepted', 'ready')
                          AND orderweb_sent_at IS NULL
                          AND (orderweb_kitchen_claimed_at IS NULL OR orderweb_kitchen_claimed_at < %(lapsed)s)
                          FOR NO KEY UPDATE SKIP LOCKED""",
                    ids=order_ids, lapsed=fields.Datetime.now() - timedelta(seconds=KITCHEN_CLAIM_TIMEOUT)),
                    log_exceptions=False)
                return [order_id for (order_id,) in self.env.cr.fetchall()]
        except psycopg2.errors.SerializationFailure:
            if len(order_ids) == 1:
                return []
            return [locked for order_id in order_ids for locked in self._orderweb_lock_claimable([order_id])]

    def orderweb_kitchen_sent(self):
        """The calling screen sent these orders' kitchen tickets: noted for the accepted orders
        whose claim it holds (of a lapsed claim another screen took since, the other's counts).

        :return: the ids of the orders noted as sent
        """
        self._orderweb_check_screen_access()
        held = self.filtered(lambda order: (
            order.orderweb_status in ('accepted', 'ready', 'done') and not order.orderweb_sent_at
            and order.orderweb_kitchen_claimed_by == self.env.user
            and order.orderweb_kitchen_claim_screen == self._orderweb_screen()))
        held._orderweb_as_import().write({'orderweb_sent_at': fields.Datetime.now()})
        return held.ids

    def orderweb_ready(self, config_id):
        """Mark the accepted online orders ready. A new one is refused: accepting it first is
        what acknowledges its flags and sends its kitchen ticket, and a cashier marks ready
        what the kitchen made from that ticket."""
        self._orderweb_check_screen_access()
        self._orderweb_check_accepted()
        return self._orderweb_set_status('ready', ('accepted',), config_id)

    def orderweb_done(self, config_id):
        """Hand the accepted or ready online orders over, once paid; a new one is refused as
        by ``orderweb_ready``."""
        self._orderweb_check_screen_access()
        self._orderweb_check_accepted()
        to_pay = self.filtered(lambda order: order.state == 'draft')
        if to_pay:
            raise UserError(_(
                "Take the payment of %(orders)s before marking it done.",
                orders=", ".join(to_pay.mapped('orderweb_number'))))
        return self._orderweb_set_status('done', ('accepted', 'ready'), config_id)

    def _orderweb_check_accepted(self):
        unaccepted = self.filtered(lambda order: order.orderweb_status in ('scheduled', 'new'))
        if unaccepted:
            raise UserError(_(
                "Accept %(orders)s first: accepting it checks its red flags and sends its kitchen ticket.",
                orders=", ".join(unaccepted.mapped('orderweb_number'))))

    @api.model
    def _cron_orderweb_fire(self):
        """Move each order for later whose time has come (its time minus its shop's preparation
        minutes) to the kitchen's list: accepted if its shop accepts automatically and it is not
        flagged, else new; its shop's screens ring. Each is moved once: by its status, under the
        row's lock. Only in an open session: one left in a closed session fires once the next
        session took it over (pos.session._orderweb_take_over)."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """SELECT po.id FROM pos_order po
                 JOIN pos_session ps ON ps.id = po.session_id
                 JOIN pos_config pc ON pc.id = ps.config_id
                WHERE po.orderweb_status = 'scheduled' AND ps.state IN ('opening_control', 'opened')
                  AND po.orderweb_scheduled_for - make_interval(mins => coalesce(pc.orderweb_preparation_minutes, 0))
                      <= %(now)s
                  AND po.state != 'cancel'
                  FOR NO KEY UPDATE OF po SKIP LOCKED""", now=fields.Datetime.now()))
        due = self.sudo().browse([order_id for (order_id,) in self.env.cr.fetchall()])
        if not due:
            return
        auto = due.filtered(lambda order: order.config_id.orderweb_auto_accept and not order.orderweb_flagged)
        (due - auto)._orderweb_as_import().write({'orderweb_status': 'new'})
        auto._orderweb_as_import().write({'orderweb_status': 'accepted'})
        due._orderweb_send_notification()

    def _orderweb_set_status(self, status, from_statuses, config_id):
        """Move the online orders still in ``from_statuses`` to ``status``.

        Orders already further on (another screen was quicker) are left as they are; all
        of them are returned in the POS data format, so the calling screen shows the truth.
        """
        not_online = self.filtered(lambda order: not order.orderweb_order_id)
        if not_online:
            raise UserError(_("%(orders)s is not an online order.", orders=", ".join(not_online.mapped('name'))))
        to_move = self.filtered(lambda order: order.orderweb_status in from_statuses)
        to_move._orderweb_as_import().write({'orderweb_status': status})
        for config in to_move.config_id:
            # The other screens of the shop re-read these orders: SYNCHRONISATION would skip
            # the paid ones (prepaid orders are paid from the start).
            config._notify('ORDERWEB_ORDER_STATUS', {
                'order_ids': to_move.filtered(lambda order: order.config_id == config).ids,
                'login_number': self.env.context.get('login_number', 0),
            })
        return self.read_pos_data([], config_id)

