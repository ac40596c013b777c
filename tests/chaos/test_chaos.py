"""Chaos: the live engine against a fake Binance that fails 5 % of requests in every way it documents, killed
with SIGKILL at chosen *events* and restarted each time. Afterwards the exchange and the audit DB agree:
0 duplicate orders, 0 lost fills, 0 unprotected positions, no run left ``running``.

Kills are scheduled by what the bot has done, never by the clock, so the test means the same on a busy
machine as on an idle one: "after N more orders" (counted at the exchange), or "during a send" (an order
request held at the exchange by a latency fault, so it reaches the matching engine after the bot died: a
late order the restarted bot must find, not send again). The faults include the venue's awkward cases:
fees taken in the coin (the fake's default), answers cut short after the order was placed, non-JSON
bodies, requests that execute after the client gave up, and requests too old for their recvWindow.

Seeded (replay a failure with its seed). Quick by default; SPOTBOT_CHAOS_LONG=1 runs 4 seeds x 8 kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from bot.adapters.audit import SqlAuditStore
from bot.core.positions import PositionBook
from bot.core.run_books import balances_from_fills
from bot.domain import OrderPurpose
from tests.fake_exchange.fixture import API_KEY, API_SECRET, RemoteFakeExchange

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("SPOTBOT_CHAOS_LONG") == "1"
SEEDS = [11, 23, 37, 41] if LONG else [11]
KILLS = 8 if LONG else 4
STEP = Decimal("0.00001")  # BTCUSDT's lot step at the fake
ORDERS = "/api/v3/order"
PROGRESS_LIMIT_S = 240.0  # how long one event may take to come: only a stuck bot gets near it
RECV_WINDOW_MS = 2000
FAULTS = [
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 429},
    {"kind": "drop"},
    {"kind": "drop_after_accept"},
    {"kind": "truncate"},  # processed, then the answer is cut short
    {"kind": "raw", "body": "<html><body>502 Bad Gateway</body></html>"},  # not processed
    {"kind": "latency", "seconds": 1.5},  # the client gave up after 1 s; executes late, within recvWindow
    {"kind": "latency", "seconds": 3.0},  # too late: refused at the matching engine (recvWindow 2 s)
]


@pytest.fixture
def exchange() -> Iterator[RemoteFakeExchange]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_exchange", "--port", "0"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert "listening on" in line, line
    try:
        yield RemoteFakeExchange(line.rsplit(" ", 1)[-1].strip())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_config(tmp_path: Path, db_url: str, url: str) -> Path:
    path = tmp_path / "chaos.toml"
    path.write_text(
        f"""
