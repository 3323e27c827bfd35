"""The stand-in as a client written only from the protocol note sees it, and its controls."""

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
import requests
from conftest import TENANT

from orderweb.const import SIMULATOR_API_KEY
from orderweb.simulator import SimulatorThread

REPO_ROOT = Path(__file__).resolve().parents[2]
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture(scope="module")
def cli_base_url():
    """``python3 -m orderweb.simulator`` as a user starts it, on a free port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "orderweb.simulator", "--port", "0"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        banner = process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", banner)
        assert match, banner
        key_line = process.stdout.readline() + process.stdout.readline()
        assert SIMULATOR_API_KEY in key_line
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


async def note_client(base_url: str) -> dict:
    """Everything the protocol note promises, checked with aiohttp alone."""
    ws_url = base_url.replace("http://", "ws://") + f"/ws/pos/{TENANT}"
    seen = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_url, headers={"X-API-Key": "pos_" + "0" * 64})
        seen["refused_status"] = refused.value.status
        async with http.ws_connect(ws_url, headers={"X-API-Key": SIMULATOR_API_KEY}) as ws:
            seen["connected"] = await ws.receive_json()
            await ws.send_json({"type": "ping"})
            seen["pong"] = await ws.receive_json()
            async with http.post(f"{base_url}/_sim/orders", params={"tenant": TENANT}, json={},
                                 headers={"Authorization": f"Bearer {SIMULATOR_API_KEY}"}) as answer:
                seen["stored"] = await answer.json()
            seen["new_order"] = await ws.receive_json()
        async with http.get(f"{base_url}/api/pos/pull-orders",
                            params={"tenant": TENANT, "status": "confirmed", "limit": "50"},
                            headers={"Authorization": f"Bearer {SIMULATOR_API_KEY}"}) as answer:
            seen["pull"] = await answer.json()
        async with http.get(f"{base_url}/api/pos/pull-orders", params={"tenant": TENANT},
                            headers={"Authorization": "Bearer pos_wrong"}) as answer:
            seen["pull_refused_status"] = answer.status
    return seen


def test_independent_client_sees_the_protocol_note(cli_base_url):
    seen = asyncio.run(note_client(cli_base_url))
    assert seen["refused_status"] == 401
    assert seen["pull_refused_status"] == 401
    connected = seen["connected"]
    assert (connected["type"], connected["tenant"], connected["message"]) == \
        ("connected", "kitchen", "Connected to POS WebSocket")
    assert ISO_UTC.match(connected["timestamp"])
    assert seen["pong"]["type"] == "pong" and ISO_UTC.match(seen["pong"]["timestamp"])

    message = seen["new_order"]
    assert message["type"] == "new_order" and ISO_UTC.match(message["timestamp"])
    order = message["data"]
    assert order == seen["stored"]
    assert set(order) >= {"orderId", "orderNumber", "customerName", "customerPhone", "orderType",
                          "orderSource", "status", "totalAmount", "items", "specialInstructions",
                          "scheduledFor", "createdAt"}
    assert re.match(r"^KIT-\d{4}$", order["orderNumber"])
    assert re.match(r"^\+447700900\d{3}$", order["customerPhone"])
    assert ISO_UTC.match(order["createdAt"]) and order["status"] == "confirmed"
    assert all({"id", "name", "price", "quantity", "selectedAddons"} <= set(i) for i in order["items"])

    pull = seen["pull"]
    assert pull["success"] is True
    assert pull["tenant"] == {"id": "2b82acee-450a-4f35-a76f-c388d709545e",
                              "name": "Kitchen Restaurant", "slug": "kitchen"}
    assert pull["count"] == len(pull["orders"]) == 4
    assert all("id" in o and "total" in o and "orderId" not in o and "totalAmount" not in o
               for o in pull["orders"])
    numbers = {o["orderNumber"]: (o["total"], o["orderType"], o["status"]) for o in pull["orders"]}
    assert numbers["KIT-3763"] == numbers["KIT-7163"] == (40.0, "pickup", "confirmed")
    assert numbers["KIT-4227"] == (20.0, "pickup", "confirmed")
    assert order["orderId"] in {o["id"] for o in pull["orders"]}


@pytest.fixture
def control(sim):
    def call(method, path, tenant=TENANT, key=SIMULATOR_API_KEY, **kwargs):
        params = {"tenant": tenant, **kwargs.pop("params", {})} if tenant else kwargs.pop("params", {})
        return requests.request(method, sim.base_url + path, params=params, timeout=5,
                                headers={"Authorization": f"Bearer {key}"}, **kwargs)
    return call


def test_controls_need_the_key(control):
    for method, path in [("POST", "/_sim/orders"), ("POST", "/_sim/drop"), ("POST", "/_sim/faults"),
                         ("GET", "/_sim/stats"), ("POST", "/_sim/send")]:
        assert control(method, path, key="pos_wrong").status_code == 401


def test_controls_report_bad_input_plainly(control):
    assert control("GET", "/_sim/stats", tenant="nowhere").status_code == 404
    assert control("GET", "/_sim/stats", tenant=None).status_code == 400
    answer = control("POST", "/_sim/faults", json={"no_such_fault": 1})
    assert answer.status_code == 400 and "unknown fault" in answer.json()["message"]
    assert control("POST", "/_sim/faults", json={"no_pong": "yes"}).status_code == 400
    assert control("POST", "/_sim/faults", json={"refuse_mode": "maybe"}).status_code == 400
    assert control("POST", "/_sim/orders", data="not json").status_code == 400
    assert control("POST", "/_sim/orders/unknown/status", json={"status": "done"}).status_code == 404


def test_push_control_fills_missing_fields_and_keeps_given_ones(control, sim):
    given = {"customerName": "Mary Jones", "orderType": "delivery", "deliveryFee": 2.5,
             "items": [{"id": "i1", "name": "Tea", "price": 1.2, "quantity": 3, "selectedAddons": []}]}
    stored = control("POST", "/_sim/orders", json=given).json()
    assert {k: stored[k] for k in given} == given
    assert stored["totalAmount"] == 3.6 and stored["orderNumber"].startswith("KIT-")
    assert sim.stats(TENANT)["pushes"] == 1


def test_push_zero_keeps_the_order_for_pull_only(control, sim):
    stored = control("POST", "/_sim/orders", params={"push": "0"}).json()
    stats = sim.stats(TENANT)
    assert (stats["orders"], stats["pushes"]) == (4, 0)
    pulled = control("GET", "/api/pos/pull-orders").json()["orders"]
    assert stored["orderId"] in {o["id"] for o in pulled}


def test_status_control_takes_an_order_out_of_the_confirmed_set(control):
    answer = control("POST", "/_sim/orders/69fb5687-044a-48af-ac0e-d6b817aec684/status",
                     json={"status": "completed"})
    assert answer.json()["status"] == "completed"
    confirmed = control("GET", "/api/pos/pull-orders", params={"status": "confirmed"}).json()
    assert [o["orderNumber"] for o in confirmed["orders"]] == ["KIT-4227", "KIT-7163"]


def test_faults_stats_and_drop_controls(control):
    faults = control("POST", "/_sim/faults", json={"no_pong": True, "pull_delay": 0.1}).json()
    assert faults["no_pong"] is True and faults["pull_delay"] == 0.1 and faults["duplicate"] is False
    stats = control("GET", "/_sim/stats").json()
    assert {"connections", "connections_total", "pings", "orders"} <= set(stats)
    assert control("POST", "/_sim/drop").json() == {"dropped": 0}


def test_tenants_are_separate(sim):
    assert sim.stats("bistro")["orders"] == 0  # only kitchen has the note's samples
    sim.push_order("bistro")
    assert sim.stats(TENANT)["orders"] == 3


def test_empty_start_and_faults_at_start():
    with SimulatorThread(empty=True, faults={"pull_error_status": 503}) as sim:
        assert sim.stats(TENANT)["orders"] == 0
        answer = requests.get(f"{sim.base_url}/api/pos/pull-orders", params={"tenant": TENANT},
                              headers={"Authorization": f"Bearer {sim.api_key}"}, timeout=5)
        assert answer.status_code == 503 and answer.json()["success"] is False


def test_generated_orders_are_reproducible_with_a_seed():
    def first_order():
        with SimulatorThread(seed=42, empty=True) as sim:
            order = sim.push_order(TENANT, push=False)
        return {k: v for k, v in order.items() if k != "createdAt"}
    assert first_order() == first_order()


def test_cli_help_lists_the_controls():
    output = subprocess.run([sys.executable, "-m", "orderweb.simulator", "--help"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=30, check=True).stdout
    assert "/_sim/faults" in output and "--no-pong" in output and "9011" in output
