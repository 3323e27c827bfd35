"""The import job: online orders stored and waiting are imported, a batch per transaction.

One job, whoever feeds it: the live inbox (service/inbox.py) runs it for its company a batch
at a time between two stores of what it received; the pull (cron, catch-up, Pull now) after
storing what OrderWeb answered; Retry on the orders a manager chose; the import cron
(``orderweb.order._cron_orderweb_import``: every minute as a safety net, and triggered at once
when a session opens or a catch-up is longer than a batch) for every enabled company, with
the orders waiting for a session and those in error (``MAX_AUTO_ATTEMPTS`` times).

Each batch takes ``IMPORT_BATCH`` pending orders, oldest first, with ``FOR NO KEY UPDATE SKIP
LOCKED``: several workers (the inbox, cron workers, another server) run the job at once,
each importing other orders, which is how a catch-up gets parallel help. The orders are then
imported by ``orderweb.order._import`` (each payload parsed once, the batch's customers at
once, one savepoint per order) and committed.

The import's transactions are opened and committed here only, as are those of the pulls'
and Retry's storing (:func:`store_committed`); the inbox stores what it received in a
transaction of its own (service/inbox.py). The models run in the transaction they are given.

Not here: the fire cron (``pos.order._cron_orderweb_fire``), which sends the orders for later
to the kitchen on time: a step of the POS order's life once imported, not an import.
"""
import logging
import random
import time

from odoo.tools import SQL

from ..const import CONFLICT_RETRIES, CONFLICT_RETRY_DELAY, IMPORT_BATCH, MAX_AUTO_ATTEMPTS
from ..utils import TRANSIENT_ERRORS, is_outage

_logger = logging.getLogger(__name__)

# Which online orders a run of the job takes, by what it is run for.
PENDING = {
    # stored and not imported yet: what every run takes
    'received': SQL("state = 'received'"),
    # and those waiting for a session (a pull, which may bring one of them back)
    'waiting': SQL("state IN ('received', 'waiting')"),
    # and those in error a few times (the cron's safety net)
    'auto': SQL("(state IN ('received', 'waiting') OR "
                "(state = 'error' AND attempt_count < %s AND set_aside IS NOT TRUE))", MAX_AUTO_ATTEMPTS),
    # a manager's Retry, on the orders chosen: whatever they are in, but done or set aside
    'retry': SQL("state IN ('received', 'waiting', 'error') AND set_aside IS NOT TRUE"),
}


def store_committed(env, company, raw_orders, channel, parsed=None, unreadable=()):
    """Store orders (``orderweb.order._store``) in a transaction of their own, committed.

    :param raw_orders: the orders as decoded from the wire
    :param parsed: their ``orderweb.order.Order`` when already parsed (the listener's), else None
    :param unreadable: (text, PayloadError) of orders that could not even be decoded (a pull's)
    :return: the online orders, in ``env``
    """
    # The environment is kept in a variable until its cursor commits: the commit flushes
    # the pending writes through a live environment of the transaction, or not at all.
    with env.registry.cursor() as cr:
        own_env = env(cr=cr)
        OnlineOrder = own_env['orderweb.order']
        company = company.with_env(own_env)
        online_orders = OnlineOrder._store(company, raw_orders, channel, parsed) if raw_orders else OnlineOrder
        for text, reason in unreadable:
            online_orders |= OnlineOrder._store_unread(company, text, channel, reason)
        return env['orderweb.order'].browse(online_orders.ids)


def receive(env, company, raw_orders, channel, unreadable=()):
    """Store orders, committed, then run the job for their company (with the orders waiting
    for a session: one may have opened since).

    :return: the online orders stored (new or already known), in ``env``
    """
    online_orders = store_committed(env, company, raw_orders, channel, unreadable=unreadable)
    import_pending(env, company.ids, include='waiting')
    online_orders.invalidate_model()  # imported through cursors of their own
    return online_orders


