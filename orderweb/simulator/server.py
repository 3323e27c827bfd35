"""The local OrderWeb stand-in: the protocol note's endpoints plus test controls."""

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field, fields

from aiohttp import WSMsgType, web

from ..const import MSG_CONNECTED, MSG_NEW_ORDER, MSG_PING, MSG_PONG, PULL_PATH, SIMULATOR_API_KEY, WS_PATH
from .data import SAMPLE_ORDERS, OrderFactory, tenant_info, utc_timestamp

logger = logging.getLogger(__name__)

# Close code sent when the refusal fault closes a socket right after the upgrade.
REFUSED_CLOSE_CODE = 4001
GOING_AWAY_CLOSE_CODE = 1001
# How long closing a socket waits for the client's close frame.
CLOSE_TIMEOUT = 2.0
MAX_PULL_LIMIT = 100
CONTROL_MAX_BODY = 16 * 1024 * 1024
# Pull results leave these push fields out, as the protocol note warns they may.
PUSH_ONLY_FIELDS = ("orderId", "totalAmount", "orderSource", "customerEmail")
# Sent in turn, one before each pushed order, while the malformed fault is on.
MALFORMED_FRAMES = (
    ("text", b"this is not JSON {"),
    ("text", b'["a", "JSON", "array"]'),
    ("text", b'\xff\xfe{"type": "new_order"} is not UTF-8'),
    ("binary", b"\x00\x01\x02 binary frame"),
    ("text", json.dumps({"type": MSG_NEW_ORDER, "timestamp": "2025-11-20T21:00:00.000Z",
                         "data": {"orderNumber": "BAD-0001", "items": "not a list"}}).encode()),
)


