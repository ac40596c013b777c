"""An optimize trial's backtest (``extras=False``) scores exactly what the full backtest would: the same
metrics, trades and fills, only without the trade journal and the annotations a reader looks at."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.backtest.runner import BacktestRun, backtest_market, load_backtest_settings, run_backtest
from tests.conftest import shared_data_dir

REPO = Path(__file__).resolve().parents[2]


def backtest(out: Path, *, extras: bool) -> BacktestRun:
    data = shared_data_dir()
    if not (data / "ETH_BTC-5m.csv").is_file():
        pytest.skip(f"real candle data not found at {data} (set SPOTBOT_SHARED_DATA)")
    out.mkdir(parents=True)
    config = REPO / "config" / "regime.example.toml"
    settings, files = load_backtest_settings(config, [data], out)
    run = run_backtest(settings, backtest_market(settings, None, None), data=files, extras=extras)
    run.app.store.close()
    return run


def test_a_trial_report_has_the_full_reports_metrics_and_fills_without_its_extras(tmp_path: Path) -> None:
    full = backtest(tmp_path / "full", extras=True)
    trial = backtest(tmp_path / "trial", extras=False)
    assert full.report.trades, "the config must trade on the shared candles for this test to mean anything"
    assert full.report.journal and full.report.regime is not None  # what the trial leaves out exists
    assert trial.metrics == full.metrics
    assert (trial.report.trades, trial.report.fills) == (full.report.trades, full.report.fills)
    assert trial.report.outcomes == full.report.outcomes
    assert trial.report.final_equity == full.report.final_equity
    assert (trial.report.journal, trial.report.regime, trial.report.cvar) == ([], None, None)
