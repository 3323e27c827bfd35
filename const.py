"""Constants of the Odoo side of pos_orderweb (the wire's own live in orderweb/const.py)."""

# Status of the POS order of an online order on the POS screen, as the cashier moves it. An order
# for later is held (scheduled) until its time comes (scheduled time - the shop's preparation
# minutes). Its 'done' is the kitchen's: handed over; an online order's state 'done' is "Imported".
ORDERWEB_STATUSES = [
    ('scheduled', "Later"),
    ('new', "New"),
    ('accepted', "Accepted"),
    ('ready', "Ready"),
    ('done', "Done"),
]

# When an online order reached each step on the POS screen, by the status it moved to.
ORDERWEB_STEP_FIELDS = {
    'accepted': 'orderweb_accepted_at',
    'ready': 'orderweb_ready_at',
    'done': 'orderweb_done_at',
}

# State of an online order (orderweb.order) as the import moves it; 'done': imported into its target.
ONLINE_ORDER_STATES = [
    ('received', "To Import"),
    ('waiting', "Waiting for POS Session"),
    ('done', "Imported"),
    ('error', "Error"),
]
# What an online order becomes, by the company's setting: (model, the online order's link to it).
ORDERWEB_TARGETS = {
    'pos': ('pos.order', 'pos_order_id'),
    'sale': ('sale.order', 'sale_order_id'),
}
# Channel: how an online order reached Odoo, pushed on the live WebSocket or pulled (any pull:
# the scheduled one, the catch-up after a (re)connection, a manager's Pull now).
ONLINE_ORDER_CHANNELS = [
    ('push', "Pushed"),
    ('pull', "Pulled"),
]

# The OrderWeb server a company's settings start with.
DEFAULT_URL = 'wss://orderweb.net'

# Seconds a pull's note waits for its company's row: far more than another note holds it.
NOTE_LOCK_TIMEOUT = 2

# How many times the import cron retries a record in error by itself; Retry has no limit.
MAX_AUTO_ATTEMPTS = 3
# Online orders the import job (service/importer.py) takes per transaction, each in a savepoint of
# its own: one commit and one notification of the shop per batch. Small: a batch holds its orders'
# and customers' locks and its snapshot until it commits. A live order waits behind at most one
# (the inbox stores what it received between two batches; cron workers take the next ones).
IMPORT_BATCH = 50
# An online order that met a concurrent import (push and pull, two servers) is imported again at
# once, in a fresh transaction, up to this many times, after about this many seconds times the
# attempt: the race is over within seconds, not left for the next scheduled pull.
CONFLICT_RETRIES = 4
CONFLICT_RETRY_DELAY = 0.25

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

# OrderWeb's time of an order (createdAt) further than this from when Odoo received it is kept
# as sent but left out of the delays (the analysis, the metrics): a wrong clock or year 1.
PLATFORM_TIME_TRUST_HOURS = 24

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

# An order "for later" further ahead than this (days), or already due, is made "as soon as possible".
SCHEDULE_HORIZON_DAYS = 7
# A shop's defaults: minutes an order for later is fired before its time; how far (in the shop's
# currency) an item's price may be from its product's before the order is flagged.
PREPARATION_MINUTES = 20
PRICE_TOLERANCE = 0.5
# The words that flag an order's instructions, an item's notes or an add-on's name (whole words,
# any case, accents and ligatures undone, plurals in +s/+es matched: utils.words_pattern): the
# UK's 14 allergens as menus and customers write them (Food Information Regulations 2014,
# Annex II), then the words of a reaction or a condition.
ALLERGY_WORDS = ", ".join((
    "celery, celeriac",
    "gluten, wheat, rye, barley, oat, spelt, kamut, semolina",
    "crustacean, shellfish, prawn, shrimp, crab, lobster, crayfish, langoustine, scampi",
    "egg",
    "fish",
    "lupin, lupine",
    "milk, dairy, lactose",
    "mollusc, mollusk, mussel, oyster, squid, clam, scallop, octopus, whelk, cockle, calamari",
    "mustard",
    "nut, tree nut, almond, hazelnut, walnut, cashew, pecan, pistachio, macadamia, brazil nut",
    "peanut, groundnut",
    "sesame, tahini",
    "soy, soya, soybean, tofu",
    "sulphite, sulfite, sulphur dioxide, sulfur dioxide",
    "allergy, allergies, allergic, allergen, anaphylaxis, anaphylactic, epipen, epi-pen, epi pen, "
    "auto-injector, intolerance, intolerant, coeliac, celiac",
))
# A flag quotes the customer's words it found a word in up to this many characters.
FLAG_QUOTE_LENGTH = 300
# A screen that claimed an accepted order's kitchen ticket has this long (seconds) to say it sent
# it; after that (the screen closed or reloaded mid-way) another screen sends it.
KITCHEN_CLAIM_TIMEOUT = 30

