"""Indicators against straightforward reference implementations (plain loops, written independently)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies.indicators import ema, sma, true_range, wilder_atr

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
