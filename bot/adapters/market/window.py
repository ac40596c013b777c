"""A window of an offline market's candles that builds :class:`~bot.domain.Candle` objects only when
one is looked at, and hands vectorised code its numpy columns without building any.

What :meth:`bot.adapters.market.offline.OfflineMarket.closed_candles` returns. A strategy that computes its
indicators from columns (:func:`strategies.base.candle_columns`) reads the window as zero-copy slices
of the market's arrays; one that walks the candles gets the same ``Candle`` objects it always did,
built once per candle and shared through the market's cache (:class:`CandleCache`: bounded, since a
replay or a daemon only ever looks back a strategy's warm-up; the oldest built candles are dropped).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import overload

from bot.domain import Candle
from bot.domain.series import CandleSeries
from strategies.base import CandleColumns


class CandleCache:
    """The ``Candle`` objects built from one series, by index: each built once while it is looked at,
    at most ``limit`` held (then the oldest built half is dropped; a dropped one is rebuilt, equal, if
    it is looked at again). Unbounded, a replay grew by every candle it passed: 36 MB per 100k ticks."""

    __slots__ = ("_held", "_limit", "_series")

    def __init__(self, series: CandleSeries, limit: int = 8192) -> None:
        self._series = series
        self._held: dict[int, Candle] = {}
        self._limit = limit

    def __len__(self) -> int:
        return len(self._held)

    def candle(self, at: int) -> Candle:
        candle = self._held.get(at)
        if candle is None:
            candle = self._held[at] = self._series.candle(at)
            if len(self._held) > self._limit:
                for oldest in list(islice(self._held, len(self._held) - self._limit // 2)):
                    del self._held[oldest]
        return candle


class CandleWindow(Sequence[Candle]):
    __slots__ = ("_cache", "_series", "_start", "_stop")

    def __init__(self, series: CandleSeries, cache: CandleCache, start: int, stop: int) -> None:
        self._series = series
        self._cache = cache  # the market's per-candle cache, shared by every window
        self._start = start
        self._stop = max(start, stop)

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> Candle: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Candle]: ...
    def __getitem__(self, index: int | slice) -> Candle | Sequence[Candle]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return CandleWindow(self._series, self._cache, self._start + start, self._start + stop)
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(f"candle {index} of a window of {len(self)}")
        return self._cache.candle(self._start + position)

    def __iter__(self) -> Iterator[Candle]:
        for position in range(len(self)):
            yield self[position]

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence (list, tuple, window) of the same candles in the same order."""
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable too

    def columns(self) -> CandleColumns:
        """The window's open, high, low, close and volume as read-only numpy slices (no copy)."""
        window = slice(self._start, self._stop)
        series = self._series
        return CandleColumns(
            series.open[window],
            series.high[window],
            series.low[window],
            series.close[window],
            series.volume[window],
        )

    def __repr__(self) -> str:
        return f"CandleWindow({self._series.symbol}, candles {self._start}..{self._stop - 1})"
