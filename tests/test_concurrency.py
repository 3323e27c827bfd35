"""Two real transactions on two connections meet on the same online order or customer.

Plain TransactionCases, so their own transaction holds nothing the two connections could
wait for. What the connections commit is real: each test removes it again.
"""
import logging
import threading
import time
import uuid
from contextlib import closing
from random import randint

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..orderweb.order import parse_order
from ..service import importer
from .common import new_order


def committed_env(dbname):
    """A superuser environment on a connection of its own, whose commits are real."""
    return api.Environment(db_connect(dbname).cursor(), SUPERUSER_ID, {})


def backend_pid(cr):
    cr.execute("SELECT pg_backend_pid()")
    return cr.fetchone()[0]


def wait_until_blocked(dbname, pid, timeout=30):
    """Whether the PostgreSQL backend ``pid`` waits on a lock within ``timeout`` seconds: what a
    test looks at instead of sleeping and hoping the other transaction got there."""
    deadline = time.monotonic() + timeout
    with closing(db_connect(dbname).cursor()) as cr:
        while time.monotonic() < deadline:
            cr.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            if (cr.fetchone() or [None])[0] == 'Lock':
                return True
            time.sleep(0.05)
    return False


@tagged('post_install', '-at_install')
class TestConcurrentIngest(TransactionCase):
    """The steps are interleaved by hand to hit the exact windows where two workers (or push
    and pull) collide on one OrderWeb order."""

    def test_parallel_transactions_make_one_order(self):
        dbname = self.env.cr.dbname
        raw_order = {'orderId': str(uuid.uuid4()), 'orderNumber': 'KIT-RACE', 'totalAmount': 5.0,
                     'items': [{'id': 'race-item', 'name': 'Race special', 'price': 5.0, 'quantity': 1}]}
        env_a, env_b = committed_env(dbname), committed_env(dbname)
        cr_a, cr_b = env_a.cr, env_b.cr
        company_a, company_b = env_a.company, env_b.company
        settings = company_a.read(['orderweb_target', 'orderweb_sale_confirm'])[0]
        company_a.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False})
        cr_a.commit()
        try:
            OnlineOrderA, OnlineOrderB = env_a['orderweb.order'], env_b['orderweb.order']

            # Store: B's snapshot predates A's commit, so B only learns of A's row from the unique key.
            cr_b.execute("SELECT 1")
            stored = OnlineOrderA._store(company_a, [raw_order], 'push')
            cr_a.commit()
            self.assertFalse(OnlineOrderB._store(company_b, [raw_order], 'pull'), "B leaves the order to A")
            cr_b.rollback()

            # Import: while A holds the row, B skips it; once A committed, B finds it done.
            cr_a.execute("SELECT id FROM orderweb_order WHERE id = %s FOR NO KEY UPDATE", [stored.id])
            OnlineOrderB.browse(stored.id)._import()
            cr_b.commit()
            stored._import()
            cr_a.commit()
            OnlineOrderB.browse(stored.id)._import()
            cr_b.commit()

            cr_a.execute("SELECT count(*), min(state) FROM orderweb_order WHERE orderweb_id = %s",
                         [raw_order['orderId']])
            self.assertEqual(cr_a.fetchone(), (1, 'done'))
            cr_a.execute("SELECT count(*) FROM sale_order WHERE orderweb_order_id = %s", [stored.id])
            self.assertEqual(cr_a.fetchone()[0], 1)
        finally:
            cr_a.rollback()
            cr_b.rollback()
            env_a.invalidate_all()
            online_orders = env_a['orderweb.order'].search([('orderweb_id', '=', raw_order['orderId'])])
            env_a['sale.order'].search([('orderweb_order_id', 'in', online_orders.ids)]).unlink()
            online_orders.unlink()
            company_a.write({key: value for key, value in settings.items() if key != 'id'})
            cr_a.commit()
            cr_a.close()
            cr_b.close()


