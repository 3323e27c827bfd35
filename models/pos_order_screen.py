"""An online order's life on the POS screen: accepted (its red flags acknowledged), its kitchen
ticket claimed and sent by one screen, ready, done; an order for later fired when its time comes
(``_cron_orderweb_fire``). The status moves only through these methods, each step stamped and
told in its online order's chatter."""
from datetime import timedelta

import psycopg2
from markupsafe import escape

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..const import KITCHEN_CLAIM_TIMEOUT, ORDERWEB_STEP_FIELDS


class PosOrder(models.Model):
    _inherit = 'pos.order'

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