def import_pending(env, company_ids, ids=None, batches=None, include='received'):
    """Import the pending online orders of ``company_ids`` (``include``: which are pending,
    see PENDING), among ``ids`` if given, a batch per transaction, until none is left or
    ``batches`` were imported. An order a run tried is not taken again by the same run.

    Raises only when the database fails: an order's trouble leaves it in error, or, if it
    failed outside its savepoint, as it was (the cron tries it again).

    :param env: an environment of the database (its cursor is not used)
    :return: how many orders were taken
    """
    tried = []
    count = raced = 0
    while batches is None or count < batches:
        query = SQL(
            "SELECT id FROM orderweb_order WHERE company_id = ANY(%s) AND %s AND id != ALL(%s)%s "
            "ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED",
            list(company_ids), PENDING[include], tried,
            SQL(" AND id = ANY(%s)", list(ids)) if ids is not None else SQL(), IMPORT_BATCH)
        taken, conflicted = _import_once(env, query, include)
        if taken is None and raced < CONFLICT_RETRIES:
            raced += 1  # the batch's own query met a concurrent import: taken again at once
            continue
        if not taken:
            break
        tried += taken
        count += 1
        _import_again(env, conflicted, include)
        if len(taken) < IMPORT_BATCH:
            break  # none was left to take (others were locked: another worker imports them)
        if batches is not None and count == batches:
            ask_for_help(env)
    if tried:
        env['orderweb.order'].invalidate_model()
    return len(tried)


def ask_for_help(env):
    """More than the batches asked for may be waiting: the import cron's workers help."""
    with env.registry.cursor() as cr:
        env(cr=cr).ref('pos_orderweb.ir_cron_orderweb_import').sudo()._trigger()


def _import_again(env, online_order_ids, include):
    """Those that met a concurrent import, again at once in fresh transactions, a few times:
    an order that lost a race is imported within seconds, by its winner or here."""
    for attempt in range(CONFLICT_RETRIES):
        if not online_order_ids:
            return
        time.sleep(CONFLICT_RETRY_DELAY * (attempt + 1) * random.uniform(0.5, 1.5))
        online_order_ids = _import_once(env, _locking(online_order_ids, include), include)[1]
    if online_order_ids:
        _logger.warning("OrderWeb online orders %s kept meeting concurrent imports; left for the next run",
                        online_order_ids)


def _locking(online_order_ids, include):
    return SQL("SELECT id FROM orderweb_order WHERE id = ANY(%s) AND %s ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
               list(online_order_ids), PENDING[include])


def _import_once(env, query, include):
    """Lock the online orders ``query`` selects and import them, in one transaction.

    :return: (ids taken, ids of those that met a concurrent update: to import again); ids
        taken None when ``query`` itself met a concurrent update
    """
    taken = None
    try:
        with env.registry.cursor() as cr:
            # Importing only: its commit need not wait for the disk. A crash that loses it
            # loses the POS orders and the 'done' states together, and the payloads, stored
            # durably before, are imported again with the same uuids: still exactly once.
            # Sent with the batch's query: one round trip.
            cr.execute(SQL("SET LOCAL synchronous_commit TO OFF; %s", query), log_exceptions=False)
            taken = [online_order_id for (online_order_id,) in cr.fetchall()]
            own_env = env(cr=cr)  # live until the commit, as in store_committed
            online_orders = own_env['orderweb.order'].browse(taken)
            conflicted = []
            for company in online_orders.company_id:
                conflicted += online_orders.filtered(
                    lambda online_order: online_order.company_id == company).with_company(company)._import().ids
        return taken, conflicted
    except TRANSIENT_ERRORS:
        # Outside any order's savepoint (an order changed since the transaction began, the
        # batch's customers): nothing was committed, all of them again.
        return taken, taken or []
    except Exception as error:
        if is_outage(error) or not taken:
            raise
        if len(taken) == 1:
            _logger.exception("OrderWeb online order %s could not be imported; left for the cron", taken[0])
            return taken, []
        # What failed lay outside any order's savepoint, and nothing of the batch was
        # committed: each order again, alone, so that only the culprit is left.
        _logger.warning("OrderWeb online orders %s failed as a batch; imported one by one", taken, exc_info=True)
        conflicted = []
        for online_order_id in taken:
            conflicted += _import_once(env, _locking([online_order_id], include), include)[1]
        return taken, conflicted
