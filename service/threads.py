"""The runner's threads: their stacks, and the slots bounding their database work."""
import threading
from contextlib import contextmanager

from odoo.tools import config

from ..const import DB_WORKERS, STATUS_WRITERS, THREAD_STACK

# Inboxes working in the database at once in this process (const.DB_WORKERS), within a quarter
# of Odoo's pool; status writes have slots of their own, so that a pass never waits behind them.
DB_SLOTS = max(1, min(DB_WORKERS, config['db_maxconn'] // 4))
db_slots = threading.BoundedSemaphore(DB_SLOTS)
status_slots = threading.BoundedSemaphore(STATUS_WRITERS)

_stack_lock = threading.Lock()


@contextmanager
def small_stacks():
    """Threads started meanwhile get THREAD_STACK (a process-wide setting, restored after)."""
    with _stack_lock:
        previous = threading.stack_size(THREAD_STACK)
        try:
            yield
        finally:
            threading.stack_size(previous)
