import logging
from contextvars import ContextVar

from odoo import models

_logger = logging.getLogger(__name__)

# True while "Run manually" runs the pull: every company is pulled now, whatever its pull
# interval (an admin who just fixed a setting expects to see it work). Held by the thread
# rather than written in the request's transaction: 19.0 runs the job in a transaction of
# its own while the request's waits for it, so the job would wait for what the request
# wrote, and neither would ever end.
PULL_EVERY_COMPANY = ContextVar('pos_orderweb_pull_every_company', default=False)

ORDERWEB_CRONS = ('pos_orderweb.ir_cron_orderweb_pull', 'pos_orderweb.ir_cron_orderweb_import',
                  'pos_orderweb.ir_cron_orderweb_fire')


class IrCron(models.Model):
    _inherit = 'ir.cron'

    def method_direct_trigger(self):
        own = self.browse([cron.id for xmlid in ORDERWEB_CRONS
                           if (cron := self.env.ref(xmlid, raise_if_not_found=False))])
        if len(self) != 1 or self not in own:
            return super().method_direct_trigger()
        self.check_access('write')
        pull = self.env.ref('pos_orderweb.ir_cron_orderweb_pull')
        token = PULL_EVERY_COMPANY.set(self == pull)
        try:
            if self._orderweb_running_elsewhere():
                # Another process (a cron worker of this or another server) runs the job now:
                # Odoo would only answer "already executing". Its work is safe to run twice at
                # once (the orders are keyed and locked, SKIP LOCKED), so it runs here too, as
                # the manager asked.
                _logger.info("Job %r (%s) runs elsewhere: run manually here as well", self.name, self.id)
                self.with_user(self.user_id).ir_actions_server_id.run()
                return True
            return super().method_direct_trigger()
        finally:
            PULL_EVERY_COMPANY.reset(token)

    def _orderweb_running_elsewhere(self):
        """Whether another transaction holds this job (a cron worker running it); else this one
        now does, as Odoo's run would."""
        self.env.cr.execute("SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED", [self.id])
        return not self.env.cr.fetchone()