@tagged('post_install', '-at_install')
class TestConcurrentCustomer(TransactionCase):
    """Two real transactions import orders of one new customer at the same moment."""

    def test_two_imports_of_a_new_customer_make_one_contact(self):
        dbname = self.env.cr.dbname
        name = f"Race Customer {uuid.uuid4()}"
        orderweb_order = parse_order(new_order(
            customerName=name, customerPhone='+1 555 %03d %04d' % (randint(0, 999), randint(0, 9999))))
        env_a, env_b = committed_env(dbname), committed_env(dbname)
        cr_a, cr_b = env_a.cr, env_b.cr
        online_order_id = env_a['orderweb.order'].create({
            'name': 'KIT-RACE', 'orderweb_id': str(uuid.uuid4()), 'company_id': env_a.company.id,
            'payload': '{}', 'channel': 'push'}).id
        cr_a.commit()
        try:
            cr_b.execute("SELECT 1")  # B's snapshot: from before A's contact
            partner_a = env_a['res.partner']._orderweb_customer(env_a.company, orderweb_order)
            # A commits once B waits for it, from another thread; B meanwhile looks for the same
            # customer. (B runs in this thread: the test runner holds the registry lock a new
            # cursor needs.) If B never waits, A commits after the timeout, long after B's look.
            b_pid = backend_pid(cr_b)
            a_committed = threading.Event()

            def commit_a():
                wait_until_blocked(dbname, b_pid, timeout=10)
                a_committed.set()
                cr_a.commit()
            thread_a = threading.Thread(target=commit_a)
            thread_a.start()
            try:
                # B waits for A's import of this customer; unable to see A's contact in its own
                # snapshot, its order is left for the next run, which finds that contact.
                try:
                    partner_b = env_b['res.partner']._orderweb_customer(env_b.company, orderweb_order)
                except psycopg2.errors.SerializationFailure:
                    cr_b.rollback()
                    partner_b = env_b['res.partner']._orderweb_customer(env_b.company, orderweb_order)
                b_waited = a_committed.is_set()  # B's look ended only once A was committing
            finally:
                thread_a.join()
            self.assertTrue(b_waited, "B waited while A imported the same customer")
            self.assertEqual(partner_b.id, partner_a.id, "B's order is the same customer's")
            cr_b.commit()
            with closing(db_connect(dbname).cursor()) as cr:
                cr.execute("SELECT count(*) FROM res_partner WHERE name = %s", [name])
                self.assertEqual(cr.fetchone()[0], 1, "one contact, whatever the timing")
        finally:
            cr_a.rollback()
            cr_b.rollback()
            env_a.invalidate_all()
            env_a['res.partner'].with_context(active_test=False).search([('name', '=', name)]).unlink()
            env_a['orderweb.order'].browse(online_order_id).unlink()
            cr_a.commit()
            cr_a.close()
            cr_b.close()


