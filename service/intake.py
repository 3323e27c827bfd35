"""Intake: what the listener and the pull receive is stored, committed, then imported, each
step in transactions of its own (cursors, commits, threads and retries live here only).

The models run in the transaction they are given: ``orderweb.order._store`` stores,
``orderweb.order._import`` imports. This module gives each step its transaction, so that
a caller's transaction neither delays nor loses a payload, and the database's failures are
told apart from an order's.
"""
import logging
import random
import threading
import time

from odoo.tools import split_every

from ..compat import in_test_mode
from ..const import CONFLICT_RETRIES, CONFLICT_RETRY_DELAY, IMPORT_BATCH, IMPORT_WORKERS
from ..utils import TRANSIENT_ERRORS, is_outage

_logger = logging.getLogger(__name__)

# What an online order in these states still waits for: its import.
TO_IMPORT = ('received', 'waiting')


def receive(env, company, raw_orders, channel, received_since=None):
    """Store each raw order and commit, then import them (``IMPORT_BATCH`` per transaction).

    Safe to run in several processes at once: the unique key of the online orders makes a
    second copy of an order a no-op and the row lock lets only one of them import it.
    Raises only when the database fails: no payload can make a batch fail.

    A catch-up of more than one batch is imported by ``IMPORT_WORKERS`` threads, a batch
    each at a time: the Python of one runs while another waits on PostgreSQL. An order two
    batches contended for (one new customer in both) is imported again at the end.

    :param env: an environment of the database (its cursor is not used)
    :param company: the receiving company
    :param raw_orders: the orders as decoded from the wire
    :param channel: 'push' or 'pull'
    :param received_since: a callable giving the orders the live listener received
        meanwhile: stored before each next batch is imported, and imported after the
        others, so that during a long catch-up no received order waits unstored
    :return: the online orders of ``raw_orders`` (new or already known), in ``env``
    """
    online_orders = store_committed(env, company, raw_orders, channel)
    to_import = online_orders.ids
    lock = threading.Lock()
    failures = []  # what stopped an importing thread: the database failed

    def next_batch():
        nonlocal to_import
        with lock:
            batch, to_import = ([], []) if failures else (to_import[:IMPORT_BATCH], to_import[IMPORT_BATCH:])
            return batch

    def help_import():
        try:
            while batch := next_batch():
                import_committed(env, batch, TO_IMPORT)
        except Exception as error:  # raised by the caller's thread, below
            failures.append(error)

    helpers = []
    try:
        while batch := next_batch():
            import_committed(env, batch, TO_IMPORT)
            more = received_since and received_since()
            if more:
                stored = store_committed(env, company, more, 'push')
                online_orders |= stored
                with lock:
                    to_import += stored.ids
            if len(to_import) > IMPORT_BATCH and sum(helper.is_alive() for helper in helpers) < IMPORT_WORKERS - 1 \
                    and not in_test_mode(env.registry):  # tests share one connection
                helpers.append(threading.Thread(
                    target=help_import, name=f'{threading.current_thread().name}-import', daemon=True))
                helpers[-1].start()
    except Exception as error:
        failures.append(error)  # the helpers stop after their batch
        raise
    finally:
        for helper in helpers:
            helper.join()
    if failures:
        raise failures[0]
    if helpers:
        import_committed(env, online_orders.ids, ('received',))
    online_orders.invalidate_model()  # imported through cursors of their own
    return online_orders


def receive_pulled(env, company, result):
    """Store and import what a pull of ``company`` answered: its orders as :func:`receive`
    does, those it could not even decode in error with their text and the reason.

    :param result: an ``orderweb.pull.PullResult``
    :return: the online orders of the answer
    """
    online_orders = receive(env, company, result.orders, 'pull')
    if result.unreadable:
        with env.registry.cursor() as cr:
            OnlineOrder = env['orderweb.order'].with_env(env(cr=cr))
            for text, reason in result.unreadable:
                online_orders |= OnlineOrder._store_unread(company, text, 'pull', reason).with_env(env)
    return online_orders


def store_committed(env, company, raw_orders, channel):
    """Store ``raw_orders`` (``orderweb.order._store``) in a transaction of their own, committed.

    :return: the online orders, in ``env``
    """
    # The environment is kept in a variable until its cursor commits: the commit flushes
    # the pending writes through a live environment of the transaction, or not at all.
    with env.registry.cursor() as cr:
        own_env = env(cr=cr)
        return env['orderweb.order'].browse(
            own_env['orderweb.order']._store(company.with_env(own_env), raw_orders, channel).ids)


def import_each_committed(online_orders, states=None):
    """Import ``online_orders`` (those in ``states`` then, if given), ``IMPORT_BATCH`` per
    transaction, each order in a savepoint of its own (``orderweb.order._import``): a catch-up
    commits and tells the shops once per batch, and one order's trouble holds no other back.

    Raises only when the database fails; an order that fails otherwise stays stored and
    the cron retries it.
    """
    for batch_ids in split_every(IMPORT_BATCH, online_orders.ids):
        import_committed(online_orders.env, batch_ids, states)
    online_orders.invalidate_model()


def import_committed(env, online_order_ids, states):
    """Import these online orders in a transaction of their own; those that met a concurrent
    import are imported again at once, in fresh transactions, a few times: an order that
    lost a race is imported within seconds, by its winner or here."""
    conflicted = _import_committed_once(env, online_order_ids, states)
    for attempt in range(CONFLICT_RETRIES):
        if not conflicted:
            return
        time.sleep(CONFLICT_RETRY_DELAY * (attempt + 1) * random.uniform(0.5, 1.5))
        conflicted = _import_committed_once(env, conflicted, states)
    if conflicted:
        _logger.warning("OrderWeb online orders %s kept meeting concurrent imports; left for the next run",
                        conflicted)


def _import_committed_once(env, online_order_ids, states):
    """:return: ids of the online orders that met a concurrent update (to import again)"""
    try:
        with env.registry.cursor() as cr:
            # Importing only: its commit need not wait for the disk. A crash that loses it
            # loses the POS orders and the 'done' states together, and the payloads, stored
            # durably before, are imported again with the same uuids: still exactly once.
            cr.execute("SET LOCAL synchronous_commit TO OFF")
            own_env = env(cr=cr)  # live until the commit, as in store_committed
            online_orders = own_env['orderweb.order'].browse(online_order_ids)
            if states:
                online_orders = online_orders.filtered(lambda online_order: online_order.state in states)
            conflicted = []
            for company in online_orders.company_id:
                conflicted += online_orders.filtered(
                    lambda online_order: online_order.company_id == company).with_company(company)._import().ids
        return conflicted
    except TRANSIENT_ERRORS:
        # Outside any order's savepoint (an order changed since the transaction began, the
        # batch's customers): nothing was committed, all of them again.
        return list(online_order_ids)
    except Exception as error:
        if is_outage(error):
            raise
        if len(online_order_ids) == 1:
            _logger.exception("OrderWeb online order %s could not be imported; left for the cron",
                              online_order_ids[0])
            return []
        # What failed lay outside any order's savepoint, and nothing of the batch was
        # committed: each order again, alone, so that only the culprit is left.
        _logger.warning("OrderWeb online orders %s failed as a batch; imported one by one", online_order_ids,
                        exc_info=True)
        conflicted = []
        for online_order_id in online_order_ids:
            conflicted += _import_committed_once(env, [online_order_id], states)
        return conflicted
