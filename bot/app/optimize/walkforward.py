"""Walk-forward windows: the candle timeline cut into K+1 consecutive stretches, K folds over them.

Fold ``i`` trains on window ``i`` and tests on window ``i + 1``. A trial has one parameter set, so the
backtest of window ``i + 1`` as fold ``i``'s test and as fold ``i + 1``'s training stretch is the same
run: each window is backtested once per trial, and

- in-sample score  = mean objective over windows 0 .. K-1 (every fold's training window),
- out-of-sample score = mean objective over windows 1 .. K (every fold's test window).

Each window is its own backtest (:func:`bot.app.backtest.data.restrict_market` on the same market): the
strategy's indicators warm up on the window's first candles, so no window sees another's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.data import DataError, restrict_market
from bot.domain import timeframe_ms
from bot.domain.clock import ms_to_datetime

MIN_WINDOW_CANDLES = 20


@dataclass(frozen=True, slots=True)
class Window:
    """Candles opening in ``[start_ms, end_ms)``; ``candles`` distinct open times of the timeline."""

    index: int
    start_ms: int
    end_ms: int
    candles: int

    @property
    def start(self) -> datetime:
        return ms_to_datetime(self.start_ms)

    @property
    def end(self) -> datetime:
        return ms_to_datetime(self.end_ms)


def split_windows(open_times_ms: np.ndarray, folds: int, step_ms: int) -> list[Window]:
    """``folds + 1`` consecutive, non-overlapping windows of (nearly) equal candle counts covering
    every open time of the timeline (the last window ends one timeframe after the last open)."""
    if folds < 1:
        raise DataError(f"--windows {folds}: at least 1 (one fold: train on a window, test on the next)")
    opens = np.unique(np.asarray(open_times_ms, dtype=np.int64))
    count = folds + 1
    if len(opens) < count * MIN_WINDOW_CANDLES:
        raise DataError(
            f"--windows {folds}: {len(opens)} candles make {count} windows of fewer than "
            f"{MIN_WINDOW_CANDLES} candles; use fewer windows or more data"
        )
    cuts = [round(j * len(opens) / count) for j in range(count + 1)]
    windows = []
    for j in range(count):
        first, stop = cuts[j], cuts[j + 1]
        end = int(opens[stop]) if stop < len(opens) else int(opens[-1]) + step_ms
        windows.append(Window(j, int(opens[first]), end, stop - first))
    return windows


def timeline_windows(market: OfflineMarket, folds: int) -> list[Window]:
    """The windows of a market's candle timeline (every symbol's open times together)."""
    step_ms = timeframe_ms(market.timeframe)
    return split_windows(market.timeline() - step_ms, folds, step_ms)


def window_markets(market: OfflineMarket, windows: list[Window]) -> list[OfflineMarket]:
    """The market restricted to each window (same market rules; every symbol must trade in each)."""
    return [restrict_market(market, window.start, window.end) for window in windows]
