"""The offline market: candles from a synthetic generator or a CSV replay, served like an exchange.

Implements :class:`bot.core.ports.MarketData` on venue ``"sim"``. Every look-up is a binary search on
the open times (``np.searchsorted`` on the series' own array: no per-candle Python objects, whose
memory a long history would multiply), so a tick's cost does not grow with the length of the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from bot.adapters.market.resample import resample
from bot.adapters.market.window import CandleCache, CandleWindow
from bot.domain import Candle, MarketRules, timeframe_ms
from bot.domain.series import CandleSeries, IntArray


class OfflineMarket:
    """Closed candles and market rules for several symbols on one timeframe.

    Time is whatever the caller says: :meth:`closed_candles` takes ``until_ms`` and returns only candles
    that had closed by then, so a simulated clock driven from :meth:`first_close_ms` to
    :meth:`last_close_ms` sees exactly what a live bot would have seen.
    """

    venue = "sim"

    def __init__(
        self,
        series: Mapping[str, CandleSeries],
        rules: Mapping[str, MarketRules],
        timeframe: str,
    ) -> None:
        self._step_ms = timeframe_ms(timeframe)
        if not series:
            raise ValueError("an offline market needs at least one symbol")
        for symbol, one in series.items():
            if one.symbol != symbol:
                raise ValueError(f"series keyed {symbol!r} holds candles of {one.symbol!r}")
            if one.timeframe != timeframe:
                raise ValueError(
                    f"{symbol}: series timeframe {one.timeframe!r} differs from the market's {timeframe!r}"
                )
        missing = sorted(set(series) - set(rules))
        extra = sorted(set(rules) - set(series))
        if missing or extra:
            raise ValueError(f"rules do not match the symbols: missing {missing}, without candles {extra}")
        self.timeframe = timeframe
        self._series = dict(series)
        self._rules = dict(rules)
        # Candle objects are built once, when first looked at (a daemon asks for the same recent window
        # at every tick); vectorised strategies read a window's numpy columns and build none.
        self._candles: dict[str, CandleCache] = {s: CandleCache(one) for s, one in self._series.items()}
        self._timeline: IntArray | None = None
        self._longer: dict[tuple[str, str], tuple[CandleSeries, CandleCache] | None] = {}

    # --- MarketData ---------------------------------------------------------------------------

    def symbols(self) -> Sequence[str]:
        return tuple(self._series)

    def rules(self, symbol: str) -> MarketRules:
        self._check_symbol(symbol)
        return self._rules[symbol]

    def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int) -> Sequence[Candle]:
        """Up to ``limit`` most recent candles with close time <= ``until_ms``, oldest first.

        A longer ``timeframe`` than the market's is built from its candles (:mod:`.resample`)."""
        self._check_symbol(symbol)
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        if timeframe != self.timeframe:
            return self._longer_candles(symbol, timeframe, until_ms, limit)
        opens = self._series[symbol].open_time
        stop = int(np.searchsorted(opens, until_ms - self._step_ms, side="right"))  # closed by until_ms
        return self._window(symbol, max(0, stop - limit), stop)

    def _longer_candles(self, symbol: str, timeframe: str, until_ms: int, limit: int) -> Sequence[Candle]:
        key = (symbol, timeframe)
        if key not in self._longer:
            longer = resample(self._series[symbol], timeframe)
            self._longer[key] = (longer, CandleCache(longer)) if longer is not None else None
        found = self._longer[key]
        if found is None:
            return ()
        series, cache = found
        step = timeframe_ms(timeframe)
        stop = int(np.searchsorted(series.open_time, until_ms - step, side="right"))
        return CandleWindow(series, cache, max(0, stop - limit), stop)

    def current_price(self, symbol: str, at_ms: int) -> float | None:
        """The open of the candle opening at ``at_ms``, or of the first one after it (a gap); ``None``
        once the data has ended."""
        self._check_symbol(symbol)
        opens = self._series[symbol].open_time
        index = int(np.searchsorted(opens, at_ms, side="left"))
        if index >= len(opens):
            return None
        return float(self._series[symbol].open[index])

    # --- for the engine and the paper broker ----------------------------------------------------

    def series(self, symbol: str) -> CandleSeries:
        self._check_symbol(symbol)
        return self._series[symbol]

    def candle_at(self, symbol: str, open_ms: int) -> Candle | None:
        """The candle opening exactly at ``open_ms``, or ``None`` (before/after the data, or a gap)."""
        self._check_symbol(symbol)
        opens = self._series[symbol].open_time
        index = int(np.searchsorted(opens, open_ms, side="left"))
        if index < len(opens) and opens[index] == open_ms:
            return self._window(symbol, index, index + 1)[0]
        return None

    def first_close_ms(self) -> int:
        """The earliest candle close over all symbols: when a simulated clock should start."""
        return min(int(s.open_time[0]) for s in self._series.values()) + self._step_ms

    def last_close_ms(self) -> int:
        """The latest candle close over all symbols: when a simulated clock should stop."""
        return max(int(s.open_time[-1]) for s in self._series.values()) + self._step_ms

    def timeline(self) -> IntArray:
        """Every distinct candle close time over all symbols, ascending (gaps in every symbol skipped)."""
        if self._timeline is None:
            opens = [s.open_time for s in self._series.values()]
            if len(opens) == 1:
                merged = opens[0].copy()  # already strictly increasing
            else:
                merged = np.sort(np.concatenate(opens), kind="stable")
                merged = merged[np.diff(merged, prepend=merged[0] - 1) != 0]
            merged += self._step_ms
            merged.flags.writeable = False
            self._timeline = merged
        return self._timeline

    def _window(self, symbol: str, start: int, stop: int) -> CandleWindow:
        """Candles ``start`` to ``stop`` (exclusive), built when looked at and cached."""
        return CandleWindow(self._series[symbol], self._candles[symbol], start, stop)

    def _check_symbol(self, symbol: str) -> None:
        if symbol not in self._series:
            raise ValueError(f"unknown symbol {symbol!r}; this market has: {', '.join(self._series)}")