@dataclass
class Faults:
    refuse_for: float = 0.0  # seconds from now during which WebSocket upgrades are refused
    refuse_mode: str = "status"  # 'status': HTTP 403 on upgrade; 'close': upgrade, then close 4001
    no_pong: bool = False
    malformed_next: int = 0  # the next N pushed orders are each preceded by a malformed frame
    duplicate: bool = False  # every order frame is sent twice
    pull_error_status: int | None = None  # pull answers this status with success: false
    pull_garbage: bool = False  # pull answers 200 with an HTML body
    pull_delay: float = 0.0  # seconds before pull answers
    pull_deep: int = 0  # the pull answer also lists an order nested this deep (0: none)
    pull_trickle: float = 0.0  # seconds between the bytes of the pull answer (0: all at once)

    def check(self) -> None:
        if self.refuse_mode not in ("status", "close"):
            raise ValueError("refuse_mode must be 'status' or 'close'")
        if self.pull_error_status is not None and not 100 <= self.pull_error_status <= 599:
            raise ValueError("pull_error_status must be an HTTP status or null")
        for name in ("refuse_for", "malformed_next", "pull_delay", "pull_deep", "pull_trickle"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


FAULT_TYPES = {
    "refuse_for": (int, float), "refuse_mode": str, "no_pong": bool, "malformed_next": int,
    "duplicate": bool, "pull_error_status": (int, type(None)), "pull_garbage": bool,
    "pull_delay": (int, float), "pull_deep": int, "pull_trickle": (int, float),
}


@dataclass
class Tenant:
    slug: str
    info: dict
    factory: OrderFactory
    orders: dict = field(default_factory=dict)  # orderId -> order in push shape
    sockets: set = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    refuse_until: float = 0.0  # time.monotonic() deadline of the refusal fault
    malformed_sent: int = 0
    stats: dict = field(default_factory=lambda: dict.fromkeys(
        ("connections_total", "refused", "pings", "pongs", "pushes", "pulls"), 0))


class OrderWebSimulator:
    """State and behaviour of the stand-in; the methods run in its event loop."""

    def __init__(self, tenants=("kitchen",), api_key=SIMULATOR_API_KEY, empty=False,
                 faults: dict | None = None, seed: int | None = None):
        if not tenants:
            raise ValueError("the stand-in needs at least one tenant")
        self.api_key = api_key
        rng = random.Random(seed)
        self.tenants: dict[str, Tenant] = {}
        for slug in tenants:
            numbers: set[str] = set()
            tenant = Tenant(slug, tenant_info(slug), OrderFactory(slug, rng, numbers))
            for sample in () if empty else SAMPLE_ORDERS.get(slug, ()):
                tenant.orders[sample["orderId"]] = json.loads(json.dumps(sample))  # a private copy
                numbers.add(sample["orderNumber"])
            self.tenants[slug] = tenant
            if faults:
                self.set_faults(slug, **faults)

    # --- controls (shared by the HTTP control routes and SimulatorThread) ------

    def tenant(self, slug: str) -> Tenant:
        try:
            return self.tenants[slug]
        except KeyError:
            raise LookupError(f"unknown tenant {slug!r}") from None

    async def push_order(self, slug: str, data: dict | None = None, push: bool = True) -> dict:
        """Store an order (missing fields generated) and, unless push=False, broadcast it."""
        tenant = self.tenant(slug)
        if data is not None and not isinstance(data, dict):
            raise ValueError("the order must be a JSON object in the push ('data') shape")
        order = tenant.factory.complete(data or {})
        tenant.orders.pop(str(order["orderId"]), None)  # a resent order moves to the end
        tenant.orders[str(order["orderId"])] = order
        if push:
            await self._broadcast_order(tenant, order)
        return order

    async def drop(self, slug: str) -> int:
        """Close every WebSocket of the tenant; returns how many were open."""
        sockets = list(self.tenant(slug).sockets)
        await asyncio.gather(*(ws.close(code=GOING_AWAY_CLOSE_CODE, message=b"dropped") for ws in sockets),
                             return_exceptions=True)
        return len(sockets)

    def set_faults(self, slug: str, **changes) -> dict:
        tenant = self.tenant(slug)
        for name, value in changes.items():
            if name not in FAULT_TYPES:
                raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_TYPES)}")
            wanted = FAULT_TYPES[name]
            if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is not bool):
                raise ValueError(f"fault {name!r} has the wrong type ({type(value).__name__})")
        faults = Faults(**{**{f.name: getattr(tenant.faults, f.name) for f in fields(Faults)}, **changes})
        faults.check()
        tenant.faults = faults
        if "refuse_for" in changes:
            tenant.refuse_until = time.monotonic() + faults.refuse_for
        return {f.name: getattr(faults, f.name) for f in fields(Faults)}

    def stats(self, slug: str) -> dict:
        tenant = self.tenant(slug)
        return {"connections": len(tenant.sockets), "orders": len(tenant.orders), **tenant.stats}

    def set_status(self, slug: str, order_id: str, status: str) -> dict:
        tenant = self.tenant(slug)
        if order_id not in tenant.orders:
            raise LookupError(f"unknown order {order_id!r}")
        tenant.orders[order_id]["status"] = status
        return tenant.orders[order_id]

    async def send_raw(self, slug: str, payload: bytes, binary: bool = False) -> None:
        """Send bytes verbatim to every client of the tenant, for protocol tests."""
        await self._broadcast(self.tenant(slug), payload, binary)

    async def ping_clients(self, slug: str) -> None:
        """A WebSocket-level ping to every client, as proxies and many servers send."""
        for ws in list(self.tenant(slug).sockets):
            await ws.ping()

    async def close_all(self) -> None:
        await asyncio.gather(*(self.drop(slug) for slug in self.tenants), return_exceptions=True)

    # --- wire ---------------------------------------------------------------

    async def _broadcast_order(self, tenant: Tenant, order: dict) -> None:
        if tenant.faults.malformed_next > 0:
            tenant.faults.malformed_next -= 1
            kind, payload = MALFORMED_FRAMES[tenant.malformed_sent % len(MALFORMED_FRAMES)]
            tenant.malformed_sent += 1
            await self._broadcast(tenant, payload, binary=kind == "binary")
        frame = json.dumps({"type": MSG_NEW_ORDER, "timestamp": utc_timestamp(), "data": order}).encode()
        for _ in range(2 if tenant.faults.duplicate else 1):
            await self._broadcast(tenant, frame)
            tenant.stats["pushes"] += 1

    async def _broadcast(self, tenant: Tenant, payload: bytes, binary: bool = False) -> None:
        for ws in list(tenant.sockets):
            try:
                # Frames from bytes, so that invalid UTF-8 text can be sent on purpose
                # (send_str() only takes valid text).
                await ws.send_frame(payload, WSMsgType.BINARY if binary else WSMsgType.TEXT)
            except (ConnectionError, RuntimeError):  # the client went away meanwhile
                tenant.sockets.discard(ws)

    # --- HTTP handlers ------------------------------------------------------

    def app(self) -> web.Application:
        # /_sim/send takes frames over the listener's bound (aiohttp's default body limit is 1 MiB)
        app = web.Application(middlewares=[_errors_as_json], client_max_size=CONTROL_MAX_BODY)
        app.add_routes([
            web.get(WS_PATH, self._ws_handler),
            web.get(PULL_PATH, self._pull_handler),
            web.post("/_sim/orders", self._control_push),
            web.post("/_sim/orders/{order_id}/status", self._control_status),
            web.post("/_sim/drop", self._control_drop),
            web.post("/_sim/faults", self._control_faults),
            web.get("/_sim/stats", self._control_stats),
            web.post("/_sim/send", self._control_send),
        ])
        app.on_shutdown.append(lambda _app: self.close_all())
        return app

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        tenant = self.tenant(request.match_info["tenant"])
        if request.headers.get("X-API-Key") != self.api_key:
            tenant.stats["refused"] += 1
            return _json_error(401, "Invalid API key")
        refusing = time.monotonic() < tenant.refuse_until
        if refusing and tenant.faults.refuse_mode == "status":
            tenant.stats["refused"] += 1
            return _json_error(403, "API key refused (simulated)")
        ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT, heartbeat=None)
        await ws.prepare(request)
        if refusing:
            tenant.stats["refused"] += 1
            await ws.close(code=REFUSED_CLOSE_CODE, message=b"invalid API key (simulated)")
            return ws
        tenant.sockets.add(ws)
        tenant.stats["connections_total"] += 1
        try:
            await ws.send_json({"type": MSG_CONNECTED, "tenant": tenant.slug,
                                "message": "Connected to POS WebSocket", "timestamp": utc_timestamp()})
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await self._on_client_text(tenant, ws, message.data)
        finally:
            tenant.sockets.discard(ws)
        return ws

    async def _on_client_text(self, tenant: Tenant, ws: web.WebSocketResponse, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return  # the platform ignores what it does not understand
        if isinstance(message, dict) and message.get("type") == MSG_PING:
            tenant.stats["pings"] += 1
            if not tenant.faults.no_pong:
                tenant.stats["pongs"] += 1
                await ws.send_json({"type": MSG_PONG, "timestamp": utc_timestamp()})

    async def _pull_handler(self, request: web.Request) -> web.Response:
        slug = request.query.get("tenant")
        if not slug:
            return _json_error(400, "The tenant parameter is required")
        tenant = self.tenant(slug)
        if not self._bearer_ok(request):
            return _json_error(401, "Invalid API key")
        tenant.stats["pulls"] += 1
        faults = tenant.faults
        if faults.pull_delay:
            await asyncio.sleep(faults.pull_delay)
        if faults.pull_garbage:
            return web.Response(status=200, text="<html><body>Bad gateway</body></html>",
                                content_type="text/html")
        if faults.pull_error_status is not None:
            return _json_error(faults.pull_error_status, "Simulated platform error")
        try:
            limit = min(max(int(request.query.get("limit", 50)), 1), MAX_PULL_LIMIT)
        except ValueError:
            return _json_error(400, "limit must be an integer")
        status = request.query.get("status")
        matching = [o for o in tenant.orders.values() if status is None or o.get("status") == status]
        matching.sort(key=lambda o: str(o.get("createdAt") or ""), reverse=True)
        orders = [json.dumps(_pull_shape(order)) for order in matching[:limit]]
        if faults.pull_deep:
            depth = faults.pull_deep
            orders.insert(len(orders) // 2, '{"id": "deep-%d", "orderNumber": "DEEP-%d", "items": %s}' % (
                depth, depth, "[" * depth + "]" * depth))
        body = '{"success": true, "tenant": %s, "orders": [%s], "count": %d}' % (
            json.dumps(tenant.info), ", ".join(orders), len(orders))
        if not faults.pull_trickle:
            return web.Response(text=body, content_type="application/json")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(body.encode())
        await response.prepare(request)
        for byte in body.encode():
            await response.write(bytes([byte]))
            await asyncio.sleep(faults.pull_trickle)
        return response

    def _bearer_ok(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    def _control_tenant(self, request: web.Request) -> str:
        if not self._bearer_ok(request):
            raise web.HTTPUnauthorized(text=json.dumps({"success": False, "message": "Invalid API key"}),
                                       content_type="application/json")
        slug = request.query.get("tenant")
        if not slug:
            raise ValueError("the tenant parameter is required")
        self.tenant(slug)
        return slug

    async def _control_push(self, request: web.Request) -> web.Response:
        slug = self._control_tenant(request)
        data = await request.json() if request.can_read_body else None
        push = request.query.get("push", "1") not in ("0", "false", "no")
        return web.json_response(await self.push_order(slug, data, push))

    async def _control_status(self, request: web.Request) -> web.Response:
        slug = self._control_tenant(request)
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            raise ValueError('the body must be {"status": "<new status>"}')
        return web.json_response(self.set_status(slug, request.match_info["order_id"], body["status"]))

    async def _control_drop(self, request: web.Request) -> web.Response:
        return web.json_response({"dropped": await self.drop(self._control_tenant(request))})

    async def _control_faults(self, request: web.Request) -> web.Response:
        slug = self._control_tenant(request)
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object of faults")
        return web.json_response(self.set_faults(slug, **body))

    async def _control_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats(self._control_tenant(request)))

    async def _control_send(self, request: web.Request) -> web.Response:
        slug = self._control_tenant(request)
        binary = request.query.get("binary", "0") not in ("0", "false", "no")
        await self.send_raw(slug, await request.read(), binary)
        return web.json_response({"sent": True})


def _pull_shape(order: dict) -> dict:
    pulled = {"id": order.get("orderId")}
    pulled.update((key, value) for key, value in order.items() if key not in PUSH_ONLY_FIELDS)
    pulled["total"] = order.get("totalAmount")
    return pulled


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"success": False, "message": message}, status=status)


@web.middleware
async def _errors_as_json(request: web.Request, handler) -> web.StreamResponse:
    """Bad control input answers 400/404 with a message, not a traceback page."""
    try:
        return await handler(request)
    except LookupError as exc:
        return _json_error(404, str(exc.args[0] if exc.args else exc))
    except ValueError as exc:  # includes JSON decode errors
        return _json_error(400, str(exc))
