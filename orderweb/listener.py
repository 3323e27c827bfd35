"""WebSocket listener: one daemon thread per tenant receiving pushed orders.

The thread never dies from an exception: every connection ends in a wait
(capped exponential backoff with full jitter, or a slow retry when the key is
refused) and a new attempt, until :meth:`Listener.stop`. Waits are on a wake-up
socket pair and the stop event, and blocking handshakes are cut by shutting the
socket down, so ``stop()`` is prompt in every phase.

How a connection is opened is in :mod:`.connect`, what a data message says in
:mod:`.messages`; frames are read by :class:`~.frames.FrameReader`, which keeps no
more than ``MAX_FRAME_BYTES`` of one. This module holds the thread: its status, its
backoff, and the loop of one connection (pings, frames, their delivery).
"""

import json
import logging
import random
import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, NoReturn

import websocket

from .connect import Connecting, Refused, Stopped
from .const import (
    BACKOFF_CAP,
    BACKOFF_FIRST,
    CONNECT_TIMEOUT,
    MAX_BACKOFF_EXPONENT,
    MAX_FRAME_BYTES,
    MAX_REMEMBERED_UNKNOWN_TYPES,
    MSG_CONNECTED,
    MSG_NEW_ORDER,
    MSG_PING,
    MSG_PONG,
    OVERSIZED_FRAME_KEEP,
    PING_INTERVAL,
    PONG_TIMEOUT,
    REFUSED_CLOSE_CODES,
    REFUSED_RETRY,
    STABLE_AFTER,
    STATE_CONNECTED,
    STATE_CONNECTING,
    STATE_KEY_REFUSED,
    STATE_RECONNECTING,
    STATE_STOPPED,
    STOP_TIMEOUT,
)
from .frames import FrameReader, Message
from .messages import Malformed, decode, oversized_summary, type_label
from .order import Order, PayloadError, parse_order
from .utils import _, check_tenant, endpoints, mask_key, ws_url

logger = logging.getLogger(__name__)

PING_FRAME = json.dumps({"type": MSG_PING})


@dataclass(frozen=True)
class ListenerStatus:
    state: str
    connected_since: datetime | None
    last_message_at: datetime | None
    last_error: str | None
    reconnect_count: int  # successful connections after the first one


