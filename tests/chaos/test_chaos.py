"""Chaos: the live engine against a fake Binance that fails 5 % of requests, killed with SIGKILL at random
moments and restarted each time. Afterwards the exchange and the audit DB must agree exactly.

Seeded (replay a failure with its seed). Quick by default; SPOTBOT_CHAOS_LONG=1 runs more seeds and kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bot.audit import SqlAuditStore
from bot.domain import OrderPurpose
from bot.positions import PositionBook
from bot.run_books import balances_from_fills
from tests.fake_exchange.fixture import API_KEY, API_SECRET, RemoteFakeExchange

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("SPOTBOT_CHAOS_LONG") == "1"
SEEDS = [11, 23, 37, 41] if LONG else [11]
KILLS = 8 if LONG else 4
FAULTS = [
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 429},
    {"kind": "drop"},
    {"kind": "drop_after_accept"},
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
timeout_ms = 3000
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


@pytest.mark.parametrize("seed", SEEDS)
def test_sigkill_and_faults_never_double_an_order_nor_lose_a_fill(
    tmp_path: Path, db_url: str, exchange: RemoteFakeExchange, seed: int
) -> None:
    env = {
        **os.environ,
        "SPOTBOT_EXCHANGE__API_KEY": API_KEY,
        "SPOTBOT_EXCHANGE__API_SECRET": API_SECRET,
    }
    config = write_config(tmp_path, db_url, exchange.url)
    rng = random.Random(seed)
    exchange.set_price("BTCUSDT", "60000")
    exchange.chaos(seed=seed, rate=0.05, kinds=FAULTS)
    for kill in range(KILLS):
        proc = subprocess.Popen(
            driver(config, exchange.url, seed * 100 + kill, "--iterations", "100000"),
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(rng.uniform(3.0, 6.0))
        assert proc.poll() is None, f"the driver died on its own: {proc.communicate()[1][-3000:]}"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    exchange.chaos(seed=seed, rate=0)
    settle = subprocess.run(
        driver(config, exchange.url, seed, "--settle", "--iterations", "8"),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert settle.returncode == 0, settle.stderr[-3000:]

    state = exchange.state()
    venue_orders = [o for o in state["orders"] if o["clientOrderId"].startswith("sb")]
    with SqlAuditStore(db_url, venue="binance") as store:
        stored_orders = {o.client_order_id: o for o in store.orders()}
        fills = [f for f in store.fills() if f.venue == "binance"]
    assert len(venue_orders) >= 8, "the run should have traded through the faults"

    # Every order at the exchange was stored first, and no client order id reached it twice.
    ids = Counter(o["clientOrderId"] for o in venue_orders)
    assert max(ids.values()) == 1
    assert set(ids) <= set(stored_orders)
    # No intent became two filled entries.
    filled_entries = Counter(
        cid[2:26] for cid, o in ((o["clientOrderId"], o) for o in venue_orders)
        if stored_orders[cid].purpose is OrderPurpose.ENTRY and Decimal(o["executedQty"]) > 0
    )  # fmt: skip
    assert not filled_entries or max(filled_entries.values()) == 1
    # Every exchange fill is in the DB exactly once.
    our_order_ids = {o["orderId"] for o in venue_orders}
    venue_trades = sorted(str(t["id"]) for t in state["trades"] if t["orderId"] in our_order_ids)
    assert sorted(f.trade_id for f in fills) == venue_trades
    # Balances and the position in the DB equal the exchange's.
    balances = state["balances"]
    held = PositionBook.from_fills(sorted(fills, key=lambda f: int(f.trade_id))).position("BTC/USDT")
    btc = Decimal(balances["BTC"]["free"]) + Decimal(balances["BTC"]["locked"])
    usdt = Decimal(balances["USDT"]["free"]) + Decimal(balances["USDT"]["locked"])
    assert btc == (held.quantity if held else 0)
    assert usdt == balances_from_fills({"USDT": Decimal(10000)}, fills)["USDT"]
    # An open position has a working stop at the exchange covering it.
    if held is not None:
        stops = [
            o for o in venue_orders
            if o["type"] == "STOP_LOSS_LIMIT" and o["status"] in ("NEW", "PARTIALLY_FILLED")
        ]  # fmt: skip
        assert sum(Decimal(o["origQty"]) - Decimal(o["executedQty"]) for o in stops) == held.quantity
