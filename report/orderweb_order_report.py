from odoo import fields, models, tools
from odoo.tools import SQL

from ..const import ONLINE_ORDER_CHANNELS, ONLINE_ORDER_STATES, ORDERWEB_STATUSES, PLATFORM_TIME_TRUST_HOURS

WEEKDAYS = [
    ('1', "Monday"), ('2', "Tuesday"), ('3', "Wednesday"), ('4', "Thursday"),
    ('5', "Friday"), ('6', "Saturday"), ('7', "Sunday"),
]


class OrderWebOrderReport(models.Model):
    """One row per online order received: when, how, how much, and how fast the shop served it.

    Hours and weekdays are in the company's timezone (that of its contact, UTC if unset):
    the database groups them, for every user alike. An average of minutes counts only the
    orders that reached its step: the counts beside it say how many did, and how many wait.
    """
    _name = 'orderweb.order.report'
    _description = "Online Orders Analysis"
    _auto = False
    _order = 'date desc'
    _rec_name = 'online_order_id'

    online_order_id = fields.Many2one('orderweb.order', readonly=True)
    name = fields.Char(string="Order Number", readonly=True)
    date = fields.Datetime(string="Received", readonly=True)
    hour_of_day = fields.Integer(string="Hour of Day", readonly=True, aggregator=False)
    weekday = fields.Selection(WEEKDAYS, readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)
    currency_id = fields.Many2one('res.currency', readonly=True)
    channel = fields.Selection(ONLINE_ORDER_CHANNELS, string="Arrived By", readonly=True)
    state = fields.Selection(ONLINE_ORDER_STATES, string="Import Status", readonly=True)
    order_type = fields.Char(readonly=True)
    amount_total = fields.Monetary(string="Revenue", readonly=True, help="What the customer paid, as OrderWeb sent it.")
    pos_order_id = fields.Many2one('pos.order', string="POS Order", readonly=True)
    sale_order_id = fields.Many2one('sale.order', string="Sales Order", readonly=True)
    config_id = fields.Many2one('pos.config', string="Point of Sale", readonly=True)
    pos_status = fields.Selection(ORDERWEB_STATUSES, string="POS Status", readonly=True)
    minutes_to_accept = fields.Float(
        string="Minutes to Accept", readonly=True, aggregator='avg', digits=(16, 1),
        help="From receiving the order to its acceptance on the POS, on average.")
    minutes_to_ready = fields.Float(
        string="Minutes to Ready", readonly=True, aggregator='avg', digits=(16, 1),
        help="From receiving the order to marking it ready on the POS, on average.")
    minutes_to_done = fields.Float(
        string="Minutes to Done", readonly=True, aggregator='avg', digits=(16, 1),
        help="From receiving the order to marking it done on the POS, on average.")
    # The customer's wait, step by step.
    minutes_created_to_imported = fields.Float(
        string="Minutes Created to Imported", readonly=True, aggregator='avg', digits=(16, 1),
        help="From the customer placing the order on OrderWeb to its import into Odoo, on average. "
             "Orders whose OrderWeb time is far from when Odoo received them are left out (see Doubtful "
             "OrderWeb Times).")
    created_at_doubtful = fields.Boolean(
        string="Doubtful OrderWeb Time", readonly=True,
        help="OrderWeb's time of the order is more than a day away from when Odoo received it: kept on the "
             "order as sent, left out of the delays.")
    created_at_doubtful_count = fields.Integer(
        string="Doubtful OrderWeb Times", readonly=True,
        help="Orders whose OrderWeb time is more than a day away from when Odoo received them: left out of "
             "Minutes Created to Imported.")
    minutes_imported_to_accepted = fields.Float(
        string="Minutes Imported to Accepted", readonly=True, aggregator='avg', digits=(16, 1),
        help="From the import to the order's acceptance (by the cashier, or on its own), on average. "
             "Orders for later count from their firing time.")
    accepted_count = fields.Integer(
        string="Accepted", readonly=True,
        help="Orders accepted on the POS: the averages of minutes to accept count these only.")
    waiting_count = fields.Integer(
        string="Waiting Now", readonly=True,
        help="Orders on the kitchen's list that no one accepted yet.")
    minutes_waiting = fields.Float(
        string="Longest Wait Now (min)", readonly=True, aggregator='max', digits=(16, 1),
        help="How long the orders not accepted yet have waited so far, since their import or their firing "
             "time: the longest.")
    minutes_accepted_to_ready = fields.Float(
        string="Minutes Accepted to Ready", readonly=True, aggregator='avg', digits=(16, 1),
        help="From acceptance to the order marked ready, on average: the kitchen's time.")
    pulled_rate = fields.Float(
        string="First Seen by the Pull (%)", readonly=True, aggregator='avg', digits=(16, 1),
        help="Share of the orders that reached Odoo by the pull rather than the live connection: "
             "pushes OrderWeb failed to deliver, or sent while the connection was down.")
    flagged = fields.Boolean(string="Red Flags", readonly=True)
    untouched = fields.Boolean(
        string="Imported Untouched", readonly=True,
        help="Imported at its first attempt: never in error, so no person had to fix or retry it. "
             "Waiting for the POS session to open is normal and counts as untouched.")
    untouched_rate = fields.Float(
        string="Imported Untouched (%)", readonly=True, aggregator='avg', digits=(16, 1),
        help="Share of the orders imported at their first attempt, with no person fixing or retrying them.")

    def _select(self):
        return SQL("""
            SELECT
                oo.id AS id,
                oo.id AS online_order_id,
                oo.name AS name,
                oo.received_at AS date,
                extract(hour FROM timezone(coalesce(nullif(cp.tz, ''), 'UTC'),
                                           oo.received_at AT TIME ZONE 'UTC'))::int AS hour_of_day,
                extract(isodow FROM timezone(coalesce(nullif(cp.tz, ''), 'UTC'),
                                             oo.received_at AT TIME ZONE 'UTC'))::int::text AS weekday,
                oo.company_id AS company_id,
                c.currency_id AS currency_id,
                oo.channel AS channel,
                oo.state AS state,
                oo.order_type AS order_type,
                oo.amount_total AS amount_total,
                oo.pos_order_id AS pos_order_id,
                oo.sale_order_id AS sale_order_id,
                ps.config_id AS config_id,
                po.orderweb_status AS pos_status,
                extract(epoch FROM po.orderweb_accepted_at - oo.received_at) / 60 AS minutes_to_accept,
                extract(epoch FROM po.orderweb_ready_at - oo.received_at) / 60 AS minutes_to_ready,
                extract(epoch FROM po.orderweb_done_at - oo.received_at) / 60 AS minutes_to_done,
                CASE WHEN NOT %(doubtful)s
                    THEN extract(epoch FROM oo.imported_at - oo.created_at) / 60 END AS minutes_created_to_imported,
                %(doubtful)s AS created_at_doubtful,
                CASE WHEN %(doubtful)s THEN 1 ELSE 0 END AS created_at_doubtful_count,
                -- An order for later waits for the kitchen from its firing, as kept when it fired.
                extract(epoch FROM po.orderweb_accepted_at - coalesce(po.orderweb_fired_at, oo.imported_at)) / 60
                    AS minutes_imported_to_accepted,
                CASE WHEN po.orderweb_accepted_at IS NOT NULL THEN 1 ELSE 0 END AS accepted_count,
                CASE WHEN po.orderweb_status = 'new' THEN 1 ELSE 0 END AS waiting_count,
                CASE WHEN po.orderweb_status = 'new' THEN extract(epoch FROM
                    timezone('UTC', statement_timestamp()) - coalesce(po.orderweb_fired_at, oo.imported_at)) / 60
                END AS minutes_waiting,
                extract(epoch FROM po.orderweb_ready_at - po.orderweb_accepted_at) / 60 AS minutes_accepted_to_ready,
                CASE WHEN oo.channel = 'pull' THEN 100.0 ELSE 0.0 END AS pulled_rate,
                coalesce(oo.flagged, false) AS flagged,
                (oo.state = 'done' AND coalesce(oo.attempt_count, 0) <= 1) AS untouched,
                CASE WHEN oo.state = 'done' AND coalesce(oo.attempt_count, 0) <= 1 THEN 100.0 ELSE 0.0 END
                    AS untouched_rate
        """, doubtful=SQL(
            "coalesce(abs(extract(epoch FROM oo.received_at - oo.created_at)) > %s, false)",
            PLATFORM_TIME_TRUST_HOURS * 3600))

    def _from(self):
        return SQL("""
            FROM orderweb_order oo
            JOIN res_company c ON c.id = oo.company_id
            JOIN res_partner cp ON cp.id = c.partner_id
            LEFT JOIN pos_order po ON po.id = oo.pos_order_id
            LEFT JOIN pos_session ps ON ps.id = po.session_id
        """)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s %s)",
                                SQL.identifier(self._table), self._select(), self._from()))
