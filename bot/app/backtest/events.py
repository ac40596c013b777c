"""The backtest's event planner: which candle closes the engine must tick at, and what the rest add up to.

A daemon ticks the engine at every candle close. Most of those ticks do nothing: no strategy signal, no
resting order within reach, no timer, no breaker near. A backtest runs the *same* engine but ticks it
only at the closes where something can happen (the "wakes"), and skips the quiet closes between them:

- **certain wakes**, known in advance: the first and the last close; the first close of every UTC day
  (the breakers' day starts there); every close at which a strategy's vectorised scan
  (:class:`strategies.base.ScansCandidates`) says it might decide, given whether the symbol is held
  (which cannot change between ticks); a strategy without a scan makes every close a wake;
- **conditional wakes**, found after each tick from the engine's
  :class:`bot.core.wake_conditions.QuietWatch` by scanning the quiet stretch up to the next certain
  wake with numpy: the first candle that could fill or trigger a resting order (the paper broker's own
  test, :func:`bot.adapters.paper.fill_rules.could_act`), the first close at which stop maintenance
  would act, the first close at which equity reaches a breaker level, a timer falling due, or simply
  the next close when something is pending.

The one effect of a quiet close is an equity mark (positions are valued at every close). They are folded
in: a quiet stretch reports, as exact ``Decimal`` equity, its high if it reaches the peak so far and its
deepest fall if that is at least as deep as the deepest so far (a few points at most; one if nothing is
held), which the engine records as marks and snapshots. So the breakers see the same peak, and drawdowns
measured from the snapshots are the same, as with every close ticked.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from bot.adapters.market.offline import OfflineMarket
from bot.adapters.paper.broker import PaperBroker
from bot.app.backtest.curve import last_closes
from bot.core.wake_conditions import MARGIN, PriceWatch, QuietMark, QuietWatch
from bot.domain import decimal_from_float
from risk.breakers import loss_floor
from strategies.base import CandleColumns, ScansCandidates, Strategy

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DAY_MS = 86_400_000
Pair = tuple[str, str]  # (strategy name, symbol)


class EventPlanner:
    """Wakes and quiet stretches over one offline market's timeline (see the module docstring)."""

    def __init__(
        self,
        market: OfflineMarket,
        strategies: Sequence[tuple[Strategy, Sequence[str]]],
        broker: PaperBroker,
        timeline: IntArray,
    ) -> None:
        self._broker = broker
        self.timeline = np.asarray(timeline, dtype=np.int64)
        self._closes = {s: last_closes(market, s, self.timeline) for s in market.symbols()}
        days = self.timeline // DAY_MS
        day_starts = np.flatnonzero(np.diff(days, prepend=days[0] - 1))
        self._certain = np.append(day_starts, len(self.timeline) - 1).astype(np.int64)
        self._scanned: list[tuple[str, IntArray, IntArray]] = []  # (symbol, flat closes, holding closes)
        self._due: dict[int, list[Pair]] = {}
        self._every_close: list[Pair] = []
        for strategy, symbols in strategies:
            for symbol in symbols:
                pair = (strategy.name, symbol)
                if not isinstance(strategy, ScansCandidates):
                    self._every_close.append(pair)
                    continue
                flat, holding = self._candidate_closes(market, strategy, symbol)
                self._scanned.append((symbol, flat, holding))
                for index in np.union1d(flat, holding).tolist():
                    self._due.setdefault(index, []).append(pair)

    def _candidate_closes(
        self, market: OfflineMarket, strategy: ScansCandidates, symbol: str
    ) -> tuple[IntArray, IntArray]:
        """Timeline indices of the closes of the candles the strategy's scan names: flat, holding."""
        series = market.series(symbol)
        columns = CandleColumns(series.open, series.high, series.low, series.close, series.volume)
        found = strategy.scan_candidates(columns)

        def closes(candles: IntArray) -> IntArray:
            close_ms = series.close_time[np.asarray(candles, dtype=np.int64)]
            return np.asarray(np.searchsorted(self.timeline, close_ms), dtype=np.int64)

        return closes(found.flat), closes(found.holding)

    def due(self, index: int) -> set[Pair]:
        """The (strategy, symbol) pairs to run at close ``index``: every scanned one with a candidate
        there (flat or holding: a fill earlier in the tick may change which applies), and every
        unscanned one."""
        return {*self._due.get(index, ()), *self._every_close}

    def _next_certain(self, index: int, watch: QuietWatch) -> int:
        """The next close after ``index`` that is ticked whatever happens: a day's first, the last, or a
        strategy candidate for the position the symbol has now (it cannot change before a tick)."""
        nearest = int(self._certain[np.searchsorted(self._certain, index, side="right")])
        for symbol, flat, holding in self._scanned:
            candidates = holding if watch.holdings.get(symbol) else flat
            at = int(np.searchsorted(candidates, index, side="right"))
            if at < candidates.size:
                nearest = min(nearest, int(candidates[at]))
        return nearest

    def next_wake(
        self, index: int, watch: QuietWatch, has_unreported: bool
    ) -> tuple[int | None, list[QuietMark]]:
        """The next close to tick after ``index`` (``None``: the replay is over), and the marks of the
        quiet closes skipped before it."""
        last = len(self.timeline) - 1
        if index >= last:
            return None, []
        if watch.next_close or has_unreported or self._every_close:
            return index + 1, []
        bound = self._next_certain(index, watch)
        if watch.due_ms is not None:
            bound = min(bound, max(index + 1, int(np.searchsorted(self.timeline, watch.due_ms, side="left"))))
        start = index + 1
        if bound <= start:
            return bound, []
        wake = bound
        fill_ms = self._broker.next_fill_check_ms(int(self.timeline[bound - 1]))
        if fill_ms is not None:
            wake = min(wake, int(np.searchsorted(self.timeline, fill_ms, side="left")))
        for price in watch.prices:
            wake = min(wake, start + _first(self._price_hits(price, start, wake), wake - start))
        # Checked even when flat: the tick's own breaker check ran before its last fills (an exit's fees).
        if not any(watch.holdings.values()):  # flat: one equity all along, one mark says it all
            if _breaker_hits(np.array([float(watch.cash)]), watch)[0]:
                return start, []
            return wake, [self._mark(start, watch)]
        equity = self._equity(watch, start, wake)
        wake = min(wake, start + _first(_breaker_hits(equity, watch), wake - start))
        return wake, self._quiet_marks(equity[: wake - start], start, watch)

    def _price_hits(self, price: PriceWatch, start: int, stop: int) -> npt.NDArray[np.bool_]:
        closes = self._closes[price.symbol][start:stop]
        hits = np.zeros(closes.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            if price.at_or_below is not None:
                hits |= closes <= price.at_or_below
            if price.at_or_above is not None:
                hits |= closes >= price.at_or_above
        return hits

    def _equity(self, watch: QuietWatch, start: int, stop: int) -> FloatArray:
        """Equity at closes ``start`` to ``stop`` (floats; constant when nothing is held)."""
        equity = np.full(stop - start, float(watch.cash))
        for symbol, quantity in watch.holdings.items():
            if quantity:
                equity += float(quantity) * self._closes[symbol][start:stop]
        return equity

    def _quiet_marks(self, equity: FloatArray, start: int, watch: QuietWatch) -> list[QuietMark]:
        """The closes of a quiet stretch that can matter, as exact marks: its highest equity (and
        float-level ties of it) if it reaches the peak so far, and its deepest fall from the running peak
        (with the high it fell from) if that reaches the deepest so far. A mark that neither raises a
        peak nor deepens the drawdown changes no breaker and no drawdown measured from the snapshots."""
        if equity.size == 0:
            return []
        tie = 1e-12  # relative: what a float cannot order
        picks: set[int] = set()
        top = float(equity.max())
        if top >= min(float(watch.snapshot_peak), float(watch.equity.peak)) * (1 - tie):
            near = np.flatnonzero(equity >= top - abs(top) * tie)
            picks.update(near[np.unique(equity[near], return_index=True)[1]][:16].tolist())
        peaks = np.maximum.accumulate(np.maximum(equity, float(watch.snapshot_peak)))
        with np.errstate(divide="ignore", invalid="ignore"):
            depth = np.where(peaks > 0, (peaks - equity) / peaks, 0.0)
        trough = int(np.argmax(depth))
        if depth[trough] >= watch.deepest - tie:
            picks.update((trough, int(np.argmax(equity[: trough + 1]))))
        return [self._mark(start + i, watch) for i in sorted(picks)]

    def _mark(self, index: int, watch: QuietWatch) -> QuietMark:
        value = Decimal(0)
        for symbol, quantity in watch.holdings.items():
            if quantity:
                value += quantity * decimal_from_float(self._closes[symbol][index])
        return QuietMark(int(self.timeline[index]), watch.cash + value, watch.cash, value)


def _breaker_hits(equity: FloatArray, watch: QuietWatch) -> npt.NDArray[np.bool_]:
    level = watch.equity
    hits = np.zeros(equity.shape, dtype=bool)
    if level.drawdown is not None:
        peaks = np.maximum.accumulate(np.maximum(equity, float(level.peak)))
        hits |= equity <= loss_floor(peaks, level.drawdown) * (1 + MARGIN)
    if level.floor is not None:
        hits |= equity <= level.floor
    if level.ceiling is not None:
        hits |= equity >= level.ceiling
    return hits


def _first(hits: npt.NDArray[np.bool_], default: int) -> int:
    found = np.flatnonzero(hits)
    return int(found[0]) if found.size else default
