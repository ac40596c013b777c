"""Walk-forward windows, objective scores and the TOML writer: pure pieces of spotbot optimize."""

from __future__ import annotations

import itertools
import math
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest

from bot.app.backtest.data import DataError
from bot.app.backtest.metrics import BacktestMetrics
from bot.app.optimize.evaluate import TrialScores
from bot.app.optimize.objective import PENALTY, score
from bot.app.optimize.tomlwrite import dumps
from bot.app.optimize.walkforward import split_windows

STEP = 300_000


def test_windows_are_consecutive_non_overlapping_and_cover_the_timeline() -> None:
    opens = np.arange(1000, dtype=np.int64) * STEP + 1_515_560_100_000
    opens = np.delete(opens, [100, 101, 500])  # real gaps are kept
    windows = split_windows(opens, folds=3, step_ms=STEP)

    assert len(windows) == 4
    assert windows[0].start_ms == opens[0]
    assert windows[-1].end_ms == opens[-1] + STEP
    for before, after in itertools.pairwise(windows):
        assert before.end_ms == after.start_ms  # consecutive, no overlap, no hole
    covered = [int(((opens >= w.start_ms) & (opens < w.end_ms)).sum()) for w in windows]
    assert covered == [w.candles for w in windows]
    assert sum(covered) == len(opens)
    assert max(covered) - min(covered) <= 1


def test_too_little_data_for_the_windows_is_refused() -> None:
    opens = np.arange(50, dtype=np.int64) * STEP
    with pytest.raises(DataError, match="fewer windows or more data"):
        split_windows(opens, folds=3, step_ms=STEP)


def test_in_sample_is_the_training_windows_and_out_of_sample_the_test_windows() -> None:
    scores = TrialScores(window_scores=[3.0, 1.0, -1.0], window_trades=[4, 2, 3])
    assert scores.in_sample == 2.0  # windows 0, 1: each fold's training stretch
    assert scores.out_of_sample == 0.0  # windows 1, 2: each fold's test stretch
    assert scores.gap == 2.0


def metrics(**changes: object) -> BacktestMetrics:
    base = BacktestMetrics(
        candles=100, trades=3, wins=2, losses=1, win_rate=2 / 3, profit_factor=2.0,
        starting_equity=1.0, final_equity=1.05, total_return=0.05, cagr=0.8, sharpe=1.5, sortino=2.0,
        max_drawdown=0.02, max_drawdown_duration_candles=5, max_drawdown_duration_seconds=1500,
        max_drawdown_recovered=True, exposure=0.4, fees=Decimal("0.001"),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_objectives() -> None:
    assert score(metrics(), "sharpe") == 1.5
    assert score(metrics(), "calmar") == pytest.approx(0.8 / 0.02)
    assert score(metrics(), "return_dd") == pytest.approx(0.05 - 2 * 0.02)
    assert score(metrics(max_drawdown=0.0), "calmar") == pytest.approx(0.8 / 0.01)  # floored drawdown


@pytest.mark.parametrize("objective", ["sharpe", "calmar", "return_dd"])
def test_a_window_without_a_trade_scores_the_penalty_which_is_the_floor(objective: str) -> None:
    idle = metrics(trades=0, wins=0, losses=0, exposure=0.0, sharpe=None, cagr=0.0, total_return=0.0)
    assert score(idle, objective) == PENALTY[objective]
    assert math.isfinite(PENALTY[objective])
    awful = metrics(
        sharpe=-1e9, cagr=-1.0, max_drawdown=1.0 if objective == "return_dd" else 0.005, total_return=-1.0
    )
    assert score(awful, objective) == PENALTY[objective]
    assert score(metrics(sharpe=float("nan"), cagr=None), objective) >= PENALTY[objective]


def test_the_toml_writer_reads_back_as_the_same_data() -> None:
    data = {
        "bot": {"name": "x", "starting_balances": {"BTC": "1"}},
        "market": {"symbols": ["ETH/BTC"], "rules": {"overrides": {"ETH/BTC": {"min_notional": "0.1"}}}},
        "strategies": [
            {"name": "a", "params": {"fast": 7, "atr_multiple": 2.5e-05, "ma": "sma"},
             "search": {"fast": {"low": 3, "high": 10}, "ma": {"choices": ["ema", "sma"]}}},
            {"name": "b", "symbols": ["ETH/BTC"]},
        ],
        "when": datetime(2024, 1, 1, tzinfo=UTC),
        "quote": 'say "hi"\n',
    }  # fmt: skip
    text = dumps(data, ["optimized", "second line"])
    assert text.startswith("# optimized\n# second line\n")
    assert tomllib.loads(text) == data
    assert "fast = {low = 3, high = 10}" in text
