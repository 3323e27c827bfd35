"""The runner's threads: their stacks, and the slots bounding their database work."""
import threading
from contextlib import contextmanager

from odoo.tools import config

from ..const import DB_WORKERS, STATUS_WRITERS, THREAD_STACK


class Slots:
    """A bounded number of threads at once, telling how many wait for their turn."""

    def __init__(self, count):
        self.count = count
        self.waiting = 0  # threads waiting for a slot now
        self._semaphore = threading.BoundedSemaphore(count)
        self._lock = threading.Lock()

    def acquire(self, blocking=True):
        if self._semaphore.acquire(blocking=False):
            return True
        if not blocking:
            return False
        with self._lock:
            self.waiting += 1
        try:
            return self._semaphore.acquire()
        finally:
            with self._lock:
                self.waiting -= 1

    def release(self):
        self._semaphore.release()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()


# Inboxes working in the database at once in this process (const.DB_WORKERS), within a quarter
# of Odoo's pool; status writes have slots of their own, so that a pass never waits behind them.
DB_SLOTS = max(1, min(DB_WORKERS, config['db_maxconn'] // 4))
db_slots = Slots(DB_SLOTS)
status_slots = Slots(STATUS_WRITERS)

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
