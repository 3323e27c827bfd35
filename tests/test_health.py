"""/orderweb/health and /orderweb/metrics, asked over HTTP as an uptime checker or Prometheus would."""
import re
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from ..const import HEALTH_TOKEN_PARAM
from ..controllers.main import prometheus_text
from ..service import importer
from .common import OrderWebCommon, new_order, orderweb_settings

TOKEN = 'test-health-token-7f3a9c'
SAMPLE_LINE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>.*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"(,|$)')


def parse_prometheus(text):
    """{(sample name, frozenset of labels): value} and {family: type}; fails on any line out of format."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            _hash, _type, name, kind = line.split(' ')
            types[name] = kind
        elif line.startswith('# HELP '):
            continue
        else:
            match = SAMPLE_LINE.match(line)
            assert match, "not a Prometheus sample line: %r" % line
            labels = {label['key']: re.sub(r'\\(.)', lambda m: {'n': '\n'}.get(m[1], m[1]), label['value'])
                      for label in LABEL.finditer(match['labels'] or '')}
            samples[match['name'], frozenset(labels.items())] = float(match['value'])
    return samples, types


@tagged('post_install', '-at_install')
class TestHealthEndpoints(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The overall status is about every enabled company: this one only.
        cls.env['res.company'].search([('orderweb_enabled', '=', True)]).orderweb_enabled = False
        cls.company = cls.env['res.company'].create({'name': 'Shop on the corner'})
        # Sales as the target: no POS session needed to import an order.
        cls.company.write({**orderweb_settings(cls.env['pos.config']), 'orderweb_target': 'sale',
                           'orderweb_tenant': 'corner "north"\\shop'})
        cls.env['ir.config_parameter'].set_param(HEALTH_TOKEN_PARAM, TOKEN)

    def report(self, **values):
        self.env['orderweb.connection']._orderweb_report(self.company, {
            'state': 'connected', 'since': fields.Datetime.now() - timedelta(minutes=5), 'tenant': 'kitchen',
            'holder': 'kitchen-host:4242', 'heartbeat': fields.Datetime.now(), **values})

    def get(self, path, token=TOKEN, scheme='Bearer'):
        self.env.flush_all()
        return self.url_open(path, headers={'Authorization': f'{scheme} {token}'} if token else {})

    def company_health(self, response):
        return next(company for company in response.json()['companies'] if company['company_id'] == self.company.id)

    def receive(self, *raw_orders, channel='push'):
        self.env.flush_all()
        return importer.receive(self.env, self.company, list(raw_orders), channel)

    def test_token(self):
        self.report()
        for path in ('/orderweb/health', '/orderweb/metrics'):
            self.assertEqual(self.get(path, token=None).status_code, 403, "no token sent")
            self.assertEqual(self.get(path, token='wrong').status_code, 403, "wrong token")
            self.assertEqual(self.get(path, token=TOKEN[:-1]).status_code, 403, "prefix of the token")
            self.assertEqual(self.get(path, scheme='Basic').status_code, 403, "not a bearer token")
            self.assertEqual(self.get(path).status_code, 200)
            self.assertEqual(self.get(path, scheme='bearer').status_code, 200, "the scheme is case-insensitive")
        self.assertNotIn('companies', self.get('/orderweb/health', token='wrong').json())
        self.assertNotIn('orderweb_', self.get('/orderweb/metrics', token='wrong').text)
        # The OrderWeb API key is not a token.
        self.assertEqual(self.get('/orderweb/health', token=self.company.sudo().orderweb_api_key).status_code, 403)
        # No token set, or only blanks: nobody gets in, not even with an empty one.
        for blank in ('', '   '):
            self.env['ir.config_parameter'].set_param(HEALTH_TOKEN_PARAM, blank)
            for path in ('/orderweb/health', '/orderweb/metrics'):
                self.assertEqual(self.get(path).status_code, 403)
                self.assertEqual(self.get(path, token=' ').status_code, 403)
                response = self.url_open(path, headers={'Authorization': 'Bearer '})
                self.assertEqual(response.status_code, 403, "a blank bearer token")

    def test_health_connected(self):
        self.report()
        self.receive(new_order(orderNumber='KIT-0101'))
        response = self.get('/orderweb/health')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        body = response.json()
        self.assertEqual(body['status'], 'ok')
        company = self.company_health(response)
        self.assertEqual(company['tenant'], 'corner "north"\\shop')
        self.assertEqual(company['state'], 'connected')
        self.assertTrue(company['connected'])
        self.assertTrue(company['healthy'])
        self.assertEqual(company['held_by'], 'kitchen-host:4242')
        self.assertTrue(company['since'].endswith('+00:00'))
        self.assertTrue(company['last_order_received'])
        self.assertEqual((company['orders_in_error'], company['orders_waiting_for_session'],
                          company['orders_set_aside']), (0, 0, 0))
        self.assertNotIn(self.company.sudo().orderweb_api_key, response.text)

    def test_health_degraded(self):
        self.report(state='reconnecting', last_error='Connection refused')
        response = self.get('/orderweb/health')
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body['status'], 'degraded')
        company = self.company_health(response)
        self.assertEqual((company['state'], company['connected'], company['last_error']),
                         ('reconnecting', False, 'Connection refused'))

        # Connected, but the holder process stopped beating: nobody listens any more.
        self.report(state='connected', last_error=False, heartbeat=fields.Datetime.now() - timedelta(minutes=5))
        company = self.company_health(self.get('/orderweb/health'))
        self.assertEqual((company['state'], company['connected'], company['holder_alive']), ('connected', False, False))

        # Connected and alive, but an order waits on a person.
        self.report(heartbeat=fields.Datetime.now())
        self.assertEqual(self.get('/orderweb/health').status_code, 200)
        self.receive({'orderId': 'broken-1', 'orderNumber': 'KIT-0666'})
        response = self.get('/orderweb/health')
        self.assertEqual(response.status_code, 503)
        self.assertEqual(self.company_health(response)['orders_in_error'], 1)

    def test_health_company_never_reported(self):
        # Enabled, but no process ever reported on it (no runner started): not healthy.
        response = self.get('/orderweb/health')
        self.assertEqual(response.status_code, 503)
        company = self.company_health(response)
        self.assertEqual((company['state'], company['connected'], company['held_by']), (None, False, None))

    def test_metrics(self):
        self.report(reconnect_count=3)
        self.receive(new_order(orderNumber='KIT-0201'), new_order(orderNumber='KIT-0202'))
        self.receive(new_order(orderNumber='KIT-0203'), channel='pull')
        self.receive({'orderId': 'broken-2', 'orderNumber': 'KIT-0667'})
        response = self.get('/orderweb/metrics')
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers['Content-Type'].startswith('text/plain; version=0.0.4'))
        samples, types = parse_prometheus(response.text)
        labels = {'company_id': str(self.company.id), 'tenant': 'corner "north"\\shop'}

        def value(name, **extra):
            return samples[name, frozenset({**labels, **extra}.items())]

        self.assertEqual(value('orderweb_orders_received_total', channel='push'), 3)
        self.assertEqual(value('orderweb_orders_received_total', channel='pull'), 1)
        self.assertEqual(value('orderweb_orders_imported_total'), 3)
        self.assertEqual(value('orderweb_orders_in_error'), 1)
        self.assertEqual(value('orderweb_orders_waiting_for_session'), 0)
        self.assertEqual(value('orderweb_reconnections_total'), 3)
        self.assertEqual(value('orderweb_connection_up'), 1)
        self.assertEqual(types['orderweb_import_duration_seconds'], 'histogram')
        self.assertEqual(types['orderweb_orders_received_total'], 'counter')
        self.assertEqual(value('orderweb_import_duration_seconds_count'), 3)
        self.assertEqual(value('orderweb_import_duration_seconds_bucket', le='+Inf'), 3)
        buckets = sorted((float(dict(key)['le']), count) for (name, key), count in samples.items()
                         if name == 'orderweb_import_duration_seconds_bucket'
                         and dict(key)['company_id'] == labels['company_id'])
        self.assertEqual([count for _le, count in buckets], sorted(count for _le, count in buckets),
                         "histogram buckets are cumulative")

        self.report(state='reconnecting')
        samples, _types = parse_prometheus(self.get('/orderweb/metrics').text)
        self.assertEqual(value('orderweb_connection_up'), 0)

    def test_prometheus_text_escapes_labels(self):
        text = prometheus_text([('m', 'gauge', 'Help with \\ and\nnewline', [('', {'l': 'a"b\\c\nd'}, 2)])])
        self.assertEqual(text, '# HELP m Help with \\\\ and\\nnewline\n# TYPE m gauge\nm{l="a\\"b\\\\c\\nd"} 2\n')
        samples, _types = parse_prometheus(text)
        self.assertEqual(samples['m', frozenset({'l': 'a"b\\c\nd'}.items())], 2)


@tagged('post_install', '-at_install')
class TestHealthFigures(OrderWebCommon):
    """What the endpoints count, from real imports into a POS shop."""

    def test_waiting_for_session_is_not_healthy(self):
        self.env['orderweb.connection']._orderweb_report(self.company, {
            'state': 'connected', 'heartbeat': fields.Datetime.now(), 'holder': 'host:1'})
        self.assertFalse(self.config.current_session_id)
        online_order = self.receive(new_order())
        self.assertEqual(online_order.state, 'waiting')
        health = next(company for company in self.env['orderweb.connection']._orderweb_health()
                      if company['company_id'] == self.company.id)
        self.assertEqual(health['orders_waiting_for_session'], 1)
        self.assertFalse(health['healthy'])
        self.assertTrue(health['connected'])

        self.open_new_session()
        online_order._import()
        self.assertEqual(online_order.state, 'done')
        health = next(company for company in self.env['orderweb.connection']._orderweb_health()
                      if company['company_id'] == self.company.id)
        self.assertEqual(health['orders_waiting_for_session'], 0)
        self.assertTrue(health['healthy'])
