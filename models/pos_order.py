"""The POS order of an online order: its fields, and how the import makes it (the values
``sync_from_ui`` takes, its uuid, its balance). Its life on the POS screen is in
pos_order_screen.py, its backend side in pos_order_backend.py."""
import hashlib
import hmac
import re
import uuid
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..compat import POS_ORDER_NOTE, READ_POS_DATA_MODELS, pos_reference_values, sql_constraints
from ..const import ORDERWEB_STATUSES, ORDERWEB_STEP_FIELDS
from ..prepared import ImportWaits

ORDERWEB_ORIGIN_FIELDS = (
    'orderweb_order_id', 'orderweb_number', 'orderweb_type', 'orderweb_scheduled_for',
    'orderweb_prepaid', 'orderweb_status', 'orderweb_sent_at', 'orderweb_kitchen_claimed_at',
    'orderweb_kitchen_claimed_by', 'orderweb_kitchen_claim_screen', 'orderweb_fired_at',
    'orderweb_flags_acknowledged_by', 'orderweb_flags_acknowledged_at',
)


@sql_constraints(
    orderweb_order_uniq=(
        'unique(orderweb_order_id)',
        "An OrderWeb order can only become one POS order."),
)
class PosOrder(models.Model):
    _name = 'pos.order'
    _inherit = ['pos.order', 'orderweb.origin.mixin']
    # The screens and RPC read these; the import sets them and the orderweb_* methods of the
    # screen (pos_order_screen.py) move the status: the cashier's screen sends them back on every save, ignored.
    _orderweb_origin_fields = (*ORDERWEB_ORIGIN_FIELDS, *ORDERWEB_STEP_FIELDS.values())

    orderweb_order_id = fields.Many2one(
        'orderweb.order', string="Online Order", readonly=True, copy=False, index='btree_not_null',
        ondelete='restrict')
    orderweb_number = fields.Char(string="Online Order No.", readonly=True, copy=False, index='btree_not_null')
    orderweb_type = fields.Char(string="Online Order Type Sent", readonly=True, copy=False)
    orderweb_type_label = fields.Char(related='orderweb_order_id.order_type_label', string="Online Order Type")
    orderweb_scheduled_for = fields.Datetime(string="Scheduled For", readonly=True, copy=False)
    orderweb_prepaid = fields.Boolean(string="Paid Online", readonly=True, copy=False)
    orderweb_status = fields.Selection(
        ORDERWEB_STATUSES, string="Online Order Status", readonly=True, copy=False,
        help="Where the order stands on the POS screen; Done: handed over to the customer.")
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
    orderweb_imported_at = fields.Datetime(related='orderweb_order_id.imported_at', string="Imported At")
    # The customer's special instructions, in the note field of the series (compat.py).
    orderweb_instructions = fields.Text(related=POS_ORDER_NOTE, string="Special Instructions")
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
        # Every model the series' answer holds (compat.py), empty but the orders' ids.
        return {model: [] for model in READ_POS_DATA_MODELS} | {
            'pos.order': [{'id': order_id} for order_id in self.ids]}

    # pos.order has no _load_pos_data_fields of its own (empty list = every field), so the
    # orderweb_* fields reach the POS screens without an override; extending that list
    # would restrict the POS to the fields named in it.

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
