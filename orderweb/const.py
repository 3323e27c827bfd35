"""Constants of the OrderWeb wire protocol and of this client's defaults."""

from decimal import Decimal

# --- Keys ---------------------------------------------------------------------
API_KEY_PREFIX = "pos_"
# Fixed, obviously fake key of the local stand-in: never a real tenant's key.
SIMULATOR_API_KEY = "pos_0000000000000000deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
# Below this length even the last characters of a key would say too much.
MASK_MIN_KEY_LENGTH = 16
MASK_VISIBLE_TAIL = 4

# --- Endpoints ----------------------------------------------------------------
WS_PATH = "/ws/pos/{tenant}"
PULL_PATH = "/api/pos/pull-orders"
# ws scheme -> (ws scheme, http scheme); any other scheme is refused.
SCHEME_PAIRS = {
    "wss": ("wss", "https"),
    "https": ("wss", "https"),
    "ws": ("ws", "http"),
    "http": ("ws", "http"),
}
# Port a ws scheme means when none is written.
DEFAULT_PORTS = {"ws": 80, "wss": 443}
# Names of this very machine: one server, however it is spelled.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
DEFAULT_STATUS = "confirmed"
DEFAULT_LIMIT = 50

# --- WebSocket messages -------------------------------------------------------
MSG_CONNECTED = "connected"
MSG_NEW_ORDER = "new_order"
MSG_PING = "ping"
MSG_PONG = "pong"
# Close codes a server uses to say "not with this key" right after the upgrade.
REFUSED_CLOSE_CODES = frozenset({1008, 4001, 4003, 4401, 4403})
REFUSED_HTTP_STATUSES = frozenset({401, 403})
# A hostile server could invent endless message types; remember only so many.
MAX_REMEMBERED_UNKNOWN_TYPES = 64
# One message (all its fragments) above this is read away, not kept: a large real
# order (MAX_ORDER_LINES lines) is well below it.
MAX_FRAME_BYTES = 1024 * 1024
# Of an oversized message, only this beginning is kept, to tell which order it was.
OVERSIZED_FRAME_KEEP = 512
# Bytes asked of the socket per read of a frame.
FRAME_READ_CHUNK = 65536
# A control frame's payload is at most this long (RFC 6455, 5.5).
MAX_CONTROL_PAYLOAD = 125
# Fragments one message may come in; more drops the link (its order comes with the pull).
MAX_FRAGMENTS = 1024

# --- Listener states ----------------------------------------------------------
STATE_STOPPED = "stopped"
STATE_CONNECTING = "connecting"
STATE_CONNECTED = "connected"
STATE_RECONNECTING = "reconnecting"
STATE_KEY_REFUSED = "key_refused"
STATES = (STATE_STOPPED, STATE_CONNECTING, STATE_CONNECTED, STATE_RECONNECTING, STATE_KEY_REFUSED)

# --- Listener defaults (seconds) ----------------------------------------------
PING_INTERVAL = 30.0
PONG_TIMEOUT = 10.0
BACKOFF_FIRST = 5.0
BACKOFF_CAP = 60.0
STABLE_AFTER = 60.0
REFUSED_RETRY = 300.0
CONNECT_TIMEOUT = 10.0
STOP_TIMEOUT = 2.0
# 2**30 times any first delay is far beyond any cap; avoids float overflow.
MAX_BACKOFF_EXPONENT = 30

# --- Pull client defaults -----------------------------------------------------
# Seconds to connect, and between two reads, of each attempt: one number, as Odoo's tests
# want it (they check the timeout of every request made in them).
PULL_TIMEOUT = 15
PULL_RETRIES = 3
PULL_BACKOFF_FACTOR = 0.5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A Retry-After of an hour would freeze the calling worker: wait at most this.
RETRY_AFTER_CAP = 30.0
# A whole pull, retries, waits and the answer's last byte included, ends within this many
# seconds (plus at most one read timeout): an answer trickling in is given up, not waited for.
PULL_DEADLINE = 30.0
# An answer (decompressed) larger than this is refused, by its Content-Length or while read:
# 500 real orders are about 1 MiB.
MAX_PULL_BYTES = 16 * 1024 * 1024
PULL_READ_CHUNK = 65536

# --- Order payloads -----------------------------------------------------------
SHAPE_PUSH = "push"
SHAPE_PULL = "pull"
# A timestamp written longer than this is no ISO 8601 time.
MAX_TIMESTAMP_LENGTH = 64
# Identifiers longer than this are rejected (truncating one could merge orders).
MAX_ID_LENGTH = 128
# Free text longer than this is truncated, ending with TRUNCATION_MARK.
MAX_SHORT_TEXT = 255  # names, phone, email, type, source, status, group
# The customer's instructions and an item's notes are read for allergies: never cut. Bounded
# only as a whole order is (an order's text fits in one frame; a longer one is not imported).
MAX_LONG_TEXT = MAX_FRAME_BYTES
TRUNCATION_MARK = "…"
MAX_ITEMS = 500
MAX_ADDONS = 100
# Items and add-ons together: each becomes work on the Odoo side, and one order must
# not hold a company's queue for minutes.
MAX_ORDER_LINES = 1000
# A number written as text longer than this is not a price or a quantity.
MAX_NUMBER_TEXT = 64
# Sanity ceilings: beyond these a payload is broken or hostile, not an order.
MAX_AMOUNT = Decimal("1000000")
MAX_QUANTITY = Decimal("10000")
ITEM_NOTE_KEYS = ("notes", "note", "specialInstructions")
ADDON_GROUP_KEYS = ("group", "groupName")
