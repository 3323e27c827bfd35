"""Opening a WebSocket to OrderWeb so that the listener's stop() can cut it short at any step.

The TCP connection (and TLS for ``wss``) is opened here rather than by websocket-client so that
it can be interrupted; proxies are therefore not used. websocket-client does the handshake.
"""

import errno
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import urlsplit

import websocket

from .const import REFUSED_HTTP_STATUSES
from .utils import mask_key


class Stopped(Exception):
    """stop() was called while connecting."""


class Refused(Exception):
    """The server refused the API key."""


class Connecting:
    """One attempt to connect, interruptible by its listener's stop().

    :param wake: a socket that turns readable when stop() is called
    :param stopping: the event stop() sets
    :param hold: called with each socket as it is made, which stop() then shuts down
        (cutting a blocking TLS or HTTP handshake short)
    """

    def __init__(self, wake: socket.socket, stopping: threading.Event, hold: Callable[[socket.socket], None]):
        self.wake = wake
        self.stopping = stopping
        self.hold = hold

    def raise_if_stopping(self) -> None:
        if self.stopping.is_set():
            raise Stopped

    def websocket(self, url: str, tenant: str, api_key: str, timeout: float) -> websocket.WebSocket:
        """The upgraded WebSocket of ``url``, its key sent, within ``timeout`` seconds.

        :raise Refused: the server refused the key
        :raise Stopped: stop() was called
        """
        deadline = time.monotonic() + timeout
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        sock = self.tcp(parts.hostname, port, deadline, timeout)
        try:
            if parts.scheme == "wss":  # certificate and host name are verified
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
                self.hold(sock)
            ws = websocket.create_connection(
                url,
                socket=sock,
                header=[f"X-API-Key: {api_key}"],
                redirect_limit=0,  # following a redirect would hand the key to another URL
            )
            if ws.getstatus() != HTTPStatus.SWITCHING_PROTOCOLS:
                ws.shutdown()
                raise ConnectionError(
                    f"WebSocket upgrade answered HTTP {ws.getstatus()} (redirects are not followed)")
            return ws
        except websocket.WebSocketBadStatusException as exc:
            sock.close()
            self.raise_if_stopping()
            if exc.status_code in REFUSED_HTTP_STATUSES:
                raise Refused(f"OrderWeb refused the API key {mask_key(api_key)} "
                              f"for tenant {tenant} (HTTP {exc.status_code})") from None
            raise ConnectionError(f"WebSocket upgrade answered HTTP {exc.status_code}") from None
        except BaseException:
            sock.close()
            self.raise_if_stopping()
            raise

    def tcp(self, host: str, port: int, deadline: float, timeout: float) -> socket.socket:
        """Non-blocking connect, so that stop() can interrupt it."""
        last_error: OSError | None = None
        for family, kind, proto, _name, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            sock = socket.socket(family, kind, proto)
            self.hold(sock)
            try:
                sock.setblocking(False)
                code = sock.connect_ex(address)
                if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                    raise OSError(code, os.strerror(code))
                while code != 0:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(f"connect timed out after {timeout} s")
                    _, writable, _ = select.select([self.wake], [sock], [], remaining)
                    self.raise_if_stopping()
                    if writable:
                        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if code:
                            raise OSError(code, os.strerror(code))
                        break
                # Bounds the TLS and upgrade handshakes that follow on this socket.
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # orders are small frames
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                return sock
            except Stopped:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                last_error = exc
        raise last_error or OSError(f"no address found for {host}")