class Listener:
    """Receives a tenant's pushed orders and keeps the connection alive.

    ``on_order(orderweb_order, raw)`` gets each order (its :class:`~.order.Order`); ``on_invalid(raw, error)`` each
    ``new_order`` whose data is not an order (``error`` a :class:`PayloadError`),
    and each message over ``MAX_FRAME_BYTES``: then ``raw`` is only a summary,
    ``{"frameBytes", "frameStart", "orderId"?, "orderNumber"?}`` (the ids as hints
    found in its first bytes), and ``error.field`` is ``"frame"``.
    """

    def __init__(
        self,
        base_url: str,
        tenant: str,
        api_key: str,
        on_order: Callable[[Order, dict], Any],
        on_connected: Callable[[], Any] | None = None,
        on_status: Callable[[ListenerStatus], Any] | None = None,
        ping_interval: float = PING_INTERVAL,
        pong_timeout: float = PONG_TIMEOUT,
        backoff_first: float = BACKOFF_FIRST,
        backoff_cap: float = BACKOFF_CAP,
        stable_after: float = STABLE_AFTER,
        refused_retry: float = REFUSED_RETRY,
        connect_timeout: float = CONNECT_TIMEOUT,
        on_invalid: Callable[[Any, PayloadError], Any] | None = None,
    ):
        self.tenant = check_tenant(tenant)
        self.url = ws_url(endpoints(base_url)[0], tenant)
        self._api_key = api_key
        self._on_order = on_order
        self._on_connected = on_connected
        self._on_status = on_status
        self._on_invalid = on_invalid
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.backoff_first = backoff_first
        self.backoff_cap = backoff_cap
        self.stable_after = stable_after
        self.refused_retry = refused_retry
        self.connect_timeout = connect_timeout
        self._label = f"[{self.tenant}]"
        self._lock = threading.Lock()  # guards _status, _sock, _wake_send
        self._status = ListenerStatus(STATE_STOPPED, None, None, None, 0)
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._wake_send: socket.socket | None = None
        self._wake_recv: socket.socket | None = None
        self._unknown_types: set[str] = set()
        self._connections = 0

    # --- public API ---------------------------------------------------------

    def start(self) -> None:
        """Start the thread; a no-op when it is already running."""
        if self._thread is not None and self._thread.is_alive():
            if not self._stopping.is_set():
                return
            raise RuntimeError(f"Listener {self._label} is still stopping")
        self._stopping.clear()
        self._wake_recv, self._wake_send = socket.socketpair()
        self._wake_recv.setblocking(False)
        self._thread = threading.Thread(
            target=self._run, name=f"orderweb-listener-{self.tenant}", daemon=True
        )
        self._thread.start()
        logger.info("Listener %s started for %s with key %s", self._label, self.url, mask_key(self._api_key))

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Ask the thread to end and wait for it at most ``timeout`` seconds."""
        self._stopping.set()
        with self._lock:
            if self._wake_send is not None:
                try:
                    self._wake_send.send(b"x")
                except OSError:  # buffer full: a wake-up is already pending  # pylint: disable=except-pass
                    pass
            if self._sock is not None:
                _shutdown(self._sock)  # cuts a blocking TLS or HTTP handshake short
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("Listener %s did not stop within %.1f s", self._label, timeout)

    def status(self) -> ListenerStatus:
        with self._lock:
            return self._status

    # --- thread -------------------------------------------------------------

    def _run(self) -> None:
        retry = 0  # consecutive failed or short-lived connections, drives the backoff
        try:
            while not self._stopping.is_set():
                began = time.monotonic()
                try:
                    self._connect_and_listen()
                except Stopped:
                    break
                except Refused as exc:
                    self._update(state=STATE_KEY_REFUSED, connected_since=None, last_error=str(exc))
                    self._wait(self.refused_retry)
                    continue
                except Exception as exc:  # the thread must outlive any failure
                    if self._stopping.is_set():
                        break
                    if not isinstance(exc, (OSError, websocket.WebSocketException)):
                        logger.exception("Listener %s failed unexpectedly", self._label)
                    error = _describe(exc)
                if time.monotonic() - began >= self.stable_after:
                    retry = 0
                delay = random.uniform(0, self._backoff_ceiling(retry))
                retry += 1
                self._update(state=STATE_RECONNECTING, connected_since=None, last_error=error)
                logger.info("Listener %s reconnects in %.1f s", self._label, delay)
                self._wait(delay)
        finally:
            with self._lock:
                for sock in (self._wake_recv, self._wake_send):
                    sock.close()
                self._wake_recv = self._wake_send = None
            self._update(state=STATE_STOPPED, connected_since=None)

    def _backoff_ceiling(self, retry: int) -> float:
        return min(self.backoff_cap, self.backoff_first * 2 ** min(retry, MAX_BACKOFF_EXPONENT))

    def _wait(self, seconds: float) -> None:
        """Sleep, returning at once when stop() is called."""
        if not self._stopping.is_set():
            select.select([self._wake_recv], [], [], seconds)

    def _select(self, sock: socket.socket, timeout: float) -> bool:
        """Wait until ``sock`` is readable (True) or ``timeout`` passes; _Stopped on stop()."""
        self._raise_if_stopping()
        ready, _, _ = select.select([sock, self._wake_recv], [], [], max(timeout, 0))
        self._raise_if_stopping()
        return bool(ready)

    def _connect_and_listen(self) -> NoReturn:
        """One connection, from connect to its end, which is always an exception."""
        self._update(state=STATE_CONNECTING)
        ws = self._connect()
        try:
            self._connections += 1
            self._update(state=STATE_CONNECTED, connected_since=_utcnow(),
                         reconnect_count=self._connections - 1)
            self._call(self._on_connected)
            self._listen(ws)
        finally:
            with self._lock:
                self._sock = None
            ws.close(timeout=0)  # a close frame, without waiting for the answer: the link may be dead
            ws.shutdown()  # closes the socket even when close() had nothing to send

    def _connect(self) -> websocket.WebSocket:
        connecting = Connecting(self._wake_recv, self._stopping, self._hold)
        return connecting.websocket(self.url, self.tenant, self._api_key, self.connect_timeout)

    def _hold(self, sock: socket.socket) -> None:
        """The socket being connected, which stop() shuts down."""
        with self._lock:
            self._sock = sock

    def _raise_if_stopping(self) -> None:
        if self._stopping.is_set():
            raise Stopped

    def _listen(self, ws: websocket.WebSocket) -> NoReturn:
        """Receive frames and ping until the link drops, goes silent, or stop()."""
        ws.settimeout(self.pong_timeout)  # bounds the read of a frame already begun
        reader = FrameReader(ws.sock, MAX_FRAME_BYTES, OVERSIZED_FRAME_KEEP)
        got_first_message = False
        next_ping = time.monotonic() + self.ping_interval
        pong_due: float | None = None
        while True:
            now = time.monotonic()
            if pong_due is not None and now >= pong_due:
                raise TimeoutError(f"no pong within {self.pong_timeout} s: the link is dead")
            if now >= next_ping:
                ws.send(PING_FRAME)
                next_ping = now + self.ping_interval
                if pong_due is None:
                    pong_due = now + self.pong_timeout
                continue
            wake_at = next_ping if pong_due is None else min(next_ping, pong_due)
            # TLS may hold decrypted bytes that select() cannot see.
            tls_pending = isinstance(ws.sock, ssl.SSLSocket) and ws.sock.pending()
            if not tls_pending and not self._select(ws.sock, wake_at - now):
                continue
            # Control frames come back too: a server's ping must not leave this loop
            # blocked in a read waiting for the next data frame.
            frame = reader.read()
            if frame.opcode == websocket.ABNF.OPCODE_PING:
                ws.pong(frame.payload)
            if frame.opcode in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG):
                pong_due = None
                continue
            if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
                payload = frame.payload
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                if not got_first_message and code in REFUSED_CLOSE_CODES:
                    raise Refused(f"OrderWeb closed the connection with code {code} right after "
                                   f"the upgrade: API key {mask_key(self._api_key)} refused")
                raise ConnectionError(f"closed by OrderWeb (code {code})")
            got_first_message = True
            # Any frame proves the link alive: a burst of orders may hold the pong back.
            pong_due = None
            try:
                self._handle(frame)
            except Exception as exc:  # one message's trouble is never the link's: the next ones live on
                logger.exception("Listener %s: a message could not be handled", self._label)
                self._report(f"Message skipped: {_describe(exc)}")

    def _handle(self, frame: Message) -> None:
        """One data message: an order is delivered, anything else reported or ignored."""
        self._update(last_message_at=_utcnow())
        if frame.oversized:
            self._skip_oversized(frame)
            return
        try:
            message = decode(frame.opcode, frame.payload)
        except Malformed as exc:
            self._report(f"Malformed frame skipped: {exc}")
            return
        kind = message.get("type")
        if kind == MSG_NEW_ORDER:
            self._deliver(message.get("data"))
        elif kind not in (MSG_CONNECTED, MSG_PONG):
            self._note_unknown(kind)

    def _deliver(self, data: Any) -> None:
        try:
            orderweb_order = parse_order(data)
        except PayloadError as exc:
            self._report(f"Order skipped: {exc}")
            self._call(self._on_invalid, data, exc)
            return
        except Exception as exc:  # whatever one frame holds, it is at worst that order's own error
            error = PayloadError("order", _("could not be read (%(error)s)"), error=type(exc).__name__)
            logger.exception("Listener %s: order skipped, the parser failed on it", self._label)
            self._report(f"Order skipped: {error}")
            self._call(self._on_invalid, data, error)
            return
        self._call(self._on_order, orderweb_order, data)

    def _skip_oversized(self, frame: Message) -> None:
        """Report a message over MAX_FRAME_BYTES with what identifies it, not its content."""
        summary, error = oversized_summary(frame)
        self._report(f"Oversized frame skipped: {error}")
        self._call(self._on_invalid, summary, error)

    def _note_unknown(self, kind: Any) -> None:
        label = type_label(kind)
        if label not in self._unknown_types and len(self._unknown_types) < MAX_REMEMBERED_UNKNOWN_TYPES:
            self._unknown_types.add(label)
            logger.debug("Listener %s ignores messages of type %s", self._label, label)

    def _report(self, error: str) -> None:
        logger.warning("Listener %s: %s", self._label, error)
        self._update(last_error=error)

    def _call(self, callback: Callable | None, *args) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            logger.exception("Callback %s of listener %s failed",
                             getattr(callback, "__name__", callback), self._label)

    def _update(self, **changes) -> None:
        """Change the status; log state changes and tell on_status about any change."""
        with self._lock:
            old = self._status
            self._status = new = replace(old, **changes)
        if new.state != old.state:
            because = new.state in (STATE_RECONNECTING, STATE_KEY_REFUSED) and new.last_error
            logger.info("Listener %s: %s -> %s%s", self._label, old.state, new.state,
                        f" ({new.last_error})" if because else "")
        if new != old and set(changes) != {"last_message_at"}:
            self._call(self._on_status, new)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # not connected yet, or already closed  # pylint: disable=except-pass
        pass


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, (ConnectionError, TimeoutError)) else f"{type(exc).__name__}: {text}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
