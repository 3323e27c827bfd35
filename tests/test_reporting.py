"""What a manager sees of online orders in the backend: step times, order names, line names, the analysis."""
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import OrderWebCommon, company_user, new_order


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S+00:00')


MYSTERY = {'id': 'item-mystery', 'name': 'Mystery dish', 'price': 5, 'quantity': 1,
           'selectedAddons': [{'id': 'addon-secret', 'name': 'Secret sauce', 'price': 1, 'quantity': 1}]}


@tagged('post_install', '-at_install')
class TestOnlineOrderBackend(OrderWebCommon):

    def setUp(self):
        super().setUp()
        self.session = self.open_new_session()

    def pay(self, pos_order):
        pos_order.add_payment({
            'pos_order_id': pos_order.id, 'amount': pos_order.amount_total,
            'payment_method_id': self.cash_pm1.id, 'payment_date': fields.Datetime.now(),
        })
        pos_order.action_pos_order_paid()

    def test_steps_are_stamped_when_the_status_moves(self):
        pos_order = self.receive(new_order()).pos_order_id
        steps = ('orderweb_accepted_at', 'orderweb_ready_at', 'orderweb_done_at')
        self.assertEqual([pos_order[step] for step in steps], [False] * 3)

        pos_order.orderweb_accept(self.config.id)
        accepted_at = pos_order.orderweb_accepted_at
        self.assertTrue(accepted_at)
        self.assertEqual([pos_order.orderweb_ready_at, pos_order.orderweb_done_at], [False, False])

        # A second screen accepting it again changes nothing, the first acceptance counts.
        # Back-dated as the import may (the step fields are the import's to write).
        pos_order._orderweb_as_import().orderweb_accepted_at = accepted_at - timedelta(minutes=3)
        pos_order.orderweb_accept(self.config.id)
        self.assertEqual(pos_order.orderweb_accepted_at, accepted_at - timedelta(minutes=3))

        pos_order.orderweb_ready(self.config.id)
        self.assertTrue(pos_order.orderweb_ready_at)
        self.pay(pos_order)
        pos_order.orderweb_done(self.config.id)
        self.assertTrue(pos_order.orderweb_done_at)
        self.assertEqual(pos_order.orderweb_accepted_at, accepted_at - timedelta(minutes=3))

    def test_a_skipped_step_is_reached_with_the_next(self):
        pos_order = self.receive(new_order()).pos_order_id
        pos_order.orderweb_accept(self.config.id)
        self.pay(pos_order)
        pos_order.orderweb_done(self.config.id)
        self.assertTrue(pos_order.orderweb_done_at)
        self.assertEqual(pos_order.orderweb_ready_at, pos_order.orderweb_done_at, "handed over: ready by then")

    def test_unpaid_online_order_has_a_reference(self):
        pos_order = self.receive(new_order(orderNumber='KIT-0042')).pos_order_id
        self.assertEqual(pos_order.state, 'draft')
        self.assertNotEqual(pos_order.name, '/')
        self.assertTrue(pos_order.name.startswith(self.config.name), pos_order.name)
        self.assertIn('KIT-0042', pos_order.pos_reference)
        name = pos_order.name
        self.pay(pos_order)
        self.assertEqual(pos_order.name, name, "payment keeps the name given at import")

    def test_lines_show_and_find_the_ordered_name(self):
        pos_order = self.receive(new_order(items=[MYSTERY], totalAmount=6)).pos_order_id
        item_line, addon_line = pos_order.lines.sorted('id')
        placeholder = self.env.ref('pos_orderweb.product_orderweb_item')
        self.assertEqual(item_line.product_id, placeholder, "the placeholder product stays visible as such")
        self.assertEqual(item_line.display_name, 'Mystery dish')
        self.assertEqual(addon_line.display_name, '+ Secret sauce')
        Line = self.env['pos.order.line']
        self.assertEqual(Line.search([('display_name', 'ilike', 'mystery dish')]), item_line)
        self.assertIn(item_line.id, [line_id for line_id, _name in Line.name_search('Mystery')])
        # The order list's "Product" search finds the order by the name ordered.
        self.assertIn(pos_order, self.env['pos.order'].search(
            ['|', ('lines.product_id', 'ilike', 'Mystery'), ('lines.full_product_name', 'ilike', 'Mystery')]))
        # An export of the order's lines reads the names ordered.
        exported = pos_order._export_rows([['lines']])
        self.assertEqual([row[0] for row in exported], ['Mystery dish', '+ Secret sauce'])

    def test_unmapped_items_are_reachable_from_the_order(self):
        pos_order = self.receive(new_order(items=[MYSTERY], totalAmount=6)).pos_order_id
        self.assertEqual(pos_order.orderweb_unmapped_count, 2)
        action = pos_order.action_orderweb_map_items()
        mappings = self.env['orderweb.product.map'].search(action['domain'])
        self.assertEqual(sorted(mappings.mapped('orderweb_item_id')), ['addon-secret', 'item-mystery'])
        self.assertEqual(action['res_model'], 'orderweb.product.map')
        mappings.filtered(lambda mapping: mapping.orderweb_item_id == 'item-mystery').product_id = self.burger
        pos_order.invalidate_recordset(['orderweb_unmapped_count'])
        self.assertEqual(pos_order.orderweb_unmapped_count, 1)
        # An order whose items are all known has nothing to map.
        self.assertEqual(self.receive(new_order()).pos_order_id.orderweb_unmapped_count, 0)

    def test_the_count_of_items_to_map_reads_what_the_import_kept_not_the_payload(self):
        # Every POS screen loads every order's fields: the count must not read payloads again.
        online_order = self.receive(new_order(items=[MYSTERY], totalAmount=6))
        self.assertEqual(online_order.unmapped_item_ids.mapped('orderweb_item_id'), ['item-mystery', 'addon-secret'])
        self.env.flush_all()
        self.env.cr.execute("UPDATE orderweb_order SET payload = 'not JSON' WHERE id = %s", [online_order.id])
        self.env.invalidate_all()
        # Read from the payload, an unreadable one would give 0.
        self.assertEqual(online_order.pos_order_id.orderweb_unmapped_count, 2)


