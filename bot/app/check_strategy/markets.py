"""Offline markets holding less than the data: cut at both ends, or with the future hidden.

Both hold copies of the candles they show: a numpy slice would keep the whole series reachable through
its ``.base``, and a strategy peeking there would go unnoticed.
"""

from __future__ import annotations

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.domain.series import CandleSeries, FloatArray


def sliced_market(market: OfflineMarket, symbol: str, start: int, stop: int) -> OfflineMarket:
    """A market of ``symbol`` alone holding only its candles ``start`` to ``stop`` (exclusive), same rules."""
    one = market.series(symbol)
    part = slice(start, stop)
    series = CandleSeries(
        symbol,
        one.timeframe,
        one.open_time[part].copy(),
        one.open[part].copy(),
        one.high[part].copy(),
        one.low[part].copy(),
        one.close[part].copy(),
        one.volume[part].copy(),
    )
    return OfflineMarket({symbol: series}, {symbol: market.rules(symbol)}, market.timeframe)


class HiddenFuture:
    """A market of ``symbol`` alone, as long as the data, whose prices and volumes are NaN until
    :meth:`reveal` shows them candle by candle: at each close it holds what a live bot would have had.

    The open times are all there (they are known in advance); the market's candle cache only ever builds
    candles that were looked at, so one looked at before it was revealed stays NaN (only a peek does it).
    """

    def __init__(self, market: OfflineMarket, symbol: str) -> None:
        self._whole = market.series(symbol)
        size = len(self._whole)
        self._columns: tuple[FloatArray, ...] = tuple(np.full(size, np.nan) for _ in range(5))
        series = CandleSeries(symbol, self._whole.timeframe, self._whole.open_time.copy(), *self._columns)
        self.market = OfflineMarket({symbol: series}, {symbol: market.rules(symbol)}, market.timeframe)
        self._shown = 0  # candles revealed so far

    def reveal(self, index: int) -> None:
        """Show every candle up to ``index`` (inclusive)."""
        if index < self._shown:
            return
        part = slice(self._shown, index + 1)
        whole = self._whole
        for mine, theirs in zip(self._columns, (whole.open, whole.high, whole.low, whole.close, whole.volume),
                                strict=True):  # fmt: skip
            mine.flags.writeable = True  # the series froze them; this object owns them
            mine[part] = theirs[part]
            mine.flags.writeable = False
        self._shown = index + 1
