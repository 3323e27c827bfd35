"""``python3 -m orderweb.simulator``: run the local OrderWeb stand-in until Ctrl+C."""

import argparse
import logging
import socket

from aiohttp import web

from ..const import SIMULATOR_API_KEY
from ..utils import mask_key
from .server import OrderWebSimulator

CONTROLS = """\
Test controls (header 'Authorization: Bearer <key>'):
  POST /_sim/orders?tenant=T[&push=0]       JSON order in the push 'data' shape (missing fields generated)
  POST /_sim/orders/<orderId>/status?tenant=T  {"status": "completed"}
  POST /_sim/drop?tenant=T                  close every WebSocket of the tenant
  POST /_sim/faults?tenant=T                {"refuse_for": s, "refuse_mode": "status"|"close", "no_pong": b,
                                             "malformed_next": n, "duplicate": b, "pull_error_status": n|null,
                                             "pull_garbage": b, "pull_delay": s, "pull_deep": n,
                                             "pull_trickle": s}
  POST /_sim/send?tenant=T[&binary=1]       send the request body verbatim as one frame
  GET  /_sim/stats?tenant=T"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m orderweb.simulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=CONTROLS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9011, help="0 picks a free port (default 9011)")
    parser.add_argument("--tenant", action="append", dest="tenants", metavar="SLUG",
                        help="a tenant to serve; repeat for several (default: kitchen)")
    parser.add_argument("--api-key", default=SIMULATOR_API_KEY, help="the key every tenant accepts")
    parser.add_argument("--empty", action="store_true", help="start without the sample orders")
    parser.add_argument("--seed", type=int, help="make generated orders reproducible")
    faults = parser.add_argument_group("faults at start (for every tenant)")
    faults.add_argument("--refuse-for", type=float, default=0.0, metavar="S",
                        help="refuse WebSocket upgrades for S seconds after start")
    faults.add_argument("--refuse-mode", choices=("status", "close"), default="status",
                        help="refuse with HTTP 403, or upgrade and close with code 4001")
    faults.add_argument("--no-pong", action="store_true", help="never answer pings")
    faults.add_argument("--malformed-next", type=int, default=0, metavar="N",
                        help="send a malformed frame before each of the next N orders")
    faults.add_argument("--duplicate", action="store_true", help="send every order twice")
    faults.add_argument("--pull-error-status", type=int, metavar="STATUS",
                        help="pull answers this HTTP status with success: false")
    faults.add_argument("--pull-garbage", action="store_true", help="pull answers an HTML page")
    faults.add_argument("--pull-delay", type=float, default=0.0, metavar="S", help="pull answers after S s")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    fault_names = ("refuse_for", "refuse_mode", "no_pong", "malformed_next", "duplicate",
                   "pull_error_status", "pull_garbage", "pull_delay")
    simulator = OrderWebSimulator(tuple(args.tenants or ("kitchen",)), args.api_key, args.empty,
                                  {name: getattr(args, name) for name in fault_names}, args.seed)
    listen_socket = socket.create_server((args.host, args.port))
    host, port = listen_socket.getsockname()[:2]
    netloc = f"[{host}]" if ":" in host else host
    key_shown = args.api_key if args.api_key == SIMULATOR_API_KEY else mask_key(args.api_key)
    print(f"OrderWeb stand-in listening on http://{netloc}:{port} (ws://{netloc}:{port})", flush=True)
    print(f"Tenants: {', '.join(simulator.tenants)}", flush=True)
    print(f"API key: {key_shown}", flush=True)
    print(CONTROLS, flush=True)
    web.run_app(simulator.app(), sock=listen_socket, print=None, shutdown_timeout=2.0,
                access_log=logging.getLogger("aiohttp.access") if args.verbose else None)


if __name__ == "__main__":
    main()
