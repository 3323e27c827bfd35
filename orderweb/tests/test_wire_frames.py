"""The size-bounded frame reader, over a real socket pair."""

import socket
import threading

import pytest
from websocket import ABNF, WebSocketConnectionClosedException, WebSocketProtocolException

from orderweb.const import MAX_FRAGMENTS
from orderweb.frames import FrameReader, Message

TEXT, BINARY, CONT = ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY, ABNF.OPCODE_CONT
PING, CLOSE = ABNF.OPCODE_PING, ABNF.OPCODE_CLOSE


def frame(opcode: int, payload: bytes, fin: bool = True, first_bits: int = 0, mask: bytes | None = None) -> bytes:
    """A server frame as RFC 6455 lays it out (unmasked unless mask is given)."""
    head = bytes([(0x80 if fin else 0) | first_bits | opcode])
    mask_bit = 0x80 if mask else 0
    if len(payload) < 126:
        head += bytes([mask_bit | len(payload)])
    elif len(payload) < 1 << 16:
        head += bytes([mask_bit | 126]) + len(payload).to_bytes(2, "big")
    else:
        head += bytes([mask_bit | 127]) + len(payload).to_bytes(8, "big")
    return head + (mask or b"") + payload


@pytest.fixture
def pair():
    server, client = socket.socketpair()
    client.settimeout(5)
    yield server, client
    server.close()
    client.close()


def send_in_thread(sock, data: bytes) -> threading.Thread:
    """Large writes block until read: send them from a thread."""
    sender = threading.Thread(target=sock.sendall, args=(data,), daemon=True)
    sender.start()
    return sender


def test_messages_and_control_frames_in_order(pair):
    server, client = pair
    server.sendall(frame(TEXT, b'{"a": 1}') + frame(BINARY, b"\x00\x01") + frame(PING, b"hi")
                   + frame(TEXT, b"x" * 300) + frame(TEXT, b"y" * 70_000) + frame(CLOSE, b"\x03\xe8"))
    reader = FrameReader(client, 100_000, 16)
    assert reader.read() == Message(TEXT, b'{"a": 1}', 8)
    assert reader.read() == Message(BINARY, b"\x00\x01", 2)
    assert reader.read() == Message(PING, b"hi", 2)
    assert reader.read() == Message(TEXT, b"x" * 300, 300)  # 16-bit length
    assert reader.read() == Message(TEXT, b"y" * 70_000, 70_000)  # 64-bit length
    assert reader.read() == Message(CLOSE, b"\x03\xe8", 2)


def test_fragments_are_joined_and_a_ping_between_them_comes_first(pair):
    server, client = pair
    server.sendall(frame(TEXT, b'{"type": ', fin=False) + frame(PING, b"") + frame(CONT, b'"new', fin=False)
                   + frame(CONT, b'_order"}') + frame(TEXT, b"next"))
    reader = FrameReader(client, 1000, 16)
    assert reader.read() == Message(PING, b"", 0)
    assert reader.read() == Message(TEXT, b'{"type": "new_order"}', 21)
    assert reader.read() == Message(TEXT, b"next", 4)


def test_an_oversized_message_keeps_only_its_beginning_and_the_next_one_is_read(pair):
    server, client = pair
    big = b'{"type": "new_order", "data": {"orderId": "BIG"' + b" " * 5_000_000 + b"}}"
    sender = send_in_thread(server, frame(TEXT, big) + frame(TEXT, b'{"after": true}'))
    reader = FrameReader(client, 1_000_000, 32)
    assert reader.read() == Message(TEXT, big[:32], len(big), oversized=True)
    assert reader.read() == Message(TEXT, b'{"after": true}', 15)
    sender.join(5)


def test_the_bound_covers_all_fragments_of_one_message(pair):
    server, client = pair
    fragments = frame(TEXT, b"a" * 600, fin=False) + frame(CONT, b"b" * 600, fin=False) + frame(CONT, b"c" * 600)
    server.sendall(fragments + frame(TEXT, b"a" * 1000))
    reader = FrameReader(client, 1000, 10)
    assert reader.read() == Message(TEXT, b"a" * 10, 1800, oversized=True)
    assert reader.read() == Message(TEXT, b"a" * 1000, 1000)  # exactly the bound is fine


@pytest.mark.parametrize("data, reason", [
    (frame(TEXT, b"x", mask=b"abcd"), "masked"),
    (frame(TEXT, b"x", first_bits=0x40), "reserved bits"),
    (frame(CONT, b"x"), "continuation"),
    (frame(TEXT, b"x", fin=False) + frame(TEXT, b"y"), "before the last one ended"),
    (frame(PING, b"x" * 126), "control frame"),
    (frame(PING, b"x", fin=False), "control frame"),
    (frame(0x3, b"x"), "unknown opcode"),
])
def test_protocol_violations_end_the_link(pair, data, reason):
    server, client = pair
    server.sendall(data)
    with pytest.raises(WebSocketProtocolException, match=reason):
        FrameReader(client, 1000, 10).read()


def test_a_connection_closed_mid_frame_is_an_error(pair):
    server, client = pair
    server.sendall(frame(TEXT, b"x" * 100)[:50])
    server.shutdown(socket.SHUT_WR)
    with pytest.raises(WebSocketConnectionClosedException):
        FrameReader(client, 1000, 10).read()


def fragmented(payload: bytes) -> bytes:
    """``payload`` as a text message of one-byte fragments."""
    return b"".join(frame(TEXT if index == 0 else CONT, payload[index:index + 1], fin=index == len(payload) - 1)
                    for index in range(len(payload)))


def test_a_message_over_the_fragment_cap_ends_the_link(pair):
    server, client = pair
    sender = send_in_thread(server, fragmented(b"a" * (MAX_FRAGMENTS + 1)))
    reader = FrameReader(client, 1_000_000, 10)
    with pytest.raises(WebSocketProtocolException, match=f"more than {MAX_FRAGMENTS} fragments"):
        reader.read()
    client.close()
    sender.join(5)


def test_fragments_up_to_the_cap_are_one_message(pair):
    server, client = pair
    sender = send_in_thread(server, fragmented(b"b" * MAX_FRAGMENTS) + frame(TEXT, b"next"))
    reader = FrameReader(client, 1_000_000, 10)
    assert reader.read() == Message(TEXT, b"b" * MAX_FRAGMENTS, MAX_FRAGMENTS)
    assert reader.read() == Message(TEXT, b"next", 4)
    sender.join(5)


def test_eighty_thousand_fragments_are_read_in_one_pass(pair):
    # Each fragment costs the same whatever came before it (the message's kept length is
    # counted, not summed again): the 80,000 one-byte fragments, cap lifted.
    server, client = pair
    payload = bytes(range(256)) * 312 + b"end"
    sender = send_in_thread(server, fragmented(payload))
    reader = FrameReader(client, 1_000_000, 10, max_fragments=len(payload))
    assert reader.read() == Message(TEXT, payload, len(payload))
    sender.join(5)
