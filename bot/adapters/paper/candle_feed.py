"""Which closed candles the paper broker matches its resting orders against.

- :class:`EveryCandle` (any market): every candle that closed since the last match, as
  :meth:`bot.core.ports.MarketData.closed_candles` gives them.
- :class:`ActiveCandles` (markets with numpy history, :class:`bot.core.ports.SeriesSource`: the offline sim
  and CSV markets): only the candles on which some resting order *could* fill or trigger, found with
  :func:`bot.adapters.paper.fill_rules.could_act` over the price columns. A candle none of them could act on
  changes nothing in :func:`~bot.adapters.paper.fill_rules.match_candle`, so skipping it is exact; it is what
  keeps a backtest from building a Python object per candle.

Both yield candles lazily, oldest first: the broker matches each before the next is looked for, since
a fill or a triggered stop-limit changes what is resting.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from bot.adapters.paper.fill_rules import could_act
from bot.adapters.paper.paper_order import PaperOrder
from bot.core.ports import MarketData, SeriesSource
from bot.domain import Candle, timeframe_ms
from bot.domain.series import CandleSeries

FIRST_CHUNK = 32  # candles looked at first; each further look takes four times as many


class EveryCandle:
    def __init__(self, market: MarketData, timeframe: str) -> None:
        self._market = market
        self._timeframe = timeframe
        self._step_ms = timeframe_ms(timeframe)

    def candles(
        self, symbol: str, start_ms: int, now_ms: int, resting: Sequence[PaperOrder]
    ) -> Iterator[Candle]:
        """Candles opening at or after ``start_ms`` and closed by ``now_ms``."""
        most = (now_ms - start_ms) // self._step_ms
        if most <= 0:
            return
        for candle in self._market.closed_candles(symbol, self._timeframe, until_ms=now_ms, limit=most):
            if candle.open_time >= start_ms:
                yield candle

    def skipped_through(self, symbol: str, now_ms: int) -> int | None:
        """Nothing is skipped: every candle was yielded."""
        return None


class ActiveCandles:
    def __init__(self, market: SeriesSource, timeframe: str) -> None:
        self._market = market
        self._step_ms = timeframe_ms(timeframe)

    def candles(
        self, symbol: str, start_ms: int, now_ms: int, resting: Sequence[PaperOrder]
    ) -> Iterator[Candle]:
        """The candles opening at or after ``start_ms``, closed by ``now_ms``, that a resting order could
        fill on (re-searched after each one, as matching changes ``resting``)."""
        series = self._market.series(symbol)
        index = _first_opening_at(series, start_ms)
        stop = self._closed_by(series, now_ms)
        while resting and index < stop:
            found = first_active(resting, series, index, stop)
            if found is None:
                return
            yield series.candle(found)
            index = found + 1

    def skipped_through(self, symbol: str, now_ms: int) -> int | None:
        """The close time of the last candle closed by ``now_ms`` (every one up to it was looked at)."""
        series = self._market.series(symbol)
        closed = self._closed_by(series, now_ms)
        return int(series.open_time[closed - 1]) + self._step_ms if closed else None

    def first_active_close(
        self, symbol: str, resting: Sequence[PaperOrder], start_ms: int, until_ms: int
    ) -> int | None:
        """The close time of the first candle opening at or after ``start_ms`` and closing by
        ``until_ms`` that could fill or trigger one of ``resting``; ``None`` if there is none."""
        if not resting:
            return None
        series = self._market.series(symbol)
        found = first_active(
            resting, series, _first_opening_at(series, start_ms), self._closed_by(series, until_ms)
        )
        return None if found is None else int(series.open_time[found]) + self._step_ms

    def _closed_by(self, series: CandleSeries, now_ms: int) -> int:
        """How many of the series' candles have closed by ``now_ms``."""
        return int(np.searchsorted(series.open_time, now_ms - self._step_ms, side="right"))


def _first_opening_at(series: CandleSeries, start_ms: int) -> int:
    return int(np.searchsorted(series.open_time, start_ms, side="left"))


def first_active(orders: Sequence[PaperOrder], series: CandleSeries, start: int, stop: int) -> int | None:
    """The first candle index in ``[start, stop)`` that could fill or trigger one of ``orders`` (each
    only from the first candle opening at or after its placement), or ``None``."""
    best = stop
    for order in orders:
        begin = max(start, _first_opening_at(series, order.placed_ms))
        found = _first_true(order, series, begin, best)
        if found is not None:
            best = found
    return best if best < stop else None


def _first_true(order: PaperOrder, series: CandleSeries, start: int, stop: int) -> int | None:
    """Search ``[start, stop)`` in growing chunks, so the cost is about the distance to the answer."""
    size = FIRST_CHUNK
    while start < stop:
        end = min(stop, start + size)
        hits = np.flatnonzero(could_act(order, series.low[start:end], series.high[start:end]))
        if hits.size:
            return start + int(hits[0])
        start = end
        size *= 4
    return None
