"""Constants of the Odoo side of pos_orderweb (the wire's own live in orderweb/const.py)."""

# Lifecycle of an online order on the POS screen, as the cashier moves it.
ORDERWEB_STATUSES = [
    ('new', "New"),
    ('accepted', "Accepted"),
    ('ready', "Ready"),
    ('done', "Done"),
]

# States of an online order (orderweb.order).
ONLINE_ORDER_STATES = [
    ('received', "To Import"),
    ('waiting', "Waiting for POS Session"),
    ('done', "Imported"),
    ('error', "Error"),
]
ONLINE_ORDER_CHANNELS = [
    ('push', "Live"),
    ('pull', "Pull"),
]

# An order id longer than this is not a platform id (they are UUIDs): the online order is keyed by its hash.
MAX_ORDERWEB_ID_LENGTH = 128

# How many times the pull cron retries a record in error by itself; Retry has no limit.
MAX_AUTO_ATTEMPTS = 3
# An order stored less than this long ago (seconds) is being mapped by the live listener's worker:
# the cron leaves it alone rather than map a burst in parallel with it (bench/PROFILE.md).
LIVE_IMPORT_GRACE = 60
# Online orders mapped per transaction in a catch-up (a burst, a pull), each in a savepoint of its
# own: one commit and one notification of the shop per batch. Small: a batch holds its customers'
# locks and its snapshot until it commits.
MAP_BATCH = 50
# An online order that met a concurrent import (push and pull, two servers) is mapped again at
# once, in a fresh transaction, up to this many times, after about this many seconds times the
# attempt: the race is over within seconds, not left for the next scheduled pull.
CONFLICT_RETRIES = 4
CONFLICT_RETRY_DELAY = 0.25
# Threads mapping a catch-up's batches at once: one's Python runs while another waits on PostgreSQL.
MAP_WORKERS = 2

# A payload longer than this (characters of its JSON text) is kept in error, not imported:
# an order ten times the largest real one would hold the company's queue for minutes.
MAX_PAYLOAD_LENGTH = 1_000_000

# The payload as shown on the online order's form: bounded, so that any stored order opens.
PAYLOAD_DISPLAY_MAX_LENGTH = 100_000
PAYLOAD_DISPLAY_MAX_DEPTH = 20

# Precision of a unit price converted from tax-included to tax-excluded (POS stores it unrounded).
UNROUNDED_PRICE_PRECISION = 1e-6

# A customer's phone is looked up by this many last digits, then compared as a parsed number.
PHONE_MATCH_DIGITS = 7

# System parameter holding the token that /orderweb/health and /orderweb/metrics require
# (sent as "Authorization: Bearer <token>"); unset, both answer 403.
HEALTH_TOKEN_PARAM = 'pos_orderweb.health_token'

# Health says "degraded" once this many pulls of a company failed in a row: the pull is the
# only way back for an order whose push was lost.
PULL_FAILURES_DEGRADED = 3

# Orders asked per pull. OrderWeb has no cursor and lists the newest confirmed orders first:
# ask for more than it may serve (the stand-in serves 100 at most), the byte budget of a pull
# (orderweb/const.py MAX_PULL_BYTES) bounding the answer. See README, Troubleshooting.
PULL_LIMIT = 500

# Upper bounds (seconds) of the import duration histogram of /orderweb/metrics: from "received"
# to "imported", stored to the second; the long ones are orders that waited for a session.
IMPORT_DURATION_BUCKETS = (1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400)
