"""The stand-in in a daemon thread with its own event loop, for tests and benchmarks."""

import asyncio
import socket
import threading

from aiohttp import web

from ..const import SIMULATOR_API_KEY
from .server import OrderWebSimulator

START_TIMEOUT = 10.0
CONTROL_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 2.0


class SimulatorThread:
    """``with SimulatorThread(port=0) as sim:`` serves the stand-in at ``sim.base_url``."""

    def __init__(self, host="127.0.0.1", port=0, tenants=("kitchen",), api_key=SIMULATOR_API_KEY,
                 empty=False, faults: dict | None = None, seed: int | None = None):
        self.host = host
        self.api_key = api_key
        self.simulator = OrderWebSimulator(tenants, api_key, empty, faults, seed)
        self._listen_socket = socket.create_server((host, port))  # port=0: the OS picks a free one
        self.port = self._listen_socket.getsockname()[1]
        netloc = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{netloc}:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    def __enter__(self) -> "SimulatorThread":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> "SimulatorThread":
        self._thread = threading.Thread(target=self._serve, name=f"orderweb-simulator-{self.port}",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the OrderWeb stand-in did not start in time")
        if self._start_error is not None:
            raise RuntimeError("the OrderWeb stand-in failed to start") from self._start_error
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(CONTROL_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONTROL_TIMEOUT)

    # --- controls -------------------------------------------------------------

    def push_order(self, tenant: str, data: dict | None = None, push: bool = True) -> dict:
        return self._run(self.simulator.push_order(tenant, data, push))

    def drop(self, tenant: str) -> int:
        return self._run(self.simulator.drop(tenant))

    def set_faults(self, tenant: str, **faults) -> dict:
        return self._run(self._sync(self.simulator.set_faults, tenant, **faults))

    def stats(self, tenant: str) -> dict:
        return self._run(self._sync(self.simulator.stats, tenant))

    def set_status(self, tenant: str, order_id: str, status: str) -> dict:
        return self._run(self._sync(self.simulator.set_status, tenant, order_id, status))

    def send_raw(self, tenant: str, payload: bytes | str, binary: bool = False) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self._run(self.simulator.send_raw(tenant, data, binary))

    def ping_clients(self, tenant: str) -> None:
        self._run(self.simulator.ping_clients(tenant))

    # --- internals ------------------------------------------------------------

    @staticmethod
    async def _sync(function, *args, **kwargs):
        """Run a plain method inside the loop, where the state lives."""
        return function(*args, **kwargs)

    def _run(self, coroutine):
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the OrderWeb stand-in is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CONTROL_TIMEOUT)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self._runner = web.AppRunner(self.simulator.app(), shutdown_timeout=SHUTDOWN_TIMEOUT,
                                         access_log=None)
            loop.run_until_complete(self._runner.setup())
            loop.run_until_complete(web.SockSite(self._runner, self._listen_socket).start())
        except BaseException as exc:  # reported to start() in the caller's thread
            self._start_error = exc
            self._ready.set()
            loop.close()
            return
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()
