"""How far the price went against and for a round trip while it was open: the lowest low and highest
high of its candles, recorded in the journal when it closes (the report derives MAE and MFE from them).

A report reads the audit DB only, and a daemon's candles are nowhere else once it has moved on, so the
engine records the range when the round trip closes. It is read from the market's candles over the
whole holding period at that moment, never gathered tick by tick: a backtest skips the quiet closes
(``bot.app.backtest.events``), and a range built from the ticks it saw would differ from the daemon's.

Counted are the candles that opened at or after the first fill and closed at or before the last: none
of their prices came before the entry or after the exit. Offline markets (sim, csv, backtests) read
their numpy series (the finest candles they have); a venue's market reads the finest timeframe a
strategy trades the symbol on. A venue that cannot answer leaves the round trip without a range (logged):
its report shows no MAE/MFE rather than a wrong one, and trading goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import numpy as np

from bot.core.ports import AuditStore, MarketData, SeriesSource
from bot.core.positions import Trade
from bot.domain import BrokerError, decimal_from_float, timeframe_ms
from bot.domain.clock import datetime_to_ms
from bot.domain.journal import PriceExcursion
from bot.logs import get_logger

log = get_logger(__name__)


def price_excursion(
    market: MarketData, symbol: str, timeframe: str, opened_at: datetime, closed_at: datetime
) -> PriceExcursion:
    """The range of ``symbol``'s candles inside ``[opened_at, closed_at]`` (see the module docstring)."""
    opened_ms, closed_ms = datetime_to_ms(opened_at), datetime_to_ms(closed_at)
    if isinstance(market, SeriesSource):
        series = market.series(symbol)
        first = int(np.searchsorted(series.open_time, opened_ms, side="left"))
        last_open = closed_ms - timeframe_ms(series.timeframe)  # a candle opening later closes too late
        end = int(np.searchsorted(series.open_time, last_open, side="right"))
        lows, highs, timeframe = series.low[first:end], series.high[first:end], series.timeframe
        count = max(0, end - first)
        low = float(lows.min()) if count else None
        high = float(highs.max()) if count else None
    else:
        step = timeframe_ms(timeframe)
        most = (closed_ms - opened_ms) // step + 1
        inside = [
            c for c in market.closed_candles(symbol, timeframe, until_ms=closed_ms, limit=most)
            if c.open_time >= opened_ms and c.open_time + step <= closed_ms
        ]  # fmt: skip
        count = len(inside)
        low = min((c.low for c in inside), default=None)
        high = max((c.high for c in inside), default=None)
    return PriceExcursion(
        symbol, opened_at, closed_at, timeframe, count,
        decimal_from_float(low) if low is not None else None,
        decimal_from_float(high) if high is not None else None,
    )  # fmt: skip


class ExcursionRecorder:
    """Writes each closed round trip's price range to the journal (one row per round trip)."""

    def __init__(
        self, market: MarketData, store: AuditStore, run_id: int, timeframes: Mapping[str, str]
    ) -> None:
        """``timeframes``: per symbol, the candles to read on a venue's market (the finest traded)."""
        self._market = market
        self._store = store
        self._run_id = run_id
        self._timeframes = timeframes

    def record(self, trades: Iterable[Trade]) -> None:
        for trade in trades:
            timeframe = self._timeframes.get(trade.symbol, "1m")
            try:
                excursion = price_excursion(self._market, trade.symbol, timeframe, trade.opened_at,
                                            trade.closed_at)  # fmt: skip
            except BrokerError as error:  # the venue's candles cannot be read now: no range, no harm
                log.warning("trade_excursion_unread", symbol=trade.symbol, error=str(error))
                continue
            self._store.record_excursion(self._run_id, excursion)
