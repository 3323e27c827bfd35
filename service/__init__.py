"""Where the OrderWeb runner (runner.py) lives, in each Odoo server mode.

* Threaded server (``--workers 0``): one daemon thread in the server process,
  started with the cron threads and stopped by ``CommonServer.on_stop``. Never
  with ``--stop-after-init`` (which returns before the cron threads), hence not
  during the test run nor the install of a database, and never in ``odoo shell``
  (no server at all).
* Prefork server (``--workers N``): a dedicated worker process forked by the
  master next to the HTTP and cron workers, respawned by the master when it dies,
  like OCA queue_job's job runner. The master itself never runs a thread: it
  forks, and forking a process with live threads and sockets is a deadlock
  source. The worker is neither recycled by ``limit_request`` nor exposed to HTTP
  time limits; the master's watchdog kills it if a pass hangs past
  ``limit_time_real``. The master must import this module before it forks, so
  load it server-wide: ``--load=base,web,pos_orderweb`` (``server_wide_modules``
  in the configuration file); ``-d``/``db_name`` also does, by preloading.
* The gevent process (``/websocket``) and ``odoo shell`` run no listener.

Several processes or servers may each run a runner on one database: the
per-company advisory lock (runner.py) lets one of them hold the WebSocket.
"""

import ctypes
import logging
import os
import select
import threading

from odoo.service import server
from odoo.tools import config

from .runner import TICK, Runner

_logger = logging.getLogger(__name__)

# glibc gives a process's threads up to 8 malloc arenas per core, each reserving 64 MiB of
# address space: the runner worker's threads (a listener and an inbox per company) reach
# that cap, 1 GiB on two cores, 4 GiB on eight, which Odoo's memory limits count
# (limit_memory_soft restarts the worker, limit_memory_hard fails its allocations).
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt() parameter

_threaded_runner = None


def cap_malloc_arenas():
    """Let this process's threads share MALLOC_ARENAS malloc arenas (glibc; elsewhere a no-op)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # another C library: its own allocator
        return
    mallopt(M_ARENA_MAX, MALLOC_ARENAS)


def _start_threaded_runner():
    global _threaded_runner
    if _threaded_runner is None:
        _threaded_runner = Runner()
        _threaded_runner.start()


def _stop_threaded_runner():
    if _threaded_runner is not None:
        _threaded_runner.stop()


class OrderWebWorker(server.Worker):
    """Prefork worker running the runner: one pass per loop of Odoo's worker cycle,
    so the usual parent-alive and memory checks and the watchdog apply."""

    def __init__(self, multi):
        super().__init__(multi)
        self.runner = Runner()

    def start(self):  # Worker.start() returns nothing  # pylint: disable=missing-return
        cap_malloc_arenas()  # before any thread of this process
        super().start()
        if self.multi.socket:
            self.multi.socket.close()  # serves no HTTP, as the cron workers

    def sleep(self):
        # wakes up early on a signal, through the worker's wake-up pipe
        select.select([self.wakeup_fd_r], [], [], TICK)
        server.empty_pipe(self.wakeup_fd_r)

    def process_work(self):
        self.runner.tick()

    def stop(self):
        self.runner.close()


_orig_cron_spawn = server.ThreadedServer.cron_spawn
_orig_process_spawn = server.PreforkServer.process_spawn


def cron_spawn(self):
    _orig_cron_spawn(self)
    _start_threaded_runner()


def process_spawn(self):
    _orig_process_spawn(self)
    if not any(isinstance(worker, OrderWebWorker) for worker in self.workers.values()):
        self.worker_spawn(OrderWebWorker, {})


server.ThreadedServer.cron_spawn = cron_spawn
server.PreforkServer.process_spawn = process_spawn
server.CommonServer.on_stop(_stop_threaded_runner)

# Imported after the server started: the module was neither loaded server-wide
# nor preloaded, but by the first request (or cron) touching a database.
if isinstance(server.server, server.ThreadedServer) and not config['stop_after_init'] \
        and getattr(threading.current_thread(), 'type', None) in ('http', 'cron'):
    _start_threaded_runner()
elif isinstance(server.server, server.PreforkServer) and os.getpid() != server.server.pid:
    _logger.warning(
        "pos_orderweb is not loaded server-wide: no OrderWeb live listener runs in this prefork "
        "server, orders only arrive by the periodic pull. Start Odoo with "
        "--load=base,web,pos_orderweb (or server_wide_modules in its configuration file).")
