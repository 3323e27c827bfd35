import hmac
import re

from odoo import http
from odoo.http import request

from ..const import HEALTH_TOKEN_PARAM

PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
NO_STORE = [('Cache-Control', 'no-store')]


class OrderWebMonitoring(http.Controller):
    """Health and metrics of the OrderWeb link, for uptime checkers, load balancers and Prometheus.

    No session: the caller sends the token of the system parameter
    ``pos_orderweb.health_token`` as ``Authorization: Bearer <token>``. The database is the
    one the server serves for the request's host (single database or ``--db-filter``), as
    for Odoo's own ``/web/health``.
    """

    @http.route('/orderweb/health', type='http', auth='none', methods=['GET'], save_session=False)
    def health(self):
        if not self._token_ok():
            return request.make_json_response({'error': "forbidden"}, headers=NO_STORE, status=403)
        companies = request.env['orderweb.connection'].sudo()._orderweb_health()
        healthy = all(company['healthy'] for company in companies)
        return request.make_json_response(
            {'status': 'ok' if healthy else 'degraded', 'companies': companies},
            headers=NO_STORE, status=200 if healthy else 503)

    @http.route('/orderweb/metrics', type='http', auth='none', methods=['GET'], save_session=False)
    def metrics(self):
        if not self._token_ok():
            return request.make_response("forbidden\n", headers=[('Content-Type', 'text/plain'), *NO_STORE], status=403)
        families = request.env['orderweb.connection'].sudo()._orderweb_metrics()
        return request.make_response(
            prometheus_text(families), headers=[('Content-Type', PROMETHEUS_CONTENT_TYPE), *NO_STORE])

    def _token_ok(self):
        # Loaded server-wide, these routes also answer where no database was selected (several
        # databases, none for this host): there is no token to compare with, so no access.
        if not request.db:
            return False
        expected = (request.env['ir.config_parameter'].sudo().get_param(HEALTH_TOKEN_PARAM) or '').strip()
        scheme, _sep, given = request.httprequest.headers.get('Authorization', '').partition(' ')
        given = given.strip()
        # No token set (or only blanks) means no access; the comparison takes the same time
        # wherever they differ.
        return bool(expected and given) and scheme.lower() == 'bearer' and hmac.compare_digest(
            given.encode(), expected.encode())


def prometheus_text(families):
    """Metric families in the Prometheus text exposition format (version 0.0.4).

    :param families: [(name, type, help, [(sample name suffix, labels dict, value)])]
    """
    lines = []
    for name, kind, help_text, samples in families:
        lines.append(f"# HELP {name} {_escape_help(help_text)}")
        lines.append(f"# TYPE {name} {kind}")
        for suffix, labels, value in samples:
            label_text = ",".join(f'{key}="{_escape_label(value)}"' for key, value in labels.items())
            lines.append(f"{name}{suffix}{{{label_text}}} {_number(value)}" if label_text
                         else f"{name}{suffix} {_number(value)}")
    return "\n".join(lines) + "\n"


def _escape_help(text):
    return text.replace('\\', r'\\').replace('\n', r'\n')


def _escape_label(value):
    return re.sub(r'[\\"\n]', lambda match: {'\\': r'\\', '"': r'\"', '\n': r'\n'}[match.group()], str(value))


def _number(value):
    return repr(float(value)) if isinstance(value, float) else str(int(value))
