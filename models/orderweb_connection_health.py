"""Monitoring of the OrderWeb link from outside Odoo (controllers/main.py): the health report
of /orderweb/health and the Prometheus figures of /orderweb/metrics, per company."""
from collections import defaultdict
from datetime import timezone

from odoo import api, models
from odoo.tools import SQL

from ..const import (
    CREATED_TO_IMPORTED_BUCKETS,
    IMPORT_DURATION_BUCKETS,
    PLATFORM_TIME_TRUST_HOURS,
    PULL_FAILURES_DEGRADED,
)


class OrderWebConnection(models.Model):
    _inherit = 'orderweb.connection'

    @api.model
    def _orderweb_health(self):
        """Per enabled company: its live link and what waits on a person.

        A company is healthy when a live process holds its connection, connected, and no
        online order is in error, waiting for a session or set aside.
        :return: list of JSON-ready dicts, one per enabled company
        """
        companies = self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)], order='id')
        statuses = self._orderweb_statuses(companies)
        figures = self._orderweb_order_figures(companies)
        set_aside = self._orderweb_set_aside_counts(companies)
        report = []
        for company in companies:
            status = statuses.get(company, self.browse())
            company_figures = figures[company]
            connected = status._orderweb_is_up()
            waiting_on_person = {
                'orders_in_error': company_figures['error'],
                'orders_waiting_for_session': company_figures['waiting'],
                'orders_set_aside': set_aside.get(company, 0),
            }
            report.append({
                'company_id': company.id,
                'company': company.name,
                'tenant': company.orderweb_tenant or None,
                'healthy': connected and not any(waiting_on_person.values())
                and status.pull_failure_count < PULL_FAILURES_DEGRADED,
                'connected': connected,
                'state': status.state or None,
                'since': _iso(status.since),
                'held_by': status.holder or None,
                'holder_alive': bool(status) and not status.no_holder,
                'last_seen_alive': _iso(status.heartbeat),
                'last_error': status.last_error or None,
                'last_order_received': _iso(company_figures['last_received']),
                'pulls_failed_in_a_row': status.pull_failure_count,
                'last_pull_error': status.last_pull_error or None,
                **waiting_on_person,
            })
        return report

    @api.model
    def _orderweb_metrics(self):
        """The figures of /orderweb/metrics, as Prometheus metric families.

        Every company with online orders or OrderWeb enabled is labelled by id and tenant.
        :return: [(name, type, help, [(sample name suffix, labels, value)])]
        """
        enabled = self.env['res.company'].sudo().search([('orderweb_enabled', '=', True)], order='id')
        figures = self._orderweb_order_figures()
        durations = self._orderweb_import_durations('received_at', IMPORT_DURATION_BUCKETS)
        waits = self._orderweb_import_durations('created_at', CREATED_TO_IMPORTED_BUCKETS)
        companies = (enabled | self.env['res.company'].sudo().concat(*figures)).sorted('id')
        set_aside = self._orderweb_set_aside_counts(companies)
        statuses = self._orderweb_statuses(enabled)

        def labels(company, **extra):
            return {'company_id': company.id, 'tenant': company.orderweb_tenant or '', **extra}

        def per_company(value, companies=companies):
            return [('', labels(company), value(company)) for company in companies]

        def histogram(by_company, buckets):
            samples = []
            for company in companies.filtered(lambda company: company in by_company):
                count, total, cumulative = by_company[company]
                samples += [('_bucket', labels(company, le=str(bound)), bucket)
                            for bound, bucket in zip(buckets, cumulative, strict=True)]
                samples += [('_bucket', labels(company, le='+Inf'), count),
                            ('_sum', labels(company), total), ('_count', labels(company), count)]
            return samples

        return [
            ('orderweb_orders_received_total', 'counter',
             "Online orders received, by channel (push: on the live WebSocket, pull: by any pull).",
             [('', labels(company, channel=channel), figures[company][channel])
              for company in companies for channel in ('push', 'pull')]),
            ('orderweb_orders_imported_total', 'counter', "Online orders imported into POS or Sales.",
             per_company(lambda company: figures[company]['done'])),
            ('orderweb_orders_in_error', 'gauge', "Online orders in error.",
             per_company(lambda company: figures[company]['error'])),
            ('orderweb_orders_waiting_for_session', 'gauge',
             "Online orders waiting for the receiving POS session to open.",
             per_company(lambda company: figures[company]['waiting'])),
            ('orderweb_orders_set_aside', 'gauge', "Online orders set aside for a person.",
             per_company(lambda company: set_aside.get(company, 0))),
            ('orderweb_import_duration_seconds', 'histogram',
             "Time from receiving an online order to importing it, in whole seconds.",
             histogram(durations, IMPORT_DURATION_BUCKETS)),
            ('orderweb_created_to_imported_seconds', 'histogram',
             "Time from the customer placing an online order on OrderWeb to its import, in whole seconds.",
             histogram(waits, CREATED_TO_IMPORTED_BUCKETS)),
            ('orderweb_last_order_received_timestamp_seconds', 'gauge',
             "When the company's last online order was received (Unix time).",
             per_company(lambda company: int(
                             figures[company]['last_received'].replace(tzinfo=timezone.utc).timestamp()),
                         companies.filtered(lambda company: figures[company]['last_received']))),
            ('orderweb_reconnections_total', 'counter',
             "Reconnections of the live connection since its current holder process took it over.",
             per_company(lambda company: statuses.get(company, self.browse()).reconnect_count, enabled)),
            ('orderweb_pulls_failed_in_a_row', 'gauge',
             "Pulls of the company that failed since the last one that worked.",
             per_company(lambda company: statuses.get(company, self.browse()).pull_failure_count, enabled)),
            ('orderweb_connection_up', 'gauge',
             "1 when a live Odoo process holds the company's connection and it is connected, else 0.",
             per_company(lambda company: int(statuses.get(company, self.browse())._orderweb_is_up()), enabled)),
        ]

    def _orderweb_is_up(self):
        """Connected, and its holder process still beats (an empty record: never reported)."""
        return self.state == 'connected' and not self.no_holder

    @api.model
    def _orderweb_statuses(self, companies):
        return {status.company_id: status for status in self.sudo().search([('company_id', 'in', companies.ids)])}

    @api.model
    def _orderweb_order_figures(self, companies=None):
        """{company: {channel or state: count, 'last_received': datetime}} of the online orders
        of ``companies`` (default: all), counted by the database."""
        domain = [('company_id', 'in', companies.ids)] if companies is not None else []
        figures = defaultdict(lambda: defaultdict(int, last_received=None))
        for company, channel, state, count, received_max in self.env['orderweb.order'].sudo()._read_group(
                domain, ['company_id', 'channel', 'state'], ['__count', 'received_at:max']):
            company_figures = figures[company]
            company_figures[channel] += count
            company_figures[state] += count
            if received_max and (not company_figures['last_received']
                                 or received_max > company_figures['last_received']):
                company_figures['last_received'] = received_max
        return figures

    @api.model
    def _orderweb_set_aside_counts(self, companies):
        """{company: count} of the online orders set aside (received, but not storable as received)."""
        return dict(self.env['orderweb.order'].sudo()._read_group(
            [('company_id', 'in', companies.ids), ('set_aside', '=', True)], ['company_id'], ['__count']))

    @api.model
    def _orderweb_import_durations(self, start, buckets):
        """{company: (count, sum of seconds, [cumulative count per bucket])} of the imported online
        orders, from their ``start`` (received_at or created_at) to their import; an OrderWeb time
        far from the receipt left out."""
        self.env['orderweb.order'].flush_model(['company_id', 'state', start, 'received_at', 'imported_at'])
        self.env.cr.execute(SQL(
            """SELECT company_id, count(*), coalesce(sum(seconds), 0), %(buckets)s
                 FROM (SELECT company_id, greatest(extract(epoch FROM imported_at - %(start)s), 0) AS seconds
                         FROM orderweb_order
                        WHERE state = 'done' AND imported_at IS NOT NULL AND %(start)s IS NOT NULL
                          -- OrderWeb's time, far from when Odoo received it, is no measure of a delay.
                          AND abs(extract(epoch FROM received_at - %(start)s)) <= %(trusted)s) AS imported
                GROUP BY company_id""",
            start=SQL.identifier(start), trusted=PLATFORM_TIME_TRUST_HOURS * 3600,
            buckets=SQL(", ").join(SQL("count(*) FILTER (WHERE seconds <= %s)", bound) for bound in buckets),
        ))
        Company = self.env['res.company'].sudo()
        return {Company.browse(row[0]): (row[1], float(row[2]), list(row[3:])) for row in self.env.cr.fetchall()}


def _iso(moment):
    """A naive UTC datetime as ISO 8601 with its zone, for JSON."""
    return moment and moment.replace(tzinfo=timezone.utc).isoformat()

