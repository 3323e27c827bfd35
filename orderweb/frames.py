"""A server's WebSocket messages (RFC 6455, client side), read with a size bound.

websocket-client reads a whole frame into memory whatever its length. This reader
learns the length from each frame header and, past ``max_message_bytes`` for one
message (all its fragments together), keeps only the first ``keep_bytes`` and reads
the rest away in small chunks: a huge frame costs time on the wire, never memory,
and the link stays usable. It reads exactly what each frame needs, so nothing is
buffered here that ``select()`` cannot see.
"""

import socket
from dataclasses import dataclass

from websocket import ABNF, WebSocketConnectionClosedException, WebSocketProtocolException

from .const import FRAME_READ_CHUNK, MAX_CONTROL_PAYLOAD, MAX_FRAGMENTS

DATA_OPCODES = (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY)
CONTROL_OPCODES = (ABNF.OPCODE_CLOSE, ABNF.OPCODE_PING, ABNF.OPCODE_PONG)


@dataclass(frozen=True)
class Message:
    opcode: int  # ABNF.OPCODE_TEXT / _BINARY, or a control frame's opcode
    payload: bytes  # all of it, or only its first keep_bytes when oversized
    size: int  # payload bytes the server sent for this message
    oversized: bool = False


class FrameReader:
    """``read()`` returns the next whole message or control frame from ``sock``."""

    def __init__(self, sock: socket.socket, max_message_bytes: int, keep_bytes: int,
                 max_fragments: int = MAX_FRAGMENTS):
        self._sock = sock
        self._max = max_message_bytes
        self._keep = min(keep_bytes, max_message_bytes)
        self._max_fragments = max_fragments
        self._start_message()

    def _start_message(self) -> None:
        self._opcode: int | None = None  # of the fragmented message in progress
        self._parts: list[bytes] = []
        self._size = 0
        self._kept = 0  # bytes in _parts, counted as they come: each fragment costs the same
        self._fragments = 0

    def read(self) -> Message:  # not an Odoo model's read()  # pylint: disable=method-required-super
        """Block until a message or a control frame is complete (control frames may
        arrive between the fragments of a message, and are returned at once)."""
        while True:
            first, second = self._exact(2)
            fin, opcode = first & 0x80, first & 0x0F
            if first & 0x70:
                raise WebSocketProtocolException("frame with reserved bits set (no extension was agreed)")
            if second & 0x80:
                raise WebSocketProtocolException("masked frame from the server")
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(self._exact(2), "big")
            elif length == 127:
                length = int.from_bytes(self._exact(8), "big")
            if opcode in CONTROL_OPCODES:
                if not fin or length > MAX_CONTROL_PAYLOAD:
                    raise WebSocketProtocolException("fragmented or oversized control frame")
                return Message(opcode, self._exact(length), length)
            if opcode == ABNF.OPCODE_CONT:
                if self._opcode is None:
                    raise WebSocketProtocolException("continuation frame without a message")
            elif opcode in DATA_OPCODES:
                if self._opcode is not None:
                    raise WebSocketProtocolException("new message before the last one ended")
                self._opcode = opcode
            else:
                raise WebSocketProtocolException(f"unknown opcode {opcode:#x}")
            self._fragments += 1
            if self._fragments > self._max_fragments:
                # No real server splits a message so finely; reading on would let one message
                # cost without end. The link is dropped: the catch-up pull brings its order.
                raise WebSocketProtocolException(f"message in more than {self._max_fragments} fragments")
            self._receive(length)
            if fin:
                message = Message(self._opcode, b"".join(self._parts), self._size,
                                  oversized=self._size > self._max)
                self._start_message()
                return message

    def _receive(self, length: int) -> None:
        """Add ``length`` payload bytes to the message, keeping what the bound allows."""
        self._size += length
        wanted = length if self._size <= self._max else max(self._keep - self._kept, 0)
        if self._size > self._max and self._kept > self._keep:
            self._parts = [b"".join(self._parts)[: self._keep]]
            self._kept = self._keep
        if wanted:
            self._parts.append(self._exact(min(wanted, length)))
            self._kept += len(self._parts[-1])
        self._skip(length - min(wanted, length))

    def _exact(self, count: int) -> bytes:
        chunks = []
        while count:
            chunk = self._sock.recv(min(count, FRAME_READ_CHUNK))
            if not chunk:
                raise WebSocketConnectionClosedException("the connection closed in the middle of a frame")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _skip(self, count: int) -> None:
        while count:
            chunk = self._sock.recv(min(count, FRAME_READ_CHUNK))
            if not chunk:
                raise WebSocketConnectionClosedException("the connection closed in the middle of a frame")
            count -= len(chunk)
