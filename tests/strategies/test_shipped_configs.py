"""Every shipped strategy config runs on the shared BTC-quoted candles as it is, and the daemon and the
backtest make the same trades with it (DESIGN invariant 9): one parity test per built-in strategy.

The daemon replays the candles as a csv market (``spotbot run``; the source, speed and data folder set
from the environment, the config file untouched); the backtest is ``spotbot backtest --data`` on the
same files. Orders and fills, with every price, quantity, fee and time, must be identical.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from bot.adapters.audit import SqlAuditStore
from bot.app.reporting import build_report

ROOT = Path(__file__).resolve().parents[2]
# optimize writes NAME.optimized.toml beside a config run without --out: not a shipped config
CONFIGS = sorted(p for p in (ROOT / "config" / "strategies").glob("*.toml") if ".optimized" not in p.name)
CANDLES = 1500  # about 5 days of 5m: every shipped config trades (16 fills or more)


def _spotbot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ, **env},
    )  # fmt: skip


def _trades(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], Decimal | None]:
    with SqlAuditStore(url, venue="paper") as store:
        report = build_report(store)
        fills = [
            (f.symbol, f.side, f.price, f.quantity, f.fee, f.fee_currency, f.liquidity, f.occurred_at)
            for f in report.fills
        ]
        orders = [
            (o.symbol, o.purpose, o.side, o.order_type, o.price, o.stop_price, o.quantity, o.status)
            for o in store.orders()
        ]
        return fills, orders, report.final_equity


def test_every_built_in_strategy_has_a_shipped_config() -> None:
    from strategies.registry import STRATEGIES

    shipped = {tomllib.loads(path.read_text())["strategies"][0]["kind"] for path in CONFIGS}
    assert shipped == set(STRATEGIES) - {"ma_crossover"}  # ma_crossover: config/btc-pairs.example.toml


@pytest.mark.parametrize("config", CONFIGS, ids=[path.stem for path in CONFIGS])
def test_the_shipped_config_trades_identically_in_the_daemon_and_the_backtest(
    config: Path, tmp_path: Path, shared_data: Path
) -> None:
    symbols = tomllib.loads(config.read_text())["market"]["symbols"]
    files = {}
    for symbol in symbols:
        name = symbol.replace("/", "_") + "-5m.csv"
        lines = (shared_data / name).read_text().splitlines()[: CANDLES + 1]
        files[symbol] = tmp_path / name
        files[symbol].write_text("\n".join(lines) + "\n")
    env = {
        "SPOTBOT_BOT__DATA_DIR": str(tmp_path / "daemon"),
        "SPOTBOT_MARKET__SOURCE": "csv",
        "SPOTBOT_MARKET__REPLAY_SPEED": "50000",
        "SPOTBOT_MARKET__CSV__FILES": json.dumps({s: str(p) for s, p in files.items()}),
    }
    run = _spotbot("run", "--config", str(config), "--log-format", "json", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    out = tmp_path / "bt"
    data = [arg for path in files.values() for arg in ("--data", str(path))]
    backtest = _spotbot("backtest", "--config", str(config), *data, "--out", str(out), env={})
    assert backtest.returncode == 0, backtest.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())

    daemon_fills, daemon_orders, daemon_equity = _trades(
        f"sqlite:///{tmp_path / 'daemon' / 'spotbot.sqlite'}"
    )
    backtest_fills, backtest_orders, backtest_equity = _trades(result["run"]["audit_db"])
    assert len(daemon_fills) >= 10, f"{config.name} should trade on {CANDLES} real candles"
    assert daemon_fills == backtest_fills
    assert daemon_orders == backtest_orders
    assert daemon_equity == backtest_equity == Decimal(result["metrics"]["final_equity"])
