"""Offline markets holding less than the data: cut at a time, or with the future hidden.

Every symbol of the market is kept (a strategy may read its basket through ``view.closed``), each cut
at the same moment. The candles shown are copies: a numpy slice would keep the whole series reachable
through its ``.base``, and a strategy peeking there would go unnoticed.
"""

from __future__ import annotations

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.domain import timeframe_ms
from bot.domain.series import CandleSeries, FloatArray

NO_LIMIT = np.iinfo(np.int64).max


def _copy(series: CandleSeries, part: slice) -> CandleSeries:
    return CandleSeries(
        series.symbol,
        series.timeframe,
        series.open_time[part].copy(),
        series.open[part].copy(),
        series.high[part].copy(),
        series.low[part].copy(),
        series.close[part].copy(),
        series.volume[part].copy(),
    )


def sliced_market(
    market: OfflineMarket, *, start_ms: int = -NO_LIMIT, stop_ms: int = NO_LIMIT
) -> OfflineMarket:
    """The market with only the candles opening in ``[start_ms, stop_ms)``, same rules; a symbol left
    without candles is left out (``ValueError`` if every one is)."""
    kept: dict[str, CandleSeries] = {}
    for symbol in market.symbols():
        one = market.series(symbol)
        start, stop = np.searchsorted(one.open_time, [start_ms, stop_ms], side="left").tolist()
        if stop > start:
            kept[symbol] = _copy(one, slice(start, stop))
    return OfflineMarket(kept, {s: market.rules(s) for s in kept}, market.timeframe)


def cut_after(market: OfflineMarket, symbol: str, index: int) -> OfflineMarket:
    """The market as it stood when candle ``index`` of ``symbol`` closed: nothing opening after it."""
    return sliced_market(market, stop_ms=int(market.series(symbol).open_time[index]) + 1)


def start_at(market: OfflineMarket, symbol: str, index: int) -> OfflineMarket:
    """The market from candle ``index`` of ``symbol`` on: nothing opening before it."""
    return sliced_market(market, start_ms=int(market.series(symbol).open_time[index]))


class HiddenFuture:
    """The market's symbols, as long as the data, with prices and volumes NaN until :meth:`reveal` shows
    the candles closed by a given moment: at each close it holds what a live bot would have had.

    The open times are all there (they are known in advance). :meth:`market` is a fresh market over
    the same arrays each time, so nothing it derived earlier (built candles, longer timeframes) is stale.
    """

    def __init__(self, market: OfflineMarket) -> None:
        self._whole = {symbol: market.series(symbol) for symbol in market.symbols()}
        self._rules = {symbol: market.rules(symbol) for symbol in market.symbols()}
        self._timeframe = market.timeframe
        self._step_ms = timeframe_ms(market.timeframe)
        self._columns: dict[str, tuple[FloatArray, ...]] = {}
        self._hidden: dict[str, CandleSeries] = {}
        for symbol, whole in self._whole.items():
            columns = tuple(np.full(len(whole), np.nan) for _ in range(5))
            self._columns[symbol] = columns
            self._hidden[symbol] = CandleSeries(symbol, whole.timeframe, whole.open_time.copy(), *columns)
        self._shown = dict.fromkeys(self._whole, 0)  # candles revealed so far, by symbol

    def reveal(self, close_ms: int) -> None:
        """Show every candle closed by ``close_ms``."""
        for symbol, whole in self._whole.items():
            shown = self._shown[symbol]
            closed = int(np.searchsorted(whole.open_time, close_ms - self._step_ms, side="right"))
            if closed <= shown:
                continue
            part = slice(shown, closed)
            sources = (whole.open, whole.high, whole.low, whole.close, whole.volume)
            for mine, theirs in zip(self._columns[symbol], sources, strict=True):
                mine.flags.writeable = True  # the series froze them; this object owns them
                mine[part] = theirs[part]
                mine.flags.writeable = False
            self._shown[symbol] = closed

    def market(self) -> OfflineMarket:
        return OfflineMarket(self._hidden, self._rules, self._timeframe)

    def at(self, close_ms: int) -> OfflineMarket:
        """The market as a live bot had it at ``close_ms``."""
        self.reveal(close_ms)
        return self.market()