[bot]
name = "chaos"
mode = "live"
data_dir = "{tmp_path}"
database_url = "{db_url}"
[market]
source = "exchange"
symbols = ["BTC/USDT"]
timeframe = "1m"
[exchange]
id = "binance"
url = "{url}"
timeout_ms = 1000
recv_window_ms = {RECV_WINDOW_MS}
rate_limit = false
[[strategies]]
name = "ma_cross"
[execution]
stop_order = "stop_limit"
[risk]
max_asset_fraction = "1.0"
daily_loss_limit = "0.9"
max_drawdown = "0.95"
max_consecutive_losses = 1000
loss_cooldown = "0"
symbol_cooldown = "0"
max_trades_per_day = 100000
"""
    )
    return path


def driver(config: Path, url: str, seed: int, *extra: str) -> list[str]:
    module = [sys.executable, "-m", "tests.chaos.driver"]
    return [*module, "--config", str(config), "--url", url, "--seed", str(seed), *extra]


def wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[str]) -> None:
    """Poll until ``condition``: an event of the bot's, not a moment of the clock."""
    deadline = time.monotonic() + PROGRESS_LIMIT_S
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the driver died on its own before {what}: {proc.communicate()[1][-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {PROGRESS_LIMIT_S:.0f} s: the bot made no progress")
        time.sleep(0.05)


def kill_at_an_event(exchange: RemoteFakeExchange, proc: subprocess.Popen[str], rng: random.Random) -> str:
    """SIGKILL the driver after some more orders, or while one of its order requests is in flight."""
    sent = exchange.requests(ORDERS, "POST")["total"]
    if rng.random() < 0.5:
        more = rng.randint(2, 6)
        wait_for(
            lambda: exchange.requests(ORDERS, "POST")["total"] >= sent + more, f"{more} more orders", proc
        )
        event = f"after {more} orders"
    else:
        late = rng.choice([1.5, 3.0])  # executes after the kill, or is refused as too old
        exchange.fail("POST", ORDERS, "latency", seconds=late)
        in_flight = lambda: exchange.requests(ORDERS, "POST", after=sent)["in_flight"] > 0  # noqa: E731
        wait_for(in_flight, "an order in flight", proc)  # its own: an earlier driver's may still be held
        event = f"during a send ({late} s late)"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return event


def floor_to_step(quantity: Decimal) -> Decimal:
    return (quantity / STEP).to_integral_value(ROUND_FLOOR) * STEP


@pytest.mark.parametrize("seed", SEEDS)
def test_sigkill_and_faults_never_double_an_order_nor_lose_a_fill_nor_leave_a_position_unprotected(
    tmp_path: Path, db_url: str, exchange: RemoteFakeExchange, seed: int
) -> None:
    env = {**os.environ, "SPOTBOT_EXCHANGE__API_KEY": API_KEY, "SPOTBOT_EXCHANGE__API_SECRET": API_SECRET}
    config = write_config(tmp_path, db_url, exchange.url)
    rng = random.Random(seed)
    exchange.set_price("BTCUSDT", "60000")
    exchange.chaos(seed=seed, rate=0.05, kinds=FAULTS)
    events = []
    for kill in range(KILLS):
        proc = subprocess.Popen(
            driver(config, exchange.url, seed * 100 + kill),
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        events.append(kill_at_an_event(exchange, proc, rng))
    exchange.chaos(seed=seed, rate=0)
    settle = subprocess.run(
        driver(config, exchange.url, seed, "--settle"), cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert settle.returncode == 0, f"kills: {events}\n{settle.stderr[-3000:]}"

    state = exchange.state()
    venue_orders = [o for o in state["orders"] if o["clientOrderId"].startswith("sb")]
    with SqlAuditStore(db_url, venue="binance") as store:
        stored_orders = {o.client_order_id: o for o in store.orders()}
        fills = [f for f in store.fills() if f.venue == "binance"]
        runs = store.runs()
    why = f"kills: {events}"

    # No client order id reached the exchange twice, and every order there was stored first.
    ids = Counter(o["clientOrderId"] for o in venue_orders)
    assert max(ids.values()) == 1, why
    assert set(ids) <= set(stored_orders), why
    # No intent became two filled entries.
    filled_entries = Counter(
        cid[2:26] for cid, o in ((o["clientOrderId"], o) for o in venue_orders)
        if stored_orders[cid].purpose is OrderPurpose.ENTRY and Decimal(o["executedQty"]) > 0
    )  # fmt: skip
    assert not filled_entries or max(filled_entries.values()) == 1, why
    # Every exchange fill is in the DB exactly once.
    our_order_ids = {o["orderId"] for o in venue_orders}
    venue_trades = sorted(str(t["id"]) for t in state["trades"] if t["orderId"] in our_order_ids)
    assert sorted(f.trade_id for f in fills) == venue_trades, why
    assert any(t["commissionAsset"] == "BTC" for t in state["trades"]), "buys paid their fee in the coin"
    # The DB's holdings and balances equal the exchange's, to the last satoshi (fees in the coin included).
    book = PositionBook.from_fills(fills)
    held = sum((p.quantity for p in book.holdings()), Decimal(0))
    balances = state["balances"]
    btc = Decimal(balances["BTC"]["free"]) + Decimal(balances["BTC"]["locked"])
    usdt = Decimal(balances["USDT"]["free"]) + Decimal(balances["USDT"]["locked"])
    assert btc == held, why
    assert usdt == balances_from_fills({"USDT": Decimal(10000)}, fills)["USDT"], why
    # What can be sold is protected by a working stop at the exchange; only dust below the lot step is not.
    stops = [
        o
        for o in venue_orders
        if o["type"] == "STOP_LOSS_LIMIT" and o["status"] in ("NEW", "PARTIALLY_FILLED")
    ]
    protected = sum((Decimal(o["origQty"]) - Decimal(o["executedQty"]) for o in stops), Decimal(0))
    assert protected == floor_to_step(held), why
    # Every killed run was closed as crashed by the next start; none is left running.
    assert Counter(r.status for r in runs) == Counter({"crashed": KILLS, "completed": 1}), why
