"""The daemon end to end: a subprocess paper-trades the sim market; the audit DB alone must prove it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.adapters.audit import SqlAuditStore
from bot.core.positions import PositionBook
from bot.core.run_books import balances_from_fills
from bot.domain import OrderPurpose, OrderStatus

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, db_url: str, *, candles: int, speed: float) -> Path:
    config = tmp_path / "bot.toml"
    config.write_text(
        f"""
[bot]
name = "e2e"
data_dir = "{tmp_path / "data"}"
database_url = "{db_url}"
[bot.starting_balances]
USDT = "10000"
[market]
source = "sim"
symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
timeframe = "5m"
replay_speed = {speed}
[market.sim]
seed = 7
candles = {candles}
[market.sim.start_prices]
"BTC/USDT" = 42000.0
"ETH/USDT" = 2300.0
"SOL/USDT" = 100.0
[[strategies]]
name = "ma_cross"
kind = "ma_crossover"
"""
    )
    return config


def spotbot(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


def json_events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def final_balances(events: list[dict[str, Any]]) -> dict[str, Decimal]:
    [event] = [e for e in events if e["event"] == "broker_final_balances"]
    return {currency: Decimal(total) for currency, total in event["balances"].items()}


def assert_db_is_consistent(store: SqlAuditStore, run_id: int, broker_balances: dict[str, Decimal]) -> None:
    fills = store.fills(run_id)
    orders = store.orders(run_id)
    events_by_order = defaultdict(list)
    for event in store.order_events(run_id=run_id):
        events_by_order[event.client_order_id].append(event)
    for order in orders:
        history = events_by_order[order.client_order_id]
        assert history, f"order {order.client_order_id} has no events"
        assert history[0].status is OrderStatus.PENDING  # stored before it was sent
        assert history[-1].status is order.status
        assert order.status is not OrderStatus.PENDING  # nothing left half-sent
    # Balances recomputed from the stored fills equal what the broker holds.
    recomputed = balances_from_fills({"USDT": Decimal(10000)}, fills)
    for currency in set(recomputed) | set(broker_balances):
        assert recomputed.get(currency, Decimal(0)) == broker_balances.get(currency, Decimal(0)), currency
    # Every position that was opened got a stop order right after its entry filled.
    filled_entries = {
        o.intent_id for o in orders if o.purpose is OrderPurpose.ENTRY and o.filled_quantity > 0
    }
    stopped = {o.intent_id for o in orders if o.purpose is OrderPurpose.STOP}
    assert filled_entries <= stopped
    PositionBook.from_fills(fills)  # long-only: never sells more than it holds


def test_the_daemon_trades_several_symbols_and_the_db_proves_every_fill(tmp_path: Path, db_url: str) -> None:
    config = write_config(tmp_path, db_url, candles=900, speed=5000)
    done = subprocess.run(
        spotbot("run", "--config", str(config), "--log-format", "json"),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    events = json_events(done.stdout)
    with SqlAuditStore(db_url, venue="paper") as store:
        run_id = store.latest_run_id()
        assert run_id is not None
        fills = store.fills(run_id)
        assert len({f.symbol for f in fills}) >= 2, "expected trades on several symbols"
        assert_db_is_consistent(store, run_id, final_balances(events))
        [run] = [r for r in store.runs() if r.id == run_id]
        assert run.status == "completed" and run.stopped_at is not None

        report = subprocess.run(
            spotbot("report", "--config", str(config), "--json"),
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            check=True,
        )
        data = json.loads(report.stdout)
        book = PositionBook.from_fills(fills)
        assert data["run"]["id"] == run_id
        assert data["summary"]["fills"] == len(fills)
        assert data["summary"]["trades"] == len(book.trades)
        assert Decimal(data["summary"]["fees"]) == sum(f.fee for f in fills)
        assert Decimal(data["summary"]["realized_pnl"]) == book.realized_pnl
        assert data["risk"]["intents"] == len({d.intent_id for d in store.decisions(run_id)})
        assert [f["trade_id"] for f in data["fills"]] == [f.trade_id for f in fills]


def test_sigterm_mid_run_exits_zero_and_leaves_a_consistent_db(tmp_path: Path, db_url: str) -> None:
    config = write_config(tmp_path, db_url, candles=5000, speed=150)
    proc = subprocess.Popen(
        spotbot("run", "--config", str(config), "--log-format", "json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        with SqlAuditStore(db_url, venue="paper") as store:
            while time.monotonic() < deadline:
                run_id = store.latest_run_id() if _migrated(store) else None
                if run_id is not None and store.fills(run_id):
                    break
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
            else:
                raise AssertionError("no fill within the deadline")
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 0, stderr[-3000:]
            [run] = [r for r in store.runs() if r.id == run_id]
            assert run.status == "stopped" and run.stopped_at is not None
            assert_db_is_consistent(store, run_id, final_balances(json_events(stdout)))
    finally:
        if proc.poll() is None:
            proc.kill()


def _migrated(store: SqlAuditStore) -> bool:
    try:
        store.runs()
    except Exception:
        return False
    return True


def test_a_bad_config_stops_the_bot_before_it_starts_with_the_key_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[risk]\nrisk_per_trade = "0.05"\n')
    done = subprocess.run(
        spotbot("run", "--config", str(config)),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 2
    assert "risk.risk_per_trade" in done.stderr and "0.02" in done.stderr
