"""The one-day returns the portfolio-risk guards judge by, from the market port's closed candles
(:class:`~bot.domain.risk.ReturnHistory`; the guards: :mod:`risk.portfolio_guards`).

Decisions written down here:

- **Only candles closed by the decision's close** (the decision time floored to the spec's
  timeframe, the market's): ``closed_candles(..., until_ms=close)``. Nothing after it is ever read,
  so the daemon and a backtest see the same returns (DESIGN invariant 9).
- **The grid**: the closes of the ``lookback / timeframe + candles per day`` candles ending at the
  decision's close, so the lookback holds ``lookback / timeframe`` one-day returns
  (:func:`risk.var.one_day_returns`). A missing candle (a venue gap) carries the last close forward;
  before a symbol's first candle there is no close, and no return.
- **Enough history**: a symbol counts once it has half the lookback's returns (``needed``); fewer,
  and it is ``short`` (the CVaR guard then denies, the cluster guard makes it its own cluster).
  The symbols that count are aligned on the returns they all have (the shortest of them).
- **Cheap**: each symbol's closes are kept between decisions and only the candles since are read
  (one look-up per symbol per close, not a month of candles: live, a month of 5m candles is nine
  requests); the result is kept per close and set of symbols. A read going back in time, or further
  back than kept, reads the whole window again: the same candles either way.
- **A read that fails** gives a history with the error as its note and no returns (not kept): the
  CVaR guard denies the entry, exits never see it, and the tick goes on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from bot.core.ports import MarketData
from bot.domain import timeframe_ms
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from bot.domain.regime import window_text
from bot.domain.risk import ReturnHistory, ReturnsSpec
from bot.logs import get_logger
from risk.var import FloatArray, RiskFigures, VarCvar, candles_per_day, one_day_returns

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PortfolioRisk:
    """What the status shows: the held portfolio's 1-day figures at the latest entry decided."""

    at: datetime  # the candle close the returns end at
    lookback: timedelta
    figures: RiskFigures | None  # None when something held has too little history (see ``note``)
    note: str = ""

    def describe(self) -> str:
        """``1-day VaR / CVaR of equity: historical 95 % 1.52 % / 1.72 %, 99 % ...; parametric ...
        (576 one-day returns over 4d)``, or why there are no figures."""
        if self.figures is None:
            return f"1-day VaR / CVaR not measured: {self.note}"
        f = self.figures

        def pair(name: str, one: VarCvar) -> str:
            return f"{name} {one.var * 100:.2f} % / {one.cvar * 100:.2f} %"

        return (
            f"1-day VaR / CVaR of equity: historical {pair('95 %', f.historical_95)}, "
            f"{pair('99 %', f.historical_99)}; parametric {pair('95 %', f.parametric_95)}, "
            f"{pair('99 %', f.parametric_99)} ({f.samples} one-day returns over {window_text(self.lookback)})"
        )


@dataclass(slots=True)
class _Closes:
    """One symbol's closes kept between decisions: open times and closes, oldest first."""

    opens: npt.NDArray[np.int64]
    closes: FloatArray
    from_ms: int  # the earliest open time read for (older candles were not asked for)
    next_ms: int  # the open time after the newest candle held (or ``from_ms`` if none)


class ReturnsWatch:
    """The aligned one-day returns of a set of symbols as of each decision's close."""

    def __init__(self, market: MarketData, spec: ReturnsSpec) -> None:
        self._market = market
        self.spec = spec
        self._step = timeframe_ms(spec.timeframe)
        self._per_day = candles_per_day(self._step)
        self._count = max(1, int(spec.lookback.total_seconds() * 1000) // self._step)  # one a close, >= 1
        self.needed = math.ceil(self._count / 2)
        self._kept: dict[str, _Closes] = {}
        self._cached: dict[frozenset[str], ReturnHistory] = {}
        self._cached_at: int | None = None
        self.reads = 0  # look-ups of the market (tests check the reads stay incremental)

    def at(self, now: datetime, symbols: Iterable[str]) -> ReturnHistory:
        """The returns of ``symbols`` as of the last close of the timeframe at or before ``now``."""
        close_ms = datetime_to_ms(now) // self._step * self._step
        wanted = frozenset(symbols)
        if self._cached_at != close_ms:
            self._cached, self._cached_at = {}, close_ms
        found = self._cached.get(wanted)
        if found is None:
            try:
                found = self._cached[wanted] = self._compute(close_ms, sorted(wanted))
            except Exception as exc:  # a failed read must not end the tick: the CVaR guard denies instead
                log.warning("returns_unavailable", error=f"{type(exc).__name__}: {exc}")
                note = f"returns not read ({type(exc).__name__}: {exc})"
                return ReturnHistory(ms_to_datetime(close_ms), self.spec.lookback, {}, needed=self.needed,
                                     note=note)  # fmt: skip
        return found

    def _compute(self, close_ms: int, symbols: list[str]) -> ReturnHistory:
        size = self._count + self._per_day
        first_open = close_ms - size * self._step
        series: dict[str, FloatArray] = {}
        short: dict[str, int] = {}
        for symbol in symbols:
            returns = one_day_returns(self._grid(symbol, first_open, close_ms, size), self._per_day)
            have = int(np.count_nonzero(~np.isnan(returns)))
            if have >= self.needed:
                series[symbol] = returns
            else:
                short[symbol] = have
        common = min((int(np.count_nonzero(~np.isnan(r))) for r in series.values()), default=0)
        aligned = {s: tuple(r[r.size - common :].tolist()) for s, r in series.items()}
        return ReturnHistory(
            as_of=ms_to_datetime(close_ms),
            lookback=self.spec.lookback,
            returns=aligned,
            short=short,
            needed=self.needed,
        )

    def _grid(self, symbol: str, first_open: int, close_ms: int, size: int) -> FloatArray:
        """``symbol``'s closes on the grid of ``size`` candles opening from ``first_open``: a gap carries
        the last close forward; NaN before the first candle."""
        kept = self._read(symbol, first_open, close_ms)
        grid = np.full(size, np.nan)
        index = (kept.opens - first_open) // self._step
        grid[index] = kept.closes
        filled = np.where(np.isnan(grid), -1, np.arange(size))
        last = np.maximum.accumulate(filled)
        closes: FloatArray = np.where(last >= 0, grid[np.maximum(last, 0)], np.nan)
        return closes

    def _read(self, symbol: str, first_open: int, close_ms: int) -> _Closes:
        """The closes of candles opening from ``first_open`` and closed by ``close_ms``, reading only
        what is not kept yet."""
        kept = self._kept.get(symbol)
        if kept is None or kept.from_ms > first_open or kept.next_ms > close_ms:
            kept = _Closes(np.empty(0, dtype=np.int64), np.empty(0), first_open, first_open)
        missing = (close_ms - kept.next_ms) // self._step
        if missing > 0:
            self.reads += 1
            timeframe = self.spec.timeframe
            candles = self._market.closed_candles(symbol, timeframe, until_ms=close_ms, limit=missing)
            new = [c for c in candles if c.open_time >= kept.next_ms]
            opens = np.array([c.open_time for c in new], dtype=np.int64)
            closes = np.array([c.close for c in new], dtype=np.float64)
            kept.opens = np.concatenate([kept.opens, opens])
            kept.closes = np.concatenate([kept.closes, closes])
            if new:
                kept.next_ms = new[-1].open_time + self._step
        recent = kept.opens >= first_open
        kept.opens, kept.closes, kept.from_ms = kept.opens[recent], kept.closes[recent], first_open
        self._kept[symbol] = kept
        return kept
