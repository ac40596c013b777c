"""The backtest's Sharpe, Sortino, max drawdown and CVaR equal empyrical's on the same equity curves.

empyrical-reloaded (a dev-only dependency) is the reference: the curves are real backtests of shipped
configs on the real candles in ../shared/data. Conventions checked, not assumed:

- Sharpe: mean / std (ddof 1) x sqrt(annualisation), risk-free 0, as ``empyrical.sharpe_ratio``.
- Sortino: empyrical's ``downside_risk`` with required return 0 is sqrt(mean(min(r, 0)^2)) over *all*
  returns (not the std of the losing ones); ours is the same, annualised the same way.
- Max drawdown: empyrical's is negative; ours is the positive fraction of the peak.
- CVaR 95 %: empyrical averages the lowest ``int((n - 1) * 0.05) + 1`` returns, ``risk.var`` the worst
  ``ceil(n * 0.05)``: written n = 20k + j, both are k for j = 0 and k + 1 otherwise, so the same tail
  for every n (each test asserts it for its n). Ours is a positive loss, empyrical's a negative return.

Tolerance: the relative differences measured on these curves are at most 4e-14 (the order of float
summation differs: numpy's pairwise sums against empyrical's nanmean); 1e-11 leaves room for another
numpy, while any difference of definition (ddof, the downside convention, the annualisation) is
above 1e-4.
"""

from __future__ import annotations

import math
from pathlib import Path

import empyrical
import numpy as np
import pandas as pd
import pytest

from bot.app.backtest.metrics import compute_metrics, periods_per_year
from bot.app.backtest.runner import BacktestRun, backtest_market, load_backtest_settings, run_backtest
from tests.conftest import shared_data_dir

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-11
FIVE_MINUTES_MS = 300_000
CONFIGS = {  # config -> candle files (None: the directory, the config's own symbols)
    "btc-pairs.example.toml": ("ETH_BTC-5m.csv", "LTC_BTC-5m.csv"),
    "strategies/rotation.toml": None,
    "strategies/bollinger.toml": ("ETH_BTC-5m.csv", "LTC_BTC-5m.csv"),
}


def backtest(config: str, files: list[Path], out: Path) -> BacktestRun:
    out.mkdir(parents=True, exist_ok=True)
    settings, data = load_backtest_settings(REPO / "config" / config, files, out)
    return run_backtest(settings, backtest_market(settings, None, None), data=data)


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BacktestRun:
    data = shared_data_dir()
    if not (data / "ETH_BTC-5m.csv").is_file():
        pytest.skip(f"real candle data not found at {data} (set SPOTBOT_SHARED_DATA)")
    names = CONFIGS[request.param]
    files = [data / name for name in names] if names else [data]
    return backtest(request.param, files, tmp_path_factory.mktemp("reference"))


def returns_of(run: BacktestRun) -> np.ndarray:
    return np.diff(run.curve) / run.curve[:-1]


def empyrical_tail(n: int) -> int:
    return int((n - 1) * 0.05) + 1


def test_the_curves_have_no_gap_so_returns_are_annualised_by_105120_a_year(run: BacktestRun) -> None:
    assert set(np.diff(run.close_times_ms)) == {FIVE_MINUTES_MS}
    assert run.metrics.periods_per_year == pytest.approx(105_120, rel=1e-12)


def test_sharpe_equals_empyricals(run: BacktestRun) -> None:
    expected = empyrical.sharpe_ratio(returns_of(run), annualization=run.metrics.periods_per_year)
    assert run.metrics.sharpe == pytest.approx(expected, rel=TOLERANCE)


def test_sortino_equals_empyricals_with_its_downside_deviation_over_all_returns(run: BacktestRun) -> None:
    returns = returns_of(run)
    expected = empyrical.sortino_ratio(returns, annualization=run.metrics.periods_per_year)
    assert run.metrics.sortino == pytest.approx(expected, rel=TOLERANCE)
    only_losses_std = float(np.std(returns[returns < 0], ddof=1))  # the convention empyrical rejects
    assert empyrical.downside_risk(returns, annualization=1) != pytest.approx(only_losses_std, rel=1e-4)


