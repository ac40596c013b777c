"""Moving averages and Wilder's ATR on numpy float arrays.

Indicators are the one place floats are allowed: they are observations, not money. Every function
returns an array as long as its input, with ``NaN`` where the indicator is not yet defined, so index
``i`` of the output always belongs to candle ``i`` of the input and callers never have to re-align.

Conventions (the TA-Lib ones, so numbers match what traders see on their charts):

- ``sma(x, p)[i]`` is the mean of ``x[i-p+1 .. i]``; defined from ``i = p - 1``.
- ``ema(x, p)`` uses ``alpha = 2 / (p + 1)`` and is seeded with the SMA of the first ``p`` values,
  so it is defined from ``i = p - 1``. An EMA depends on its whole history: callers that need the
  same value from different amounts of history must pass the same fixed-length window.
- ``true_range`` needs the previous close, so it is ``NaN`` at index 0.
- ``wilder_atr(h, l, c, p)`` is seeded with the mean of the first ``p`` true ranges (indices ``1..p``)
  and then smoothed with ``alpha = 1 / p``; defined from ``i = p``, i.e. it needs ``p + 1`` candles.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _as_series(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _check_period(period: int) -> None:
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValueError(f"period={period!r} is invalid: allowed an integer >= 1")


@functools.cache
def _sma_weights(period: int) -> FloatArray:
    weights = np.full(period, 1.0 / period)
    weights.flags.writeable = False
    return weights


def sma(values: npt.ArrayLike, period: int) -> FloatArray:
    """Simple moving average.

    Computed as a direct sum over each window (a convolution) rather than from a cumulative sum: a
    cumsum difference loses precision on long series of large prices. ``np.convolve`` is also an order
    of magnitude cheaper per call than ``sliding_window_view(...).mean()`` on the short windows here.
    """
    _check_period(period)
    x = _as_series(values, "values")
    out = np.full(x.shape, np.nan)
    if x.size >= period:
        out[period - 1 :] = np.convolve(x, _sma_weights(period), mode="valid")
    return out


def sma_last_two(values: FloatArray, period: int) -> FloatArray:
    """The last two values of ``sma(values, period)``, computed from the last ``period + 1`` values only
    (the same weights over the same closes); NaN where undefined."""
    _check_period(period)
    if values.size < period + 1:
        return sma(values, period)[-2:]
    return np.convolve(values[-(period + 1) :], _sma_weights(period), mode="valid")


def _smooth(x: FloatArray, period: int, alpha: float, first: int) -> FloatArray:
    """Exponential smoothing of ``x`` seeded with the mean of ``x[first : first + period]``."""
    out = np.full(x.shape, np.nan)
    seed_end = first + period  # exclusive
    if x.size < seed_end:
        return out
    value = float(x[first:seed_end].mean())
    smoothed = [value]
    keep = 1.0 - alpha
    # The recursion cannot be vectorised with numpy alone; a loop over Python floats is several times
    # faster than indexing numpy scalars, and the strategies' windows are a few hundred values at most.
    for item in x[seed_end:].tolist():
        value = alpha * item + keep * value
        smoothed.append(value)
    out[seed_end - 1 :] = smoothed
    return out


def ema(values: npt.ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, ``alpha = 2 / (period + 1)``, seeded with the first SMA."""
    _check_period(period)
    return _smooth(_as_series(values, "values"), period, 2.0 / (period + 1), first=0)


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """``max(high - low, |high - prev close|, |low - prev close|)``; ``NaN`` at index 0."""
    h, lo, c = _aligned(high, low, close)
    out = np.full(h.shape, np.nan)
    if h.size >= 2:
        prev_close = c[:-1]
        ranges = np.stack([h[1:] - lo[1:], np.abs(h[1:] - prev_close), np.abs(lo[1:] - prev_close)])
        out[1:] = ranges.max(axis=0)
    return out


def wilder_atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int) -> FloatArray:
    """Average true range with Wilder's smoothing (``alpha = 1 / period``)."""
    _check_period(period)
    tr = true_range(high, low, close)
    return _smooth(tr, period, 1.0 / period, first=1)


def _aligned(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    h = _as_series(high, "high")
    lo = _as_series(low, "low")
    c = _as_series(close, "close")
    if not h.size == lo.size == c.size:
        raise ValueError(f"high, low and close differ in length: {h.size}, {lo.size}, {c.size}")
    return h, lo, c
