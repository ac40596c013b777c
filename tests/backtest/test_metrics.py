"""Backtest metrics on hand-made curves and trades with answers worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app.backtest.metrics import (
    YEAR_SECONDS,
    cagr,
    compute_metrics,
    exposure_fraction,
    format_duration,
    max_drawdown,
    periods_per_year,
    profit_factor,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
)
from bot.core.positions import Trade
from bot.domain.clock import datetime_to_ms

T0 = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)
STEP_MS = 300_000


def trade(net: str, *, symbol: str = "ETH/BTC", opened: int = 0, closed: int = 1, fees: str = "0") -> Trade:
    return Trade(
        symbol=symbol,
        opened_at=T0 + opened * STEP,
        closed_at=T0 + closed * STEP,
        quantity=Decimal(1),
        entry_price=Decimal(1),
        exit_price=Decimal(1),
        gross_pnl=Decimal(net) + Decimal(fees),
        fees=Decimal(fees),
    )


def curve(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_max_drawdown_of_100_110_99_120_is_ten_percent_recovered_after_two_candles() -> None:
    drawdown = max_drawdown(curve(100, 110, 99, 120))
    assert drawdown.max_drawdown == pytest.approx(0.10)
    assert (drawdown.peak_index, drawdown.trough_index) == (1, 2)
    assert drawdown.duration_candles == 2 and drawdown.recovered


def test_a_drawdown_never_recovered_lasts_until_the_end() -> None:
    drawdown = max_drawdown(curve(100, 120, 90, 100, 110))
    assert drawdown.max_drawdown == pytest.approx(0.25)
    assert drawdown.duration_candles == 3 and not drawdown.recovered


def test_a_rising_curve_has_no_drawdown() -> None:
    drawdown = max_drawdown(curve(100, 101, 102))
    assert drawdown.max_drawdown == 0.0 and drawdown.duration_candles == 0 and drawdown.recovered


def test_win_rate_of_two_wins_in_three_trades_and_profit_factor() -> None:
    trades = [trade("3"), trade("-2"), trade("1")]
    metrics = compute_metrics(
        close_times_ms=[datetime_to_ms(T0 + i * STEP) for i in range(3)],
        timeframe_seconds=300,
        curve=np.full(3, 100.0),
        trades=trades,
    )
    assert metrics.trades == 3 and metrics.wins == 2 and metrics.losses == 1
    assert metrics.win_rate == pytest.approx(2 / 3)
    assert metrics.profit_factor == pytest.approx(4 / 2)


def test_profit_factor_is_none_without_a_losing_trade() -> None:
    assert profit_factor([trade("1"), trade("2")]) is None
    assert profit_factor([]) is None


def test_sharpe_and_sortino_of_a_constant_curve_are_none() -> None:
    returns = simple_returns(curve(100, 100, 100, 100))
    assert sharpe_ratio(returns, periods_per_year(300)) is None
    assert sortino_ratio(returns, periods_per_year(300)) is None


def test_sharpe_is_mean_over_sample_std_annualised_by_the_timeframe() -> None:
    returns = simple_returns(curve(100, 110, 99, 120))  # 0.1, -0.1, 0.2121...
    per_year = 365 * 86_400 / 300
    assert periods_per_year(300) == per_year == 105_120
    expected = np.mean(returns) / np.std(returns, ddof=1) * math.sqrt(per_year)
    assert sharpe_ratio(returns, per_year) == pytest.approx(expected)


def test_sortino_uses_the_downside_deviation_over_all_returns() -> None:
    returns = np.array([0.02, -0.01, 0.03, -0.02])
    downside = math.sqrt((0.01**2 + 0.02**2) / 4)
    assert sortino_ratio(returns, 1.0) == pytest.approx(0.005 / downside)
    assert sortino_ratio(np.array([0.01, 0.02]), 1.0) is None  # no losing candle


def test_cagr_compounds_the_total_return_over_the_span() -> None:
    assert cagr(100, 121, 2 * YEAR_SECONDS) == pytest.approx(0.10)
    assert cagr(100, 110, YEAR_SECONDS / 2) == pytest.approx(0.21)
    assert cagr(100, 110, 0) is None
    assert cagr(100, 0, YEAR_SECONDS) == -1.0
    assert cagr(100, 90, 900) == pytest.approx(-1.0)  # a loss over a tiny span tends to -100 %


def test_exposure_counts_candles_overlapping_a_holding() -> None:
    closes = [STEP_MS * i for i in range(1, 11)]  # ten candles: [0, 5m) ... [45m, 50m)
    # held from the open of candle 2 to the open of candle 5: candles 2, 3, 4 -> 3 of 10
    assert exposure_fraction(closes, STEP_MS, [(STEP_MS * 2, STEP_MS * 5)]) == pytest.approx(0.3)
    # still open from candle 8: candles 8, 9 -> 2 more
    assert exposure_fraction(closes, STEP_MS, [(STEP_MS * 2, STEP_MS * 5), (STEP_MS * 8, None)]) == 0.5
    # overlapping holdings on two symbols count a candle once
    assert exposure_fraction(closes, STEP_MS, [(0, STEP_MS * 2), (STEP_MS, STEP_MS * 2)]) == 0.2
    assert exposure_fraction(closes, STEP_MS, []) == 0.0


def test_compute_metrics_on_the_100_110_99_120_curve() -> None:
    closes = [datetime_to_ms(T0 + i * STEP) for i in range(4)]
    metrics = compute_metrics(
        close_times_ms=closes,
        timeframe_seconds=300,
        curve=curve(100, 110, 99, 120),
        trades=[trade("20", opened=0, closed=2, fees="0.5", symbol="LTC/BTC")],
        fees=Decimal("0.5"),
        risk_by_reason={"drawdown:max_drawdown": 2},
    )
    assert metrics.total_return == pytest.approx(0.20)
    assert metrics.max_drawdown == pytest.approx(0.10)
    assert metrics.max_drawdown_duration_candles == 2
    assert metrics.max_drawdown_duration_seconds == 600
    assert metrics.cagr is None  # +20 % in 15 minutes compounds past a float: no meaningful annual rate
    assert metrics.fees == Decimal("0.5")
    assert metrics.trades_by_symbol == {"LTC/BTC": 1}
    assert metrics.risk_by_reason == {"drawdown:max_drawdown": 2}
    assert metrics.exposure == pytest.approx(0.5)  # candles opening at 0 and 5m of four


def test_format_duration() -> None:
    assert format_duration(93_900) == "1d 2h 5m"
    assert format_duration(0) == "0m"


def test_a_curve_that_does_not_match_the_timeline_is_refused() -> None:
    with pytest.raises(ValueError, match="3 values for 4 candle closes"):
        compute_metrics(close_times_ms=[1, 2, 3, 4], timeframe_seconds=300, curve=curve(1, 2, 3), trades=[])


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.integers(1, 3), min_size=1, max_size=60),
    holdings=st.lists(st.tuples(st.integers(0, 200), st.one_of(st.none(), st.integers(0, 60))), max_size=8),
)
def test_exposure_counts_exactly_the_candles_some_holding_overlaps(
    gaps: list[int], holdings: list[tuple[int, int | None]]
) -> None:
    closes = (np.cumsum(gaps) * STEP_MS).tolist()  # gaps in the data too
    held = [
        (o * STEP_MS // 4, None if d is None else o * STEP_MS // 4 + d * STEP_MS // 4) for o, d in holdings
    ]

    def overlaps(close: int, opened: int, closed: int | None) -> bool:
        end = float("inf") if closed is None else max(closed, opened + 1)
        return close - STEP_MS < end and close > opened

    expected = sum(any(overlaps(c, o, e) for o, e in held) for c in closes) / len(closes)
    assert exposure_fraction(closes, STEP_MS, held) == pytest.approx(expected)
