"""A catch-up makes exactly the contacts that its orders imported one by one would make."""
import json
import logging
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import OrderWebCommon, new_order

# A few people, each written several ways: one phone number, national and international,
# spaced or not; one e-mail in any case; names shared, cased otherwise, or missing.
PHONES = [
    ['+447700900111', '07700 900111', '+44 7700 900 111', '0044 7700900111'],
    ['+447700900222', '07700900222', '+44 (0)7700 900222'],
    ['+447700900333', '07700 900 333'],
]
EMAILS = [['dev@example.com', 'Dev@Example.COM'], ['noor@example.com', 'NOOR@example.com'], ['sam@example.org']]
NAMES = ['Dev Mistry', 'dev mistry', 'Noor', 'Sam Lee', 'Walk-in Wendy', 'walk-in WENDY', None]

identity = st.fixed_dictionaries({
    'customerName': st.sampled_from(NAMES),
    'customerPhone': st.one_of(st.none(), st.sampled_from(PHONES).flatmap(st.sampled_from)),
    'customerEmail': st.one_of(st.none(), st.sampled_from(EMAILS).flatmap(st.sampled_from)),
})


@tagged('post_install', '-at_install')
class TestBatchCustomers(OrderWebCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref('base.uk')
        # Some of them are known already, by phone, by e-mail, or by name alone.
        cls.env['res.partner'].create([
            {'name': 'Dev (known)', 'phone': '+44 7700 900333'},
            {'name': 'Noor (known)', 'email': 'Noor@example.com'},
            {'name': 'walk-in wendy'},
        ])

    def online_orders(self, identities):
        return self.OnlineOrder.create([{
            'name': 'KIT-%04d' % index, 'orderweb_id': 'customer-%s' % index, 'company_id': self.company.id,
            'channel': 'pull', 'payload': json.dumps(new_order(**values)),
        } for index, values in enumerate(identities)])

    @staticmethod
    def partition(customers):
        """Orders grouped by contact, and which groups are the known contacts."""
        groups = {}
        for index, partner in enumerate(customers):
            groups.setdefault(partner.id, set()).add(index)
        return {frozenset(indexes): partner_id < 0 for partner_id, indexes in groups.items()}

    def contacts_made(self, find):
        """What ``find`` gives for each order, and the new contacts it made; then undone."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            before = self.env['res.partner'].search([])[-1:].id
            customers = find()
            self.env.flush_all()
            known = {partner.id: -partner.id if partner.id <= before else partner.id for partner in customers}
            result = self.partition([self.env['res.partner'].browse(known.get(p.id, 0)) for p in customers])
            made = self.env['res.partner'].search_count([('id', '>', before)])
            savepoint.rollback()
        return result, made

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(identity, min_size=1, max_size=12))
    def test_a_batch_makes_the_contacts_one_by_one_would(self, identities):
        online_orders = self.online_orders(identities)
        Partner = self.env['res.partner']
        try:
            def one_by_one():
                return [Partner._orderweb_customer(self.company, online_order._read(online_order.payload))
                        for online_order in online_orders]

            def as_a_batch():
                found = Partner._orderweb_customers(self.company, {
                    online_order: online_order._read(online_order.payload) for online_order in online_orders})
                return [found.get(online_order, Partner) for online_order in online_orders]

            self.assertEqual(self.contacts_made(as_a_batch), self.contacts_made(one_by_one), identities)
        finally:
            online_orders.unlink()

    def test_a_catch_up_of_twenty_customers_makes_twenty_contacts(self):
        # The catch-up of the issue: each new customer's orders, with an e-mail or not, two phones for one e-mail.
        raw_orders = []
        for index in range(20):
            phone = '+4477009%05d' % (40000 + index)
            email = 'guest%s@example.net' % index
            raw_orders += [new_order(customerName='Guest %s' % index, customerPhone=phone, customerEmail=email),
                           new_order(customerName='Guest %s' % index, customerPhone=phone, customerEmail=None),
                           new_order(customerName='Guest %s' % index, customerPhone=phone[:-1] + '9',
                                     customerEmail=email.upper())]
        self.open_new_session()
        online_orders = self.receive(*raw_orders, channel='pull')
        self.assertEqual(set(online_orders.mapped('state')), {'done'})
        self.assertEqual(len(online_orders.pos_order_id.partner_id), 20)


class LogRecords(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@tagged('post_install', '-at_install')
class TestStoringKeepsLogsAlone(OrderWebCommon):
    """Storing payloads changes nobody else's logging (see also TestConcurrentStoreLogs)."""

    def test_another_threads_sql_log_is_never_muted(self):
        sql_logger = logging.getLogger('odoo.sql_db')
        state = (list(sql_logger.handlers), sql_logger.propagate)
        seen = LogRecords()
        logging.getLogger().addHandler(seen)
        stop = threading.Event()
        sent = []

        def other_module():
            # Another module's thread, logging on odoo.sql_db while the orders are stored.
            while not stop.is_set():
                sent.append(len(sent))
                sql_logger.warning("other module statement %s", sent[-1])
                stop.wait(0.0005)
        other = threading.Thread(target=other_module)
        other.start()
        try:
            self.env.flush_all()
            for _round in range(30):
                self.OnlineOrder._store(self.company, [new_order() for _i in range(5)], 'pull')
        finally:
            stop.set()
            other.join()
            logging.getLogger().removeHandler(seen)
        self.assertEqual((list(sql_logger.handlers), sql_logger.propagate), state, "odoo.sql_db left as it was")
        received = {record.args[0] for record in seen.records
                    if record.name == 'odoo.sql_db' and str(record.msg).startswith('other module')}
        self.assertEqual(len(received), len(sent), "every record of the other thread got through")
