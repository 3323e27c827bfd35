"""What a WebSocket data message of OrderWeb says: decoded to a JSON object, or, for one over
``MAX_FRAME_BYTES``, summed up by what its beginning tells of it. No socket, no state."""

import json
import re
from typing import Any

import websocket

from .const import MAX_FRAME_BYTES
from .frames import Message
from .order import PayloadError
from .utils import _, is_storable_text

# What tells an oversized order apart, found in the beginning kept of it: a hint only.
OVERSIZED_HINTS = {key: re.compile(rf'"{key}"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)')
                   for key in ("orderId", "orderNumber")}


class Malformed(Exception):
    """A frame that is not a JSON object; reported and skipped."""


def decode(opcode: int, payload: bytes) -> dict:
    """The JSON object a data frame holds.

    :raise Malformed: a binary frame, text that is not UTF-8, not JSON, or not an object
    """
    if opcode != websocket.ABNF.OPCODE_TEXT:
        raise Malformed(f"binary frame of {len(payload)} bytes")
    try:
        message = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise Malformed("text frame that is not valid UTF-8") from None
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise Malformed(f"not JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(message, dict):
        raise Malformed(f"JSON {type(message).__name__} instead of an object")
    return message


def oversized_summary(frame: Message) -> tuple[dict, PayloadError]:
    """What identifies a message over MAX_FRAME_BYTES, not its content:
    ``{"frameBytes", "frameStart", "orderId"?, "orderNumber"?}`` (the ids as hints found in
    its first bytes), and the error saying so (its ``field`` is ``"frame"``)."""
    # Kept as storable text: invalid bytes and NUL become U+FFFD.
    start = frame.payload.decode("utf-8", "replace").replace("\x00", "\ufffd")
    summary = {"frameBytes": frame.size, "frameStart": start}
    for key, pattern in OVERSIZED_HINTS.items():
        match = pattern.search(start)
        try:
            value = json.loads(match.group(1)) if match else None
        except ValueError:  # a bad escape: no usable hint
            value = None
        if isinstance(value, int) or (isinstance(value, str) and is_storable_text(value)):
            summary[key] = value
    number = summary.get("orderNumber")
    error = PayloadError(
        "frame", _("is %(size)s bytes, over the limit of %(limit)s: it was not read, only its first "
                   "%(kept)s bytes are kept"),
        None if number is None else str(number), size=frame.size, limit=MAX_FRAME_BYTES, kept=len(frame.payload))
    return summary, error


def type_label(kind: Any) -> str:
    """A message type as a log may show it: repr() of a deeply nested value could recurse past the limit."""
    if isinstance(kind, (str, int, float, bool)):
        return repr(kind)[:80]
    return f"<{'null' if kind is None else type(kind).__name__}>"
