"""Parity: the same candles through the daemon (sim mode) and through `spotbot backtest` give identical
orders, fills and final equity - one engine, not a second, simplified model."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from bot.adapters.audit import SqlAuditStore
from bot.app.reporting import build_report

ROOT = Path(__file__).resolve().parents[2]


def test_the_daemon_and_the_backtest_make_the_same_trades_on_the_same_candles(
    tmp_path: Path, shared_data: Path
) -> None:
    lines = (shared_data / "ETH_BTC-5m.csv").read_text().splitlines()[:1501]  # header + 1500 candles
    candles = tmp_path / "ETH_BTC-5m.csv"
    candles.write_text("\n".join(lines) + "\n")
    daemon_db = tmp_path / "spotbot.sqlite"  # the default: bot.data_dir/spotbot.sqlite
    config = tmp_path / "parity.toml"
    config.write_text(
        f"""
[bot]
name = "parity"
data_dir = "{tmp_path}"
quote_currency = "BTC"
[bot.starting_balances]
BTC = "1"
[market]
source = "csv"
symbols = ["ETH/BTC"]
timeframe = "5m"
replay_speed = 20000
[market.csv.files]
"ETH/BTC" = "{candles}"
[market.rules]
min_notional = "0.0001"
[[strategies]]
name = "ma_cross"
[strategies.params]
fast = 12
slow = 48
"""
    )
    run = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config), "--log-format", "json"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    out = tmp_path / "bt"
    command = ["backtest", "--config", str(config), "--data", str(candles), "--out", str(out)]
    backtest = subprocess.run(
        [sys.executable, "-m", "bot", *command], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert backtest.returncode == 0, backtest.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())

    def trades(url: str) -> tuple[list[tuple[object, ...]], Decimal | None]:
        with SqlAuditStore(url, venue="paper") as store:
            report = build_report(store)
            fills = [
                (f.symbol, f.side, f.price, f.quantity, f.fee, f.liquidity, f.occurred_at)
                for f in report.fills
            ]
            orders = [
                (o.purpose, o.side, o.order_type, o.price, o.quantity, o.status) for o in store.orders()
            ]
            return [*fills, *orders], report.final_equity

    daemon_trades, daemon_equity = trades(f"sqlite:///{daemon_db}")
    backtest_trades, backtest_equity = trades(result["run"]["audit_db"])
    assert len(daemon_trades) > 10, "the window should trade"
    assert daemon_trades == backtest_trades
    assert daemon_equity == backtest_equity == Decimal(result["metrics"]["final_equity"])
