"""``spotbot stress`` on a real backtest: the rotation config on the four BTC pairs ends holding three."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.app.cli import app
from tests.conftest import shared_data_dir

REPO = Path(__file__).resolve().parents[2]
ROTATION = REPO / "config" / "strategies" / "rotation.toml"


def spotbot(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def backtest_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = shared_data_dir()
    if not (data / "ETH_BTC-5m.csv").is_file():
        pytest.skip(f"real candle data not found at {data} (set SPOTBOT_SHARED_DATA)")
    out = tmp_path_factory.mktemp("stress") / "rotation"
    code, _, _ = spotbot("backtest", "--config", str(ROTATION), "--data", str(data), "--out", str(out))
    assert code == 0
    return out


def stress_json(*args: str) -> dict[str, Any]:
    code, out, err = spotbot("stress", "--config", str(ROTATION), *args, "--json")
    assert code == 0, err
    return json.loads(out)


def held_in_the_audit_db(out: Path) -> dict[str, tuple[Decimal, Decimal]]:
    """Net quantity bought per symbol from the fills, and the working stop's price, read with sqlite3."""
    with sqlite3.connect(out / "audit.sqlite") as db:
        net: dict[str, Decimal] = defaultdict(Decimal)
        for symbol, side, quantity in db.execute("select symbol, side, quantity from fills"):
            net[symbol] += Decimal(quantity) * (1 if side == "buy" else -1)
        working = "select symbol, stop_price from orders where purpose = 'stop' and status = 'open'"
        stops = dict(db.execute(working).fetchall())
    return {symbol: (quantity, Decimal(stops[symbol])) for symbol, quantity in net.items() if quantity}


def test_the_portfolio_is_the_backtests_open_positions_with_their_working_stops(backtest_dir: Path) -> None:
    report = stress_json("--backtest", str(backtest_dir))
    holdings = {
        h["symbol"]: (Decimal(h["quantity"]), Decimal(h["stop_price"]))
        for h in report["portfolio"]["holdings"]
    }
    assert holdings == held_in_the_audit_db(backtest_dir)
    assert len(holdings) == 3
    result = json.loads((backtest_dir / "result.json").read_text())
    assert Decimal(report["portfolio"]["equity"]) == Decimal(result["metrics"]["final_equity"])


def test_all_holdings_down_20_percent_lose_a_fifth_of_their_value_without_stops(backtest_dir: Path) -> None:
    report = stress_json("--backtest", str(backtest_dir))
    value = sum(Decimal(h["quantity"]) * Decimal(h["price"]) for h in report["portfolio"]["holdings"])
    equity = Decimal(report["portfolio"]["equity"])
    scenario = next(s for s in report["scenarios"] if s["name"] == "all-20")
    assert Decimal(scenario["loss_without_stops"]) == value * Decimal("0.2")
    assert scenario["loss_without_stops_of_equity"] == pytest.approx(float(value * Decimal("0.2") / equity))
    with_stops = Decimal(scenario["loss_with_stops"])
    assert 0 < with_stops < Decimal(scenario["loss_without_stops"])  # every stop is within 20 %
    daily = scenario["breakers"]["daily_loss"]
    start = Decimal(report["portfolio"]["day_start_equity"])
    assert daily["figure"] == pytest.approx(float((start - (equity - with_stops)) / start))
    assert (daily["limit"], daily["breached"]) == (0.03, daily["figure"] >= 0.03)


def test_a_btc_usdt_shock_is_skipped_without_btc_usdt_candles(backtest_dir: Path) -> None:
    report = stress_json("--backtest", str(backtest_dir))
    skipped = {s["name"]: s["skipped"] for s in report["scenarios"] if s["skipped"]}
    reason = "no candles for the reference BTC/USDT (give its file with --data)"
    assert skipped == {"btc-20": reason, "btc-40": reason}


def test_a_shock_to_a_reference_in_the_data_moves_the_others_by_their_beta(
    backtest_dir: Path, tmp_path: Path
) -> None:
    scenarios = tmp_path / "eth.toml"
    scenarios.write_text(
        'reference = "ETH/BTC"\nreplace_builtins = true\n[[scenarios]]\nname = "eth-20"\nshock = -0.2\n'
    )
    report = stress_json(
        "--backtest", str(backtest_dir), "--scenarios", str(scenarios), "--data", str(shared_data_dir())
    )
    (scenario,) = report["scenarios"]
    moves = {h["symbol"]: (h["move"], h["move_source"]) for h in scenario["holdings"]}
    assert moves["ETH/BTC"] == (-0.2, "the reference")
    assert all(source.startswith("beta ") for symbol, (_, source) in moves.items() if symbol != "ETH/BTC")


def test_run_and_backtest_together_are_bad_input_in_one_line(backtest_dir: Path) -> None:
    code, _, err = spotbot("stress", "--config", str(ROTATION), "--run", "1", "--backtest", str(backtest_dir))
    assert code == 2
    assert err.startswith("error: --run and --backtest: give one of them") and err.count("\n") == 1


def test_a_bad_scenario_file_names_each_bad_key(backtest_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenarios]]\nname = "x"\nmove = -0.1\ndepht_factor = 0.5\n'
                   '[[scenarios]]\nname = "z"\nmove = -0.1\ndepth_factor = 0\n')  # fmt: skip
    code, _, err = spotbot(
        "stress", "--config", str(ROTATION), "--backtest", str(backtest_dir), "--scenarios", str(bad)
    )
    assert code == 2
    assert "scenarios[0].depht_factor: 0.5 — unknown key" in err
    assert "scenarios[1].depth_factor: 0 — greater than 0" in err


def test_a_shock_without_a_reference_names_the_key(tmp_path: Path) -> None:
    from bot.app.settings import ConfigError
    from bot.app.stress.scenarios import read_scenario_file

    file = tmp_path / "s.toml"
    file.write_text('[[scenarios]]\nname = "crash"\nshock = -0.3\n')
    with pytest.raises(
        ConfigError, match=r"scenarios\[0\]\.reference: \(missing\) — a shock moves a reference"
    ):
        read_scenario_file(file)


def test_no_run_to_stress_is_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f'[bot]\nname = "nobody"\ndata_dir = "{tmp_path / "data"}"\n')
    code, _, err = spotbot("stress", "--config", str(config))
    assert code == 1
    assert err.startswith("error: no run yet")
