"""Indicators against straightforward reference implementations (plain loops, written independently), and
against TA-Lib (a dev-only reference, never imported by ``strategies/``) on the real candles."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies.indicators import (
    bollinger,
    ema,
    macd,
    macd_windows,
    rsi,
    rsi_windows,
    sma,
    true_range,
    wilder_atr,
)

NAN = math.nan

prices = st.floats(min_value=0.01, max_value=100_000, allow_nan=False, allow_infinity=False)
series = st.lists(prices, min_size=0, max_size=120)
periods = st.integers(min_value=1, max_value=40)


def reference_sma(values: list[float], period: int) -> list[float]:
    return [
        sum(values[i - period + 1 : i + 1]) / period if i >= period - 1 else NAN for i in range(len(values))
    ]


def reference_ema(values: list[float], period: int) -> list[float]:
    out = [NAN] * len(values)
    if len(values) < period:
        return out
    alpha = 2 / (period + 1)
    value = sum(values[:period]) / period
    out[period - 1] = value
    for i in range(period, len(values)):
        value += alpha * (values[i] - value)
        out[i] = value
    return out


def reference_atr(high: list[float], low: list[float], close: list[float], period: int) -> list[float]:
    n = len(close)
    tr = [NAN] + [
        max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1])) for i in range(1, n)
    ]
    out = [NAN] * n
    if n < period + 1:
        return out
    value = sum(tr[1 : period + 1]) / period
    out[period] = value
    for i in range(period + 1, n):
        value = (value * (period - 1) + tr[i]) / period
        out[i] = value
    return out


def assert_close(actual: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(actual, np.array(expected, dtype=float), rtol=1e-9, atol=1e-7, equal_nan=True)


@st.composite
def candles(draw: st.DrawFn) -> tuple[list[float], list[float], list[float]]:
    closes = draw(series)
    up = draw(st.lists(st.floats(0, 50), min_size=len(closes), max_size=len(closes)))
    down = draw(st.lists(st.floats(0, 1), min_size=len(closes), max_size=len(closes)))
    high = [c + u for c, u in zip(closes, up, strict=True)]
    low = [c * (1 - d / 2) for c, d in zip(closes, down, strict=True)]
    return high, low, closes


@given(series, periods)
def test_sma_matches_the_reference(values: list[float], period: int) -> None:
    assert_close(sma(values, period), reference_sma(values, period))


@given(series, periods)
def test_ema_matches_the_reference(values: list[float], period: int) -> None:
    assert_close(ema(values, period), reference_ema(values, period))


@given(candles(), periods)
def test_wilder_atr_matches_the_reference(
    hlc: tuple[list[float], list[float], list[float]], period: int
) -> None:
    high, low, close = hlc
    assert_close(wilder_atr(high, low, close, period), reference_atr(high, low, close, period))


def test_sma_is_nan_until_the_window_is_full() -> None:
    assert_close(sma([1.0, 2.0, 3.0, 4.0, 5.0], 3), [NAN, NAN, 2.0, 3.0, 4.0])


def test_ema_is_seeded_with_the_sma() -> None:
    # alpha = 0.5: seed mean(1, 2, 3) = 2, then 2 + 0.5 * (6 - 2) = 4
    assert_close(ema([1.0, 2.0, 3.0, 6.0], 3), [NAN, NAN, 2.0, 4.0])


def test_true_range_uses_the_previous_close_for_gaps() -> None:
    # candle 1 gaps up from close 10 to a 12..13 range: TR = 13 - 10 = 3, not 13 - 12
    assert_close(true_range([11.0, 13.0], [9.0, 12.0], [10.0, 12.5]), [NAN, 3.0])


def test_atr_needs_one_candle_more_than_its_period() -> None:
    high, low, close = [11.0, 12.0, 13.0], [9.0, 10.0, 11.0], [10.0, 11.0, 12.0]
    assert np.isnan(wilder_atr(high[:2], low[:2], close[:2], 2)).all()
    assert_close(wilder_atr(high, low, close, 2), [NAN, NAN, 2.0])


@pytest.mark.parametrize("period", [0, -1, 2.5, True])
def test_a_period_that_is_not_a_positive_integer_is_rejected(period: object) -> None:
    with pytest.raises(ValueError, match="period"):
        sma([1.0, 2.0], period)  # type: ignore[arg-type]


def test_high_low_close_of_different_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        wilder_atr([1.0, 2.0], [1.0], [1.0, 2.0], 1)


def test_rsi_is_100_after_gains_only_and_0_after_losses_only() -> None:
    assert_close(rsi([1.0, 2.0, 3.0, 4.0], 2), [NAN, NAN, 100.0, 100.0])
    assert_close(rsi([4.0, 3.0, 2.0, 1.0], 2), [NAN, NAN, 0.0, 0.0])


def test_rsi_smooths_gains_and_losses_wilders_way() -> None:
    # changes +2, -1, +1, -2 with period 2: seed gain 1, loss 0.5 -> 66.67; then gain (1 + 1) / 2 = 1,
    # loss 0.5 / 2 = 0.25 -> 80; then gain 0.5, loss (0.25 + 2) / 2 = 1.125 -> 30.77
    assert_close(rsi([10.0, 12.0, 11.0, 12.0, 10.0], 2), [NAN, NAN, 200 / 3, 80.0, 100 * 0.5 / 1.625])


def test_rsi_is_undefined_where_nothing_moved() -> None:
    # TA-Lib says 0 (deeply oversold) for a flat market; we say nothing, so no strategy acts on it
    assert np.isnan(rsi([5.0, 5.0, 5.0, 5.0], 2)[2:]).all()
    assert talib.RSI(np.array([5.0, 5.0, 5.0, 5.0]), 2)[-1] == 0


def test_bollinger_bands_are_the_sma_plus_minus_population_deviations() -> None:
    # closes 1, 2, 3: mean 2, population std sqrt(2/3)
    lower, middle, upper = bollinger([1.0, 2.0, 3.0, 3.0], 3, 2.0)
    spread = 2 * math.sqrt(2 / 3)
    assert_close(middle, [NAN, NAN, 2.0, 8 / 3])
    assert_close(lower, [NAN, NAN, 2.0 - spread, 8 / 3 - 2 * math.sqrt(2 / 9)])
    assert_close(upper, [NAN, NAN, 2.0 + spread, 8 / 3 + 2 * math.sqrt(2 / 9)])


def test_macd_line_is_fast_minus_slow_ema_and_the_signal_its_ema() -> None:
    closes = [float(x) for x in (1, 3, 2, 5, 4, 6, 8, 7, 9)]
    line, signal, histogram = macd(closes, 2, 3, 2)
    expected_line = np.array(reference_ema(closes, 2)) - np.array(reference_ema(closes, 3))
    assert_close(line, list(expected_line))
    assert_close(signal, [NAN] * 2 + reference_ema(list(expected_line[2:]), 2))
    assert_close(histogram, list(expected_line - signal))
    assert np.isnan(signal[:3]).all() and not np.isnan(signal[3:]).any()


# --- TA-Lib on the real candles -------------------------------------------------------------------


@pytest.fixture(params=["ETH_BTC", "LTC_BTC"])
def real_hlc(request: pytest.FixtureRequest, shared_data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = np.loadtxt(shared_data / f"{request.param}-5m.csv", delimiter=",", skiprows=1)
    return rows[:, 2].copy(), rows[:, 3].copy(), rows[:, 4].copy()


@pytest.mark.parametrize("period", [2, 14, 30])
def test_rsi_matches_talib_from_its_first_value(
    real_hlc: tuple[np.ndarray, np.ndarray, np.ndarray], period: int
) -> None:
    # Same seed as TA-Lib (the mean of the first `period` gains and losses), then the same recursion:
    # the values agree from the first one, up to float rounding (observed 6e-14 RSI points).
    close = real_hlc[2]
    np.testing.assert_allclose(
        rsi(close, period), talib.RSI(close, period), rtol=0, atol=1e-9, equal_nan=True
    )


@pytest.mark.parametrize(("period", "std_devs"), [(20, 2.0), (10, 1.5), (50, 3.0)])
def test_bollinger_bands_match_talib(
    real_hlc: tuple[np.ndarray, np.ndarray, np.ndarray], period: int, std_devs: float
) -> None:
    # Not recursive: equal up to rounding. TA-Lib's variance comes from running sums of squares, which
    # cancel; ours from each window's deviations (observed 4e-14 of the price apart).
    close = real_hlc[2]
    upper, middle, lower = talib.BBANDS(close, period, std_devs, std_devs, 0)
    for ours, theirs in zip(bollinger(close, period, std_devs), (lower, middle, upper), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5)])
def test_macd_matches_talib_once_the_seeds_have_decayed(
    real_hlc: tuple[np.ndarray, np.ndarray, np.ndarray], fast: int, slow: int, signal: int
) -> None:
    # TA-Lib starts the fast EMA where the slow one starts (candle slow - 1, seeded with the mean of the
    # fast-period closes ending there); ours starts at candle fast - 1. Both then follow the same
    # recursion, so the gap shrinks by (1 - 2 / (fast + 1)) per candle: visible early (up to 2e-4 of the
    # price), below 1e-12 of the price after 10 x slow candles (observed 1e-15).
    close = real_hlc[2]
    ours = macd(close, fast, slow, signal)
    theirs = talib.MACD(close, fast, slow, signal)
    first_defined = [int(np.argmax(~np.isnan(values))) for values in ours]
    assert first_defined == [slow - 1, slow + signal - 2, slow + signal - 2]
    settled = 10 * slow
    for mine, reference in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine[settled:], reference[settled:], rtol=0, atol=1e-12 * close.max())
    assert np.nanmax(np.abs(ours[0] - theirs[0])[: 2 * slow]) > 1e-9 * close.max()  # the seeds differ


def test_sma_ema_and_atr_match_talib(real_hlc: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    # The same seeds as TA-Lib (the first SMA; the mean of the first true ranges): equal up to rounding.
    high, low, close = real_hlc
    scale = 1e-12 * close.max()
    np.testing.assert_allclose(sma(close, 20), talib.SMA(close, 20), rtol=0, atol=scale, equal_nan=True)
    np.testing.assert_allclose(ema(close, 20), talib.EMA(close, 20), rtol=0, atol=scale, equal_nan=True)
    np.testing.assert_allclose(
        wilder_atr(high, low, close, 14), talib.ATR(high, low, close, 14), rtol=0, atol=scale, equal_nan=True
    )


# --- Every window at once -------------------------------------------------------------------------

walks = st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 200), st.sampled_from([1e-6, 0.05, 100.0])).map(
    lambda drawn: drawn[2] * np.exp(np.cumsum(np.random.default_rng(drawn[0]).normal(0, 0.01, drawn[1])))
)


def each_window(
    close: np.ndarray, window: int, last_two: Callable[[np.ndarray], list[float]]
) -> list[np.ndarray]:
    """The brute force: the indicator over each window ending at candle i, its last two values."""
    found = [
        last_two(close[i - window + 1 : i + 1]) if i >= window - 1 else [NAN] * 4 for i in range(close.size)
    ]
    return [np.array(column) for column in zip(*found, strict=True)]


@settings(max_examples=40, deadline=None)
@given(walks, st.integers(2, 10), st.integers(0, 30))
def test_rsi_windows_equal_the_rsi_of_each_window(close: np.ndarray, period: int, extra: int) -> None:
    window = period + 2 + extra
    before, last = rsi_windows(close, period, window)
    expected = each_window(close, window, lambda w: [*rsi(w, period)[-2:], NAN, NAN])
    np.testing.assert_allclose(before, expected[0], rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(last, expected[1], rtol=0, atol=1e-9, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(walks, st.integers(2, 6), st.integers(1, 8), st.integers(2, 6), st.integers(0, 20))
def test_macd_windows_equal_the_macd_of_each_window(
    close: np.ndarray, fast: int, longer_by: int, signal: int, extra: int
) -> None:
    slow = fast + longer_by
    window = slow + signal + extra

    def last_two(w: np.ndarray) -> list[float]:
        line, signal_line, _ = macd(w, fast, slow, signal)
        return [*line[-2:], *signal_line[-2:]]

    expected = each_window(close, window, last_two)
    for ours, brute in zip(macd_windows(close, fast, slow, signal, window), expected, strict=True):
        np.testing.assert_allclose(ours, brute, rtol=0, atol=1e-12 * float(close.max()), equal_nan=True)


def test_a_window_too_short_for_two_values_is_rejected() -> None:
    with pytest.raises(ValueError, match="window"):
        rsi_windows(np.ones(50), 14, 15)
    with pytest.raises(ValueError, match="window"):
        macd_windows(np.ones(50), 12, 26, 9, 34)