# Upper bounds (seconds) of the import duration histogram of /orderweb/metrics: from "received"
# to "imported", stored to the second; the long ones are orders that waited for a session.
IMPORT_DURATION_BUCKETS = (1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400)
# Those of the histogram from an order's creation on OrderWeb to its import (the customer's wait
# before the shop could see it).
CREATED_TO_IMPORTED_BUCKETS = (5, 10, 30, 60, 120, 300, 600, 1800, 3600)

# The process holding a company's live connection writes its heartbeat this often (seconds,
# service/runner.py); after two missed beats, health says no process holds it.
HEARTBEAT = 30
STALE_AFTER = 2 * HEARTBEAT + 10

# --- The runner (service/runner.py, inbox.py, link.py): a listener and an inbox per company ---------------------

# Seconds between two passes of the runner (databases, companies, settings, heartbeats).
TICK = 5.0
DRAIN_TIMEOUT = 20.0  # at stop, orders already received get this long to be stored
STORE_BATCH = 500  # at most this many received orders stored per commit by an inbox
RETRY_CAP = 10.0  # seconds between attempts to store received orders while the database fails
# A catch-up pull that failed is tried again after PULL_RETRY_FIRST s, then doubling up to
# PULL_RETRY_CAP, until one succeeds or the link stops: orders missed while the WebSocket
# was down are listed only by the pull (the cron's may be minutes away).
PULL_RETRY_FIRST = 2.0
PULL_RETRY_CAP = 60.0
# Received orders one company may hold in memory while its database does not answer
# (a few MB); beyond it, new ones are left to the catch-up pull, with an error logged.
MAX_PENDING = 5000
# A database without pos_orderweb is looked into again after this many seconds if
# PostgreSQL counted commits in it since (an install commits), else after RECHECK_IDLE.
RECHECK_BUSY = 30.0
RECHECK_IDLE = 600.0
# First key of pg_try_advisory_lock(int, int), the second is the company id:
# 'OW' in ASCII, so that ops can spot it in pg_locks (classid = 20311).
LOCK_CLASS = 0x4F57
# Inboxes working in the database at once in this process (storing and importing received
# orders, catch-up pulls): each holds one of Odoo's pooled connections meanwhile, two while a
# pull's answer is stored (db_maxconn, shared with a threaded server's HTTP threads), and more would not go faster on
# a few cores. Without a bound, a burst to a hundred companies asks for hundreds of
# connections at once, and a full pool fails imports.
DB_WORKERS = 4
# Status writes at once (a hundred listeners connecting write theirs together), apart from
# the inboxes': the pass never waits behind a burst (a prefork worker whose pass waits is
# killed by limit_time_cpu, which the inboxes' work counts against).
STATUS_WRITERS = 2
# Stack of every thread the runner starts (a listener and an inbox per company): Linux
# reserves 8 MiB of address space per thread by default, gigabytes for a hundred companies,
# and Odoo holds address space to limit_memory_hard (the prefork runner worker could not
# start its threads) and limit_memory_soft (past it a worker or threaded server restarts).
# Python's recursion limit is reached in a quarter of this.
THREAD_STACK = 1024 * 1024
# Keepalives on the lock connection (client side in libpq, server side by SET) so
# that a vanished holder's lock is freed, and the holder learns it lost it, in ~25 s.
KEEPALIVES = {'keepalives': 1, 'keepalives_idle': 10, 'keepalives_interval': 5, 'keepalives_count': 3}

