"""Longer candles from shorter ones, for an offline market asked for a second timeframe.

A strategy may read a longer timeframe than it trades (a 1h trend filter over 5m entries). Offline, the
market builds those candles from its own: a ``1h`` candle is the ``5m`` candles opening inside its hour
(first open, highest high, lowest low, last close, summed volume), aligned to UTC like an exchange's.
A bucket that starts before the data does is dropped (its open would be wrong); one with missing candles
inside is built from those present, as the venue's own gaps would leave it. Only buckets that have closed
are ever served (:meth:`bot.adapters.market.offline.OfflineMarket.closed_candles`), so a longer candle is
seen only once every shorter candle in it has closed.
"""

from __future__ import annotations

import numpy as np

from bot.domain import timeframe_ms
from bot.domain.series import CandleSeries


def resample(series: CandleSeries, timeframe: str) -> CandleSeries | None:
    """``series`` on the longer ``timeframe`` (``None`` if no whole bucket is covered).

    ValueError if ``timeframe`` is not a longer whole multiple of the series' timeframe.
    """
    step = timeframe_ms(timeframe)
    base = timeframe_ms(series.timeframe)
    if step <= base or step % base:
        raise ValueError(
            f"timeframe {timeframe!r} cannot be built from {series.timeframe!r} candles offline; "
            f"allowed: a longer whole multiple of {series.timeframe}"
        )
    buckets = series.open_time // step
    first = int(buckets[0]) if int(series.open_time[0]) % step == 0 else int(buckets[0]) + 1
    kept = buckets >= first
    if not kept.any():
        return None
    buckets = buckets[kept]
    starts = np.flatnonzero(np.diff(buckets, prepend=buckets[0] - 1))
    ends = np.append(starts[1:], buckets.size) - 1
    return CandleSeries(
        symbol=series.symbol,
        timeframe=timeframe,
        open_time=(buckets[starts] * step).astype(np.int64),
        open=series.open[kept][starts].copy(),
        high=np.maximum.reduceat(series.high[kept], starts),
        low=np.minimum.reduceat(series.low[kept], starts),
        close=series.close[kept][ends].copy(),
        volume=np.add.reduceat(series.volume[kept], starts),
    )