@tagged('post_install', '-at_install')
class TestOnlineOrdersAnalysis(OrderWebCommon):

    def test_analysis_rows(self):
        self.open_new_session()
        fast = self.receive(new_order(orderNumber='KIT-1001', orderType='pickup', totalAmount=12.99))
        pulled = self.receive(new_order(orderNumber='KIT-1002', orderType='delivery'), channel='pull')
        # An order that needed a person: in error until its fallback product came back, then retried.
        self.env.ref('pos_orderweb.product_orderweb_item').active = False
        fixed = self.receive(new_order(orderNumber='KIT-1003', items=[MYSTERY], totalAmount=6))
        self.assertEqual(fixed.state, 'error')
        self.env.ref('pos_orderweb.product_orderweb_item').active = True
        fixed.action_retry()
        self.assertEqual(fixed.state, 'done')

        received = fields.Datetime.now() - timedelta(minutes=10)
        (fast | pulled | fixed).sudo().write({'received_at': received})
        fast.pos_order_id.orderweb_accept(self.config.id)
        fast.pos_order_id._orderweb_as_import().orderweb_accepted_at = received + timedelta(minutes=2)
        pulled.pos_order_id.orderweb_accept(self.config.id)
        pulled.pos_order_id._orderweb_as_import().orderweb_accepted_at = received + timedelta(minutes=4)
        self.env.flush_all()

        Report = self.env['orderweb.order.report']
        rows = Report.search([('online_order_id', 'in', (fast | pulled | fixed).ids)])
        self.assertEqual(len(rows), 3)
        by_order = {row.online_order_id: row for row in rows}
        self.assertEqual(by_order[fast].channel, 'push')
        self.assertEqual(by_order[pulled].channel, 'pull')
        self.assertEqual(by_order[fast].order_type, 'pickup')
        self.assertEqual(by_order[fast].pos_status, 'accepted')
        self.assertEqual(by_order[fast].config_id, self.config)
        self.assertAlmostEqual(by_order[fast].amount_total, 12.99)
        self.assertAlmostEqual(by_order[fast].minutes_to_accept, 2)
        self.assertFalse(by_order[fast].minutes_to_done)
        self.assertEqual([by_order[record].untouched for record in (fast, pulled, fixed)], [True, True, False])
        self.assertIn(by_order[fast].weekday, [str(day) for day in range(1, 8)])
        self.assertTrue(0 <= by_order[fast].hour_of_day <= 23)

        [totals] = Report._read_group(
            [('online_order_id', 'in', (fast | pulled | fixed).ids)], [],
            ['__count', 'amount_total:sum', 'minutes_to_accept:avg', 'untouched_rate:avg'])
        count, revenue, minutes_to_accept, untouched_rate = totals
        self.assertEqual(count, 3)
        self.assertAlmostEqual(revenue, 12.99 * 2 + 6)
        self.assertAlmostEqual(minutes_to_accept, 3, msg="average of 2 and 4 minutes; not accepted: not counted")
        self.assertAlmostEqual(untouched_rate, 200 / 3)

    def test_imported_to_accepted_counts_from_the_time_it_fired(self):
        self.open_new_session()
        scheduled = fields.Datetime.now().replace(microsecond=0) + timedelta(hours=2)
        online_order = self.receive(new_order(scheduledFor=iso(scheduled)))
        pos_order = online_order.pos_order_id
        self.assertEqual(pos_order.orderweb_status, 'scheduled')
        fired = scheduled - timedelta(minutes=20) + timedelta(seconds=30)
        with freeze_time(fired):
            self.env['pos.order']._cron_orderweb_fire()
        self.assertEqual((pos_order.orderweb_status, pos_order.orderweb_fired_at), ('new', fired))
        with freeze_time(fired + timedelta(minutes=5)):
            pos_order.orderweb_accept(self.config.id)
        # The shop's minutes changed since: the time it fired still counts, as kept.
        self.config.orderweb_preparation_minutes = 1440
        self.env.flush_all()
        row = self.env['orderweb.order.report'].search([('online_order_id', '=', online_order.id)])
        self.assertAlmostEqual(row.minutes_imported_to_accepted, 5)

    def test_a_platform_time_far_from_the_receipt_is_kept_but_left_out(self):
        self.open_new_session()
        now = fields.Datetime.now().replace(microsecond=0)
        sane = self.receive(new_order(createdAt=iso(now - timedelta(minutes=4))))
        year_one = self.receive(new_order(createdAt='0001-01-01T00:00:00+00:00'))
        ahead = self.receive(new_order(createdAt=iso(now + timedelta(days=2))))
        online_orders = sane | year_one | ahead
        online_orders.sudo().write({'received_at': now, 'imported_at': now})
        self.assertEqual(year_one.created_at, datetime(1, 1, 1), "kept as sent")
        self.env.flush_all()
        Report = self.env['orderweb.order.report']
        [(created_to_imported, doubtful)] = Report._read_group(
            [('online_order_id', 'in', online_orders.ids)], [],
            ['minutes_created_to_imported:avg', 'created_at_doubtful_count:sum'])
        self.assertAlmostEqual(created_to_imported, 4)
        self.assertEqual(doubtful, 2, "and said")
        # The metrics' created-to-imported histogram likewise.
        count, seconds, _buckets = self.env['orderweb.connection']._orderweb_import_durations(
            'created_at', [60, 300])[self.company]
        self.assertEqual((count, seconds), (1, 240))

    def test_counts_and_what_waits_now(self):
        self.open_new_session()
        accepted = self.receive(new_order())
        waiting = self.receive(new_order())
        accepted.pos_order_id.orderweb_accept(self.config.id)
        seven_minutes_ago = fields.Datetime.now().replace(microsecond=0) - timedelta(minutes=7)
        waiting.sudo().imported_at = seven_minutes_ago
        self.env.flush_all()

        def database_now():
            self.env.cr.execute("SELECT timezone('UTC', clock_timestamp())")
            return self.env.cr.fetchone()[0]
        before = database_now()
        [(count, accepted_count, waiting_count, longest_wait)] = self.env['orderweb.order.report']._read_group(
            [('online_order_id', 'in', (accepted | waiting).ids)], [],
            ['__count', 'accepted_count:sum', 'waiting_count:sum', 'minutes_waiting:max'])
        after = database_now()
        self.assertEqual((count, accepted_count, waiting_count), (2, 1, 1))
        self.assertGreaterEqual(longest_wait, (before - seven_minutes_ago).total_seconds() / 60 - 1e-6)
        self.assertLessEqual(longest_wait, (after - seven_minutes_ago).total_seconds() / 60 + 1e-6)

    def test_hour_and_weekday_in_the_company_timezone(self):
        self.open_new_session()
        online_order = self.receive(new_order())
        # Monday 2025-11-24 23:30 UTC is Tuesday 00:30 in Paris (UTC+1 in winter).
        online_order.sudo().received_at = '2025-11-24 23:30:00'
        self.company.partner_id.tz = 'Europe/Paris'
        self.env.flush_all()
        row = self.env['orderweb.order.report'].search([('online_order_id', '=', online_order.id)])
        self.assertEqual((row.weekday, row.hour_of_day), ('2', 0))

    def test_managers_read_their_companies_only(self):
        manager = company_user(self.env, 'manager-report', self.company, 'point_of_sale.group_pos_manager')
        self.open_new_session()
        online_order = self.receive(new_order())
        self.env.flush_all()
        rows = self.env['orderweb.order.report'].with_user(manager).search([])
        self.assertIn(online_order.id, rows.online_order_id.ids)
        self.assertEqual(rows.company_id, self.company)

    def test_cashiers_do_not_read_the_analysis(self):
        cashier = company_user(self.env, 'cashier-report', self.company, 'point_of_sale.group_pos_user')
        with self.assertRaises(AccessError):
            self.env['orderweb.order.report'].with_user(cashier).search([])