@tagged('post_install', '-at_install')
class TestConcurrentBatch(TransactionCase):
    """A conflict on one order of a batch spoils neither the others nor that one: it is imported
    again at once, in a fresh transaction, not left for the next scheduled pull."""

    def test_a_conflict_in_a_batch_spoils_only_its_order(self):
        dbname = self.env.cr.dbname
        names = [f"Batch Customer {index} {uuid.uuid4()}" for index in range(3)]
        raw_orders = [new_order(customerName=name, customerPhone='+1 555 %03d %04d' % (
            randint(0, 999), randint(0, 9999))) for name in names]
        env_a, env_b = committed_env(dbname), committed_env(dbname)
        cr_a = env_a.cr
        company_a = env_a.company
        settings = company_a.read(['orderweb_target', 'orderweb_sale_confirm'])[0]
        company_a.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False})
        stored = env_a['orderweb.order']._store(company_a, raw_orders, 'push')
        cr_a.commit()
        try:
            # A imports the customer of the middle order and commits a moment later, while the
            # batch, whose snapshot is older, imports all three.
            partner_a = env_a['res.partner']._orderweb_customer(company_a, parse_order(raw_orders[1]))
            thread_a = threading.Timer(1, cr_a.commit)
            thread_a.start()
            try:
                importer.import_pending(env_b, stored.company_id.ids, ids=stored.ids)
            finally:
                thread_a.join()
            env_b.cr.rollback()  # a fresh snapshot, that sees the retry's commit
            online_orders = env_b['orderweb.order'].browse(stored.ids)
            self.assertEqual(online_orders.mapped('state'), ['done'] * 3,
                             "the order that lost the race is imported by the same call, within seconds")
            self.assertEqual(online_orders[1].sale_order_id.partner_id, partner_a)
            env_b.cr.execute("SELECT count(*) FROM res_partner WHERE name = ANY(%s)", [names])
            self.assertEqual(env_b.cr.fetchone()[0], 3)
        finally:
            cr_a.rollback()
            env_b.cr.rollback()
            env_a.invalidate_all()
            online_orders = env_a['orderweb.order'].browse(stored.ids)
            env_a['sale.order'].search([('orderweb_order_id', 'in', online_orders.ids)]).unlink()
            online_orders.unlink()
            env_a['res.partner'].with_context(active_test=False).search([('name', 'in', names)]).unlink()
            company_a.write({key: value for key, value in settings.items() if key != 'id'})
            cr_a.commit()
            cr_a.close()
            env_b.cr.close()


@tagged('post_install', '-at_install')
class TestConcurrentTenant(TransactionCase):
    """Two administrators enable two companies on one tenant at the same moment."""

    def test_two_transactions_cannot_both_take_one_tenant(self):
        dbname = self.env.cr.dbname
        env_a, env_b = committed_env(dbname), committed_env(dbname)
        cr_a, cr_b = env_a.cr, env_b.cr
        tag = uuid.uuid4().hex[:8]
        companies = env_a['res.company'].create([{'name': f"Race Kitchen {tag} {side}"} for side in 'AB'])
        cr_a.commit()
        enable = {'orderweb_enabled': True, 'orderweb_target': 'sale', 'orderweb_api_key': 'pos_fake_race'}
        try:
            cr_b.execute("SELECT 1")  # B's snapshot: from before A's write
            companies.with_env(env_a)[0].write(
                {**enable, 'orderweb_url': 'http://127.0.0.1:18999', 'orderweb_tenant': f'kitchen{tag}'})
            cr_a.commit()
            # B's checks read its snapshot, where A's company is not enabled yet: only the
            # database itself can refuse the second company.
            with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger('odoo.sql_db'):
                companies.with_env(env_b)[1].write(
                    {**enable, 'orderweb_url': 'http://localhost:18999/', 'orderweb_tenant': f'Kitchen{tag}'})
                env_b.flush_all()
            cr_b.rollback()
            with closing(db_connect(dbname).cursor()) as cr:
                cr.execute("SELECT count(*) FROM res_company WHERE id = ANY(%s) AND orderweb_enabled", [companies.ids])
                self.assertEqual(cr.fetchone()[0], 1)
        finally:
            cr_a.rollback()
            cr_b.rollback()
            env_a.invalidate_all()
            companies.with_env(env_a).write({'orderweb_enabled': False, 'active': False})
            cr_a.commit()
            cr_a.close()
            cr_b.close()


