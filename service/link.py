"""The live link of one company: its listener, run while this process holds the company's lock."""
import threading
import time

from odoo import fields

from ..const import HEARTBEAT
from ..orderweb.listener import Listener
from ..orderweb.utils import mask_key
from .status import holder, report, utc_naive
from .threads import small_stacks


class Link:
    """The listener of one company, run while this process holds the company's lock.

    The listener thread reads the socket, decodes and parses each frame (``orderweb.listener``)
    and hands what it made of it to the company's inbox: an order with its parse, an order it
    could not read with the reason, a catch-up pull on connecting. It touches the database
    only to write the connection's state changes (``_on_status``), never for an order: so the
    socket is always read, pongs are seen at once however long a burst takes to store and
    import, and a slow pull never delays the next frame.
    """

    def __init__(self, inbox, settings, listener_options):
        self.dbname = inbox.dbname
        self.company_id = inbox.company_id
        self.inbox = inbox
        self.settings = settings  # (url, tenant, api key): any change restarts the link
        url, tenant, api_key = settings
        # The listener and the runner both report; taken before a database slot, never after.
        self.write_lock = threading.Lock()
        self._closing = False
        self._reported_order_at = None
        self._beat = 0.0
        self.listener = Listener(  # raises ValueError on a URL or tenant it cannot use
            url, tenant, api_key,
            on_order=inbox.put_order,
            # an order that does not parse is still stored, in state error: nothing vanishes
            on_invalid=inbox.put_invalid,
            on_connected=inbox.put_pull,
            on_status=self._on_status, **listener_options)

    def start(self):
        self.report(state='connecting', since=fields.Datetime.now(), tenant=self.settings[1],
                    holder=holder(), heartbeat=fields.Datetime.now(), last_error=False, reconnect_count=0)
        self._beat = time.monotonic()
        with small_stacks():
            self.listener.start()

    def close(self, state):
        """Stop receiving and say ``state``; the inbox stores what was received."""
        self._closing = True
        self.listener.stop()
        self.inbox.cancel_pull_retry()
        self.report(state=state, since=fields.Datetime.now(), holder=False)

    def to_flush(self, now):
        """Runner pass: last order and heartbeat to write, kept off the order's hot path
        (the pass writes those of all its links at once)."""
        values = {}
        if self.inbox.last_order_at != self._reported_order_at:
            values['last_order_at'] = self._reported_order_at = self.inbox.last_order_at
        if time.monotonic() - self._beat >= HEARTBEAT:
            values['heartbeat'] = now
            self._beat = time.monotonic()
        return values

    def report(self, **values):
        """Write the status record; an error quoting the key gets it masked."""
        api_key = self.settings[2]
        if values.get('last_error') and api_key:
            values['last_error'] = values['last_error'].replace(api_key, mask_key(api_key))
        with self.write_lock:
            report(self.dbname, self.company_id, values)

    def _on_status(self, status):
        """Listener thread: every state change is written at once."""
        if self._closing:  # the runner writes the final state itself
            return
        values = {'state': status.state, 'reconnect_count': status.reconnect_count,
                  'last_error': status.last_error or False}
        if status.state == 'connected':
            values['since'] = utc_naive(status.connected_since)
        elif status.state != 'connecting':
            values['since'] = fields.Datetime.now()
        self.report(**values)
