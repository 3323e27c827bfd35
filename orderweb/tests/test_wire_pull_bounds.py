"""A pull answer that is deep, huge or endless, from a raw HTTP server on loopback."""

import json
import socket
import threading
import time

import pytest

from orderweb.pull import BadResponse, PullClient, Unreachable

TENANT_INFO = {"id": "t-1", "name": "Kitchen", "slug": "kitchen"}
GOOD = {"id": "good-1", "orderNumber": "KIT-0001", "total": 10.5,
        "items": [{"name": "Margherita pizza", "price": 10.5, "quantity": 1}]}


class RawServer:
    """Answers every request with ``head`` then ``body``, ``pause`` seconds between chunks of
    ``chunk`` bytes; the connection is closed at the end (or when the client goes)."""

    def __init__(self, body: bytes, head: bytes | None = None, chunk: int = 1 << 20, pause: float = 0.0):
        self.body, self.chunk, self.pause = body, chunk, pause
        self.head = head if head is not None else (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % len(body))
        self.sent = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self._listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)  # the request
                try:
                    conn.sendall(self.head)
                    for start in range(0, len(self.body), self.chunk):
                        if self._stop.is_set():
                            return
                        conn.sendall(self.body[start:start + self.chunk])
                        self.sent += len(self.body[start:start + self.chunk])
                        time.sleep(self.pause)
                except OSError:
                    continue

    def close(self):
        self._stop.set()
        self._listener.close()


@pytest.fixture
def serve():
    servers = []

    def start(*args, **kwargs):
        servers.append(RawServer(*args, **kwargs))
        return servers[-1]
    yield start
    for server in servers:
        server.close()


def answer(*orders_text: str) -> bytes:
    return ('{"success": true, "tenant": %s, "orders": [%s], "count": %d}' % (
        json.dumps(TENANT_INFO), ", ".join(orders_text), len(orders_text))).encode()


def client(url, **kwargs):
    return PullClient(url, "kitchen", "pos_" + "0" * 64, timeout=(2, 5), backoff_factor=0, **kwargs)


def test_a_deep_order_is_kept_apart_and_the_good_ones_are_read(serve):
    deep = '{"id": "deep-1", "items": %s}' % ("[" * 5000 + "]" * 5000)
    server = serve(answer(json.dumps(GOOD), deep, json.dumps({**GOOD, "id": "good-2"})))
    result = client(server.url).pull()
    assert [order["id"] for order in result.orders] == ["good-1", "good-2"]
    assert result.tenant == TENANT_INFO and result.count == 3
    [(text, reason)] = result.unreadable
    assert text == deep and "nested too deeply" in str(reason)


@pytest.mark.parametrize("body", [
    b'{"success": true, "orders": [' + b"[" * 5000,  # cut short
    b'{"success": true, "orders": [{"a": "' + b"[" * 5000 + b"]}",  # unterminated string
], ids=["cut-short", "unterminated-string"])
def test_a_broken_deep_answer_is_a_bad_response(serve, body):
    with pytest.raises(BadResponse, match="not JSON"):
        client(serve(body).url).pull()


def test_an_answer_over_the_byte_cap_is_refused_by_its_length(serve):
    server = serve(answer(json.dumps(GOOD)) + b" " * 5000)
    with pytest.raises(BadResponse, match="answered 5235 bytes, more than the 4096 bytes"):
        client(server.url, max_bytes=4096).pull()


def test_an_answer_over_the_byte_cap_is_refused_while_read(serve):
    # No Content-Length: the budget is counted as the body comes.
    body = answer(json.dumps(GOOD)) + b" " * 200_000
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    with pytest.raises(BadResponse, match="more than the 65536 bytes"):
        client(serve(body, head=head, chunk=8192).url, max_bytes=65536).pull()


def test_a_trickling_answer_is_given_up_at_the_deadline(serve):
    # One byte every 0.2 s: each read is quick, the answer never ends.
    server = serve(answer(json.dumps(GOOD)) * 100, chunk=1, pause=0.2)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="did not finish its answer within 2"):
        client(server.url, deadline=2.0).pull()
    assert time.monotonic() - started < 2.0 + 5 + 1, "the deadline, plus at most one read timeout"