@tagged('post_install', '-at_install')
class TestConcurrentStoreLogs(TransactionCase):
    """Push and pull store the same new orders at once: the loser's INSERT meets the unique key."""

    def test_the_losing_insert_logs_no_customer(self):
        dbname = self.env.cr.dbname
        tag = uuid.uuid4().hex[:8]
        raw_orders = [new_order(customerName=f'Secret Person {tag} {index}', customerEmail=f'secret{tag}@example.com')
                      for index in range(3)]
        env_a, env_b = committed_env(dbname), committed_env(dbname)
        cr_a, cr_b = env_a.cr, env_b.cr
        seen = []

        class Keep(logging.Handler):
            def emit(self, record):
                seen.append(record.getMessage())
        keep = Keep(logging.DEBUG)
        logging.getLogger().addHandler(keep)
        try:
            cr_b.execute("SELECT 1")  # B's snapshot: from before A's orders
            env_a['orderweb.order']._store(env_a.company, raw_orders, 'push')
            cr_a.commit()
            stored_b = env_b['orderweb.order']._store(env_b.company, raw_orders, 'pull')
            self.assertFalse(stored_b, "B leaves the orders to A")
        finally:
            logging.getLogger().removeHandler(keep)
            cr_b.rollback()
            env_a['orderweb.order'].search([('orderweb_id', 'in', [o['orderId'] for o in raw_orders])]).unlink()
            cr_a.commit()
            cr_a.close()
            cr_b.close()
        leaked = [message for message in seen if tag in message]
        self.assertFalse(leaked, "no customer's details in the log")


@tagged('post_install', '-at_install')
class TestConcurrentWriteAfterFailure(TransactionCase):
    """An order of a batch fails to import while another transaction waits to update it."""

    def test_what_became_of_a_failed_order_is_written_under_its_lock(self):
        dbname = self.env.cr.dbname
        raw_orders = [new_order(customerName=f"Lock Customer {index} {uuid.uuid4()}") for index in range(3)]
        env_a, env_b = committed_env(dbname), committed_env(dbname)
        company_a = env_a.company
        settings = company_a.read(['orderweb_target', 'orderweb_sale_confirm'])[0]
        company_a.write({'orderweb_target': 'sale', 'orderweb_sale_confirm': False})
        stored = env_a['orderweb.order']._store(company_a, raw_orders, 'push')
        env_a.cr.commit()
        failing = stored[1]
        OnlineOrder = type(env_b['orderweb.order'])
        original_prepare = OnlineOrder._prepare_import
        other, other_pid, waited = [], [], []

        def update_meanwhile():
            # Another transaction (a POS manager's Retry, another server) touches the failing
            # order as soon as it can lock it, and commits.
            with closing(db_connect(dbname).cursor()) as other_cr:
                other_pid.append(backend_pid(other_cr))
                try:
                    other_cr.execute("UPDATE orderweb_order SET write_date = now() WHERE id = %s", [failing.id],
                                     log_exceptions=False)
                    other_cr.commit()
                except psycopg2.errors.SerializationFailure:
                    other_cr.rollback()  # the batch wrote it first, under its lock: this one loses, as it should

        def prepare_or_fail(online_order, *args, **kwargs):
            if online_order.id != failing.id:
                return original_prepare(online_order, *args, **kwargs)
            other.append(threading.Thread(target=update_meanwhile))
            other[0].start()
            deadline = time.monotonic() + 30
            while not other_pid and time.monotonic() < deadline:
                time.sleep(0.01)
            waited.append(bool(other_pid) and wait_until_blocked(dbname, other_pid[0]))  # on the row held here
            raise ValueError("This order cannot be made")
        try:
            OnlineOrder._prepare_import = prepare_or_fail
            try:
                importer.import_pending(env_b, stored.company_id.ids, ids=stored.ids)
            finally:
                OnlineOrder._prepare_import = original_prepare
                for thread in other:
                    thread.join()
            env_b.cr.rollback()
            online_orders = env_b['orderweb.order'].browse(stored.ids)
            self.assertEqual(waited, [True], "the other transaction waited for the batch's lock on the row")
            self.assertEqual(online_orders.mapped('state'), ['done', 'error', 'done'],
                             "the failure is written, and the batch is not failed by it")
            self.assertIn("cannot be made", online_orders[1].error)
        finally:
            env_a.cr.rollback()
            env_a.invalidate_all()
            online_orders = env_a['orderweb.order'].browse(stored.ids)
            env_a['sale.order'].search([('orderweb_order_id', 'in', online_orders.ids)]).unlink()
            online_orders.unlink()
            company_a.write({key: value for key, value in settings.items() if key != 'id'})
            env_a.cr.commit()
            env_a.cr.close()
            env_b.cr.close()
