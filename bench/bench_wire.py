"""Wire benchmark over loopback: push -> on_order latency, a burst, size bounds, the idle cost.

Run from the repository root:  python3 bench/bench_wire.py [--orders 1000] [--idle 60]

Latency is measured from just before the stand-in is asked to push an order (it
then generates, stores and sends it) to the start of the listener's on_order
callback, so it includes the stand-in's own work: an upper bound of the wire's.
The size phase times parse_order on an order at MAX_ORDER_LINES and on a refused
500 items x 100 add-ons order, and how long an oversized frame delays the next order.
"""

import argparse
import json
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `orderweb` lives at the repo root

from orderweb.const import MAX_FRAME_BYTES, MAX_ORDER_LINES, STATE_CONNECTED
from orderweb.listener import Listener
from orderweb.order import PayloadError, parse_order
from orderweb.simulator import SimulatorThread

TENANT = "kitchen"
WARM_UP_ORDERS = 20
ORDER_TIMEOUT = 2.0
BURST_TIMEOUT = 60.0
PARSE_ROUNDS = 20
OVERSIZED_FRAME_BYTES = 16 * 1024 * 1024
GOAL_P99_MS = 5.0


class Arrivals:
    """When each order id reached on_order, in the listener thread."""

    def __init__(self):
        self.times = defaultdict(list)
        self.changed = threading.Condition()

    def on_order(self, orderweb_order, raw) -> None:
        now = time.perf_counter()
        with self.changed:
            self.times[orderweb_order.order_id].append(now)
            self.changed.notify_all()

    def wait(self, predicate, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)


def thread_cpu_seconds(thread: threading.Thread) -> float | None:
    """CPU time of one thread (Linux: nanoseconds from schedstat)."""
    try:
        with open(f"/proc/self/task/{thread.native_id}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except OSError:
        return None


def rss_kib() -> int | None:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


def sequential(sim: SimulatorThread, arrivals: Arrivals, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        began = time.perf_counter()
        order_id = sim.push_order(TENANT)["orderId"]
        if arrivals.wait(lambda: order_id in arrivals.times, ORDER_TIMEOUT):
            latencies.append(arrivals.times[order_id][0] - began)
    return latencies


def burst(sim: SimulatorThread, arrivals: Arrivals, count: int) -> tuple[float, int, int]:
    began = time.perf_counter()
    order_ids = [sim.push_order(TENANT)["orderId"] for _ in range(count)]
    arrivals.wait(lambda: all(i in arrivals.times for i in order_ids), BURST_TIMEOUT)
    received = [arrivals.times[i] for i in order_ids if i in arrivals.times]
    last = max((times[-1] for times in received), default=began)
    duplicates = sum(len(times) - 1 for times in received)
    return last - began, count - len(received), duplicates


def big_order(items: int, addons_per_item: int) -> dict:
    addons = [{"id": f"a{n}", "name": f"Add-on {n}", "price": 0.5} for n in range(addons_per_item)]
    return {"orderId": f"big-{items}x{addons_per_item}", "orderNumber": "KIT-BIG", "items": [
        {"id": f"i{n}", "name": f"Item {n}", "price": 9.5, "quantity": 1, "selectedAddons": addons}
        for n in range(items)]}


def parse_seconds(raw: dict) -> float:
    began = time.perf_counter()
    for _ in range(PARSE_ROUNDS):
        try:
            parse_order(raw)
        except PayloadError:
            pass
    return (time.perf_counter() - began) / PARSE_ROUNDS


def sizes(sim: SimulatorThread, arrivals: Arrivals) -> None:
    addons_per_item = 4
    at_bound = big_order(MAX_ORDER_LINES // (addons_per_item + 1), addons_per_item)
    print(f"parse_order at the bound ({MAX_ORDER_LINES} lines): {parse_seconds(at_bound) * 1e3:.2f} ms; "
          f"500 items x 100 add-ons refused in {parse_seconds(big_order(500, 100)) * 1e3:.3f} ms")
    padding = "x" * OVERSIZED_FRAME_BYTES
    frame = json.dumps({"type": "new_order", "data": {"orderId": "huge", "pad": padding}}).encode()
    began = time.perf_counter()
    sim.send_raw(TENANT, frame)
    order_id = sim.push_order(TENANT)["orderId"]
    arrived = arrivals.wait(lambda: order_id in arrivals.times, BURST_TIMEOUT)
    delay = (arrivals.times[order_id][0] - began) * 1e3 if arrived else float("nan")
    print(f"oversized frame of {len(frame) / 2**20:.0f} MiB (bound {MAX_FRAME_BYTES / 2**20:.0f} MiB): "
          f"read away, the next order arrived after {delay:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000, help="orders per phase (default 1000)")
    parser.add_argument("--idle", type=float, default=60.0, help="idle measurement in seconds (default 60)")
    args = parser.parse_args()

    arrivals = Arrivals()
    with SimulatorThread(empty=True, seed=1) as sim:
        listener = Listener(sim.base_url, TENANT, sim.api_key, on_order=arrivals.on_order)  # default intervals
        listener.start()
        try:
            deadline = time.monotonic() + 10
            while listener.status().state != STATE_CONNECTED and time.monotonic() < deadline:
                time.sleep(0.01)
            if listener.status().state != STATE_CONNECTED:
                sys.exit(f"listener did not connect: {listener.status()}")
            print(f"stand-in {sim.base_url}, Python {sys.version.split()[0]}")
            sequential(sim, arrivals, WARM_UP_ORDERS)

            latencies = sorted(sequential(sim, arrivals, args.orders))
            lost = args.orders - len(latencies)
            p50, p99 = percentile(latencies, 0.50) * 1e3, percentile(latencies, 0.99) * 1e3
            print(f"sequential {args.orders} orders: push -> on_order p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                  f"max {latencies[-1] * 1e3:.2f} ms, lost {lost} (goal p99 <= {GOAL_P99_MS} ms)")

            elapsed, lost, duplicates = burst(sim, arrivals, args.orders)
            print(f"burst of {args.orders} orders: all received in {elapsed * 1e3:.0f} ms "
                  f"({args.orders / elapsed:.0f} orders/s), lost {lost}, duplicates {duplicates}")

            sizes(sim, arrivals)

            thread = next(t for t in threading.enumerate() if t.name == f"orderweb-listener-{TENANT}")
            cpu_before, rss_before, pings_before = thread_cpu_seconds(thread), rss_kib(), sim.stats(TENANT)["pings"]
            time.sleep(args.idle)
            cpu_after, rss_after, pings_after = thread_cpu_seconds(thread), rss_kib(), sim.stats(TENANT)["pings"]
            cpu = f"{cpu_after - cpu_before:.4f} s" if cpu_before is not None else "n/a"
            rss = f"{rss_after - rss_before:+d} KiB (now {rss_after / 1024:.1f} MiB)" if rss_before else "n/a"
            print(f"idle {args.idle:.0f} s: listener thread CPU {cpu}, process RSS {rss}, "
                  f"pings {pings_after - pings_before}, state {listener.status().state}")
        finally:
            listener.stop()


if __name__ == "__main__":
    main()
