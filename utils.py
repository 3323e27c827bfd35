"""Helpers of the Odoo side of pos_orderweb that need no model."""
import contextlib
import logging
import re
import threading

import psycopg2
from psycopg2.pool import PoolError

from .orderweb.utils import MessageError, folded_text

# A transaction that met another one (repeatable read, a deadlock, a lock not taken): nothing of
# it was committed, and the same work in a fresh transaction succeeds.
TRANSIENT_ERRORS = (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected,
                    psycopg2.errors.LockNotAvailable)

_own_statements = threading.local()


class _OwnFailedStatements(logging.Filter):
    """Drops the "bad query" record Odoo's ``odoo.sql_db`` logs when a statement fails, only
    for statements of the thread that is inside :func:`expected_sql_failures`.

    Those statements are INSERTs of online orders, whose text holds customers' names, phones
    and e-mails, failing on purpose (a unique key met) and handled by the caller. Unlike
    Odoo's ``mute_logger``, which swaps the logger's handlers for every thread and, used by
    two threads at once, can leave them swapped, a filter installed once changes nothing for
    any other statement, thread or module.
    """

    def filter(self, record):
        return not (getattr(_own_statements, 'expected', 0) and str(record.msg).startswith('bad query'))


_OWN_FAILED_STATEMENTS = _OwnFailedStatements()


def install_log_filter():
    """Install the filter of :func:`expected_sql_failures` on ``odoo.sql_db``: called by the
    addon's ``post_load`` (__init__.py), when Odoo loads it, before any import of an online
    order. Installing it again changes nothing (a logger keeps a filter once)."""
    logging.getLogger('odoo.sql_db').addFilter(_OWN_FAILED_STATEMENTS)


@contextlib.contextmanager
def expected_sql_failures():
    """Within this block, a failing statement of this thread is not logged by Odoo (once
    :func:`install_log_filter` ran): the caller handles the error, and logs it if it must,
    without the statement's data.

    :return: a context manager
    """
    _own_statements.expected = getattr(_own_statements, 'expected', 0) + 1
    try:
        yield
    finally:
        _own_statements.expected -= 1


def error_summary(error):
    """What a log may say of ``error``: a database error's text can hold the row it refused
    (PostgreSQL's "Failing row contains …"), customers' details included: only its kind and
    first line then.

    :param error: an exception
    :return: a line of text
    """
    if isinstance(error, psycopg2.Error):
        primary = error.diag.message_primary if error.diag else None
        return f"{type(error).__name__}: {primary or error.pgcode or 'database error'}"
    return f"{type(error).__name__}: {error}"


def is_outage(error):
    """Whether ``error`` comes from the database or its connection (the work is worth doing
    again) rather than from an order (a limit it exceeds is the order's fault). A full pool
    of Odoo's connections is one: the connection a cursor opens is missing for a moment.

    :param error: an exception
    :return: bool
    """
    return isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError, PoolError)) and not isinstance(
        error, psycopg2.errors.ProgramLimitExceeded)


def translated(env, error):
    """The message of ``error`` in the language of ``env``: the wire client's messages are English
    templates marked for this addon's catalogue (``orderweb.utils.MessageError``); any other
    error reads as it is.

    :return: str
    """
    if isinstance(error, MessageError):
        return env._(error.template, **error.params)
    return str(error)


def words_pattern(words_text):
    """The words of ``words_text`` (separated by commas, semicolons or new lines) as one
    pattern matching any of them as a whole word, also in the plural (+s, +es), in text
    folded as :func:`words_found` folds it; None without words."""
    words = sorted({folded_text(word).strip() for word in re.split(r'[,;\n]', words_text or '')} - {''},
                   key=len, reverse=True)  # the longest first: "tree nut" before "nut"
    if not words:
        return None
    return re.compile(r'(?<!\w)(?:%s)(?:e?s)?(?!\w)' % '|'.join(map(re.escape, words)))


def words_found(pattern, text):
    """The words of ``pattern`` (:func:`words_pattern`) in ``text``, whatever its case,
    accents, ligatures or spacing ("CŒLIAC" is "coeliac"), as found, folded and sorted."""
    return sorted({match.group(0) for match in pattern.finditer(folded_text(text or ''))})