def test_max_drawdown_equals_empyricals(run: BacktestRun) -> None:
    assert run.metrics.max_drawdown == pytest.approx(-empyrical.max_drawdown(returns_of(run)), rel=TOLERANCE)


def test_per_candle_cvar_equals_empyricals(run: BacktestRun) -> None:
    returns = returns_of(run)
    assert math.ceil(returns.size * 0.05) == empyrical_tail(returns.size)  # the same tail on this n
    expected = -empyrical.conditional_value_at_risk(returns, cutoff=0.05)
    assert run.metrics.cvar_95 == pytest.approx(expected, rel=TOLERANCE)


def test_one_day_cvar_equals_empyricals_on_overlapping_one_day_returns(run: BacktestRun) -> None:
    equity = pd.Series(run.curve, index=pd.to_datetime(run.close_times_ms, unit="ms"))
    daily = equity.asfreq("5min").ffill().pct_change(288).dropna().to_numpy()
    assert math.ceil(daily.size * 0.05) == empyrical_tail(daily.size)
    expected = -empyrical.conditional_value_at_risk(daily, cutoff=0.05)
    assert run.metrics.cvar_95_1d == pytest.approx(expected, rel=TOLERANCE)


def test_a_drawdown_over_40_missing_candles_lasts_until_the_end_by_the_clock(
    shared_data: Path, tmp_path: Path
) -> None:
    candles = pd.read_csv(shared_data / "ETH_BTC-5m.csv")
    gap_start = int(pd.Timestamp("2018-01-20T12:00Z").value // 1_000_000)
    missing = candles.timestamp.between(gap_start, gap_start + 39 * FIVE_MINUTES_MS)
    assert missing.sum() == 40
    gapped = tmp_path / "data" / "ETH_BTC-5m.csv"
    gapped.parent.mkdir()
    candles[~missing].to_csv(gapped, index=False)
    run = backtest("btc-pairs.example.toml", [gapped], tmp_path / "out")
    equity = pd.Series(run.curve, index=pd.to_datetime(run.close_times_ms, unit="ms", utc=True))
    trough = (1 - equity / equity.cummax()).idxmax()
    peak = equity[:trough].idxmax()
    recovered = equity[trough:][equity[trough:] >= equity[peak]]
    end = recovered.index[0] if len(recovered) else equity.index[-1]
    assert peak < pd.Timestamp(gap_start, unit="ms", tz="UTC") < end  # the gap is inside the drawdown
    assert run.metrics.max_drawdown_duration_seconds == (end - peak).total_seconds()
    # counting candles misses the gap: 40 x 5 minutes short
    by_candles = run.metrics.max_drawdown_duration_candles * 300
    assert run.metrics.max_drawdown_duration_seconds - by_candles == 40 * 300


def test_a_gap_in_the_timeline_lowers_the_returns_a_year_to_what_the_calendar_holds() -> None:
    closes = [0, 300_000, 600_000 + 40 * 300_000, 900_000 + 40 * 300_000]  # 3 returns over 43 candles
    curve = np.array([100.0, 101.0, 99.0, 100.5])
    metrics = compute_metrics(close_times_ms=closes, timeframe_seconds=300, curve=curve, trades=[])
    assert metrics.periods_per_year == pytest.approx(3 / (43 * 300 / (365 * 86_400)))
    assert metrics.periods_per_year == pytest.approx(periods_per_year(300) * 3 / 43)
    returns = np.diff(curve) / curve[:-1]
    assert metrics.sharpe == pytest.approx(
        empyrical.sharpe_ratio(returns, annualization=metrics.periods_per_year), rel=TOLERANCE
    )
    # the peak 101 is never regained: from its close to the last one, the 40 missing candles included
    assert metrics.max_drawdown_duration_seconds == (closes[3] - closes[1]) // 1000 == 12_600
