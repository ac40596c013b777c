"""Where two moving averages may cross, over a whole price history at once (vectorised).

:class:`strategies.ma_crossover.MaCrossover` decides on a fixed window of the last ``window`` closes:
it computes both averages over that window and compares their last two values. Scanning a long history
window by window would cost ``window`` operations per candle; here both averages are computed once over
the whole series instead, and every candle where the window's comparison *could* come out as a cross is
kept. The two computations differ only by

- floating-point rounding (the same sums in a different order), bounded by ``slack``; and
- for an EMA, its seed: the window's EMA starts from the SMA of the window's first ``period`` closes,
  the series' EMA from its own history. Both then follow the same recursion, so after ``m`` steps they
  differ by exactly ``(1 - alpha) ** m`` times the difference of their starting values, which is
  computed here for every window.

A candle is a candidate when the cross is possible for some values within those bounds, so the result is
a superset of the candles where the strategy crosses (the property tests check it never misses one).
Crosses up and down are kept apart: the strategy enters only on the first and exits only on the second.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from strategies.base import IntArray
from strategies.indicators import FloatArray, ema, sma

RELATIVE_SLACK = 1e-9  # of the largest price: far above any rounding difference of the two sums


def average_with_error(
    closes: FloatArray, period: int, kind: Literal["ema", "sma"], window: int, slack: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The average over the whole series, and bounds on how far a ``window``-candle computation ending
    at each candle may be from it: for the window's last value, and for its second-to-last value."""
    if kind == "sma":
        full = sma(closes, period)
        bound = np.full(closes.shape, slack)
        return full, bound, bound
    full = ema(closes, period)
    seed = sma(closes, period)
    steps = window - period  # recursion steps from the window's seed to its last value
    if steps < 1:
        raise ValueError(f"an EMA window of {window} candles needs more than its period {period}")
    # The window ending at candle i is seeded at candle i - steps with the SMA of the `period` closes
    # ending there; before a whole window exists nothing is known (an infinite bound).
    gap = np.full(closes.shape, np.inf)
    gap[steps:] = np.nan_to_num(np.abs(seed[:-steps] - full[:-steps]), nan=np.inf)
    keep = 1.0 - 2.0 / (period + 1)
    last = gap * keep**steps + slack
    before_last = gap * keep ** (steps - 1) + slack  # the window's second-to-last value, at candle i - 1
    return full, last, before_last


def crossing_candidates(
    closes: FloatArray,
    *,
    fast: int,
    slow: int,
    kind: Literal["ema", "sma"],
    window: int,
    first: int,
) -> tuple[IntArray, IntArray]:
    """Indices ``i >= first`` where the averages computed over the ``window`` closes ending at ``i`` may
    cross between candle ``i - 1`` and candle ``i``: upwards (fast above slow), and downwards."""
    n = closes.size
    if n < 2 or first >= n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    slack = RELATIVE_SLACK * float(np.max(np.abs(closes)))
    fast_full, fast_last, fast_prev = average_with_error(closes, fast, kind, window, slack)
    slow_full, slow_last, slow_prev = average_with_error(closes, slow, kind, window, slack)
    diff = fast_full - slow_full
    bound_last = fast_last + slow_last
    bound_prev = fast_prev + slow_prev
    d1 = diff[1:]  # the window's last value, at candle i
    d0 = diff[:-1]  # its second-to-last value, at candle i - 1
    b1 = bound_last[1:]
    b0 = bound_prev[1:]
    with np.errstate(invalid="ignore"):  # NaN before the averages exist compares False
        up = (d0 <= b0) & (d1 > -b1)  # window's d0 <= 0 < d1 is possible
        down = (d0 >= -b0) & (d1 < b1)  # window's d0 >= 0 > d1 is possible
    return _from(up, first), _from(down, first)


def _from(possible_after_first_candle: npt.NDArray[np.bool_], first: int) -> IntArray:
    """Candle indices (the mask starts at candle 1) from ``first`` on."""
    indices = np.flatnonzero(possible_after_first_candle) + 1
    return np.asarray(indices[indices >= first], dtype=np.int64)
