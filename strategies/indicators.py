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

import collections
import functools
import itertools
from collections.abc import Iterable, Iterator

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


# --- RSI, Bollinger bands, MACD -------------------------------------------------------------------


def _gains_losses(changes: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each close-to-close change split into its gain and its loss (both >= 0; NaN stays NaN)."""
    return np.maximum(changes, 0.0), np.maximum(-changes, 0.0)


def _rsi_from(gain: FloatArray, loss: FloatArray) -> FloatArray:
    """``100 * gain / (gain + loss)``: NaN where nothing moved at all (TA-Lib says 0 there)."""
    total = gain + loss
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 100.0 * gain / total, np.nan)


def rsi(close: npt.ArrayLike, period: int) -> FloatArray:
    """Relative strength index with Wilder's smoothing (``alpha = 1 / period``) of gains and losses,
    each seeded with the mean of the first ``period`` changes; defined from ``i = period``."""
    _check_period(period)
    c = _as_series(close, "close")
    out = np.full(c.shape, np.nan)
    if c.size > period:
        gains, losses = _gains_losses(np.diff(c))
        alpha = 1.0 / period
        out[1:] = _rsi_from(_smooth(gains, period, alpha, 0), _smooth(losses, period, alpha, 0))
    return out


def bollinger(
    close: npt.ArrayLike, period: int, std_devs: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger bands ``(lower, middle, upper)``: the SMA of ``period`` closes and that SMA minus/plus
    ``std_devs`` population standard deviations of the same closes; defined from ``i = period - 1``.

    Each window's deviation is computed from its own mean (not from sums of squares, which cancel
    badly when the spread is small next to the price)."""
    _check_period(period)
    c = _as_series(close, "close")
    lower, middle, upper = (np.full(c.shape, np.nan) for _ in range(3))
    if c.size >= period:
        windows = np.lib.stride_tricks.sliding_window_view(c, period)
        mean = windows.mean(axis=1)
        width = std_devs * windows.std(axis=1)
        middle[period - 1 :] = mean
        lower[period - 1 :] = mean - width
        upper[period - 1 :] = mean + width
    return lower, middle, upper


def macd(
    close: npt.ArrayLike, fast: int, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(line, signal line, histogram)``: ``line = ema(fast) - ema(slow)`` (defined from
    ``i = slow - 1``), the signal line its EMA over ``signal`` values seeded with their mean (defined
    from ``i = slow + signal - 2``), the histogram their difference.

    TA-Lib seeds its fast EMA later (where the slow one starts), so its early values differ; both
    follow the same recursions afterwards and agree once the seeds have decayed."""
    for period in (fast, slow, signal):
        _check_period(period)
    c = _as_series(close, "close")
    line = ema(c, fast) - ema(c, slow)
    signal_line = np.full(c.shape, np.nan)
    start = max(fast, slow) - 1
    signal_line[start:] = ema(line[start:], signal)
    return line, signal_line, line - signal_line


# --- The same indicators over every fixed window of a series at once (for vectorised scans) ------
#
# A strategy computes a recursive indicator over the last ``window`` candles only, so its value at
# candle ``i`` is that of the window ending at ``i``, not of the whole history. The functions below
# run each window's own computation for every window at once: the recursion steps through the
# positions of a window, and each step is one numpy operation over all windows (column ``j`` of the
# windows is ``x[j : j + count]``). The results equal the per-window ones up to floating-point
# rounding (a seed's mean may be summed in another order), so a scan comparing them must allow a slack.


def _smooth_steps(
    columns: Iterable[FloatArray], period: int, alpha: float
) -> Iterator[tuple[FloatArray, FloatArray]]:
    """:func:`_smooth` of each window, position by position from ``period - 1`` on: pairs of (the
    input at that position, the smoothed value)."""
    steps = iter(columns)
    seed = list(itertools.islice(steps, period))
    if len(seed) < period:
        return
    value: FloatArray = np.mean(seed, axis=0)
    yield seed[-1], value
    keep = 1.0 - alpha
    for column in steps:
        value = alpha * column + keep * value
        yield column, value


def _last_two(steps: Iterable[tuple[FloatArray, FloatArray]]) -> tuple[FloatArray, ...]:
    """The last two (input, smoothed) pairs: ``(input before, input, value before, value)``."""
    (input_before, value_before), (last_input, value) = collections.deque(steps, maxlen=2)
    return input_before, last_input, value_before, value


def _aligned_to_candles(values: FloatArray, n: int) -> FloatArray:
    """Per-window values (the last window ends at candle ``n - 1``) as a per-candle array."""
    out = np.full(n, np.nan)
    out[n - values.size :] = values
    return out


def rsi_windows(close: npt.ArrayLike, period: int, window: int) -> tuple[FloatArray, FloatArray]:
    """For every candle ``i``: the last two values of ``rsi(close[i - window + 1 : i + 1], period)``
    (NaN where ``i < window - 1``). ``window`` must exceed ``period + 1``."""
    _check_period(period)
    if window < period + 2:
        raise ValueError(f"window={window!r} is invalid: allowed at least period + 2 ({period + 2})")
    c = _as_series(close, "close")
    count = c.size - window + 1
    if count < 1:
        return np.full(c.shape, np.nan), np.full(c.shape, np.nan)
    gains, losses = _gains_losses(np.diff(c))  # a window of `window` closes holds window - 1 changes
    alpha = 1.0 / period
    _, _, gain_before, gain = _last_two(
        _smooth_steps((gains[j : j + count] for j in range(window - 1)), period, alpha)
    )
    _, _, loss_before, loss = _last_two(
        _smooth_steps((losses[j : j + count] for j in range(window - 1)), period, alpha)
    )
    before, last = _rsi_from(gain_before, loss_before), _rsi_from(gain, loss)
    return _aligned_to_candles(before, c.size), _aligned_to_candles(last, c.size)


def macd_windows(
    close: npt.ArrayLike, fast: int, slow: int, signal: int, window: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """For every candle ``i``: the last two values of the line and of the signal line of
    ``macd(close[i - window + 1 : i + 1], ...)``, as ``(line before, line, signal before, signal)``
    (NaN where ``i < window - 1``). ``window`` must be at least ``max(fast, slow) + signal``."""
    for period in (fast, slow, signal):
        _check_period(period)
    longer = max(fast, slow)
    if window < longer + signal:
        raise ValueError(f"window={window!r} is invalid: allowed at least {longer + signal}")
    c = _as_series(close, "close")
    count = c.size - window + 1
    if count < 1:
        nan = np.full(c.shape, np.nan)
        return nan, nan.copy(), nan.copy(), nan.copy()
    fast_steps = _smooth_steps((c[j : j + count] for j in range(window)), fast, 2.0 / (fast + 1))
    slow_steps = _smooth_steps((c[j : j + count] for j in range(window)), slow, 2.0 / (slow + 1))
    # Both averages exist from position longer - 1 on: drop the shorter one's earlier steps.
    fast_from = itertools.islice(fast_steps, longer - fast, None)
    slow_from = itertools.islice(slow_steps, longer - slow, None)
    lines = (f - s for (_, f), (_, s) in zip(fast_from, slow_from, strict=True))
    found = _last_two(_smooth_steps(lines, signal, 2.0 / (signal + 1)))
    line_before, line, signal_before, signal_line = (_aligned_to_candles(v, c.size) for v in found)
    return line_before, line, signal_before, signal_line
