"""A strategy's decisions at candle closes, asked the way the engine asks (:mod:`bot.core.engine`).

At a close the engine shows the strategy a :class:`~strategies.base.StrategyView` of the last ``warmup``
closed candles, as :meth:`OfflineMarket.closed_candles` returns them (a window over the whole series,
so a strategy that peeks past its view can). Here each close is asked twice, in this order: without a
position, then holding a synthetic one bought at that close. What comes back is kept as text (kind,
side, order type, prices, stop, quantity, reason), so two runs compare with ``==``; a raised exception
is an outcome too (the daemon's tick would fail there).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.core.strategy_guard import where_raised
from bot.domain import Candle, MarketRules, OrderIntent, Position, timeframe_ms
from bot.domain.clock import ms_to_datetime
from bot.domain.series import CandleSeries
from strategies.base import Candidates, CandleColumns, ScansCandidates, Strategy, StrategyView

StrategyFactory = Callable[[], Strategy]  # a fresh instance per run: a stateful one starts clean
ERROR_TEXT_LIMIT = 160
POSITION_NOTIONALS = 100  # the synthetic position is worth this many minimum orders
STOP_BELOW = Decimal("0.95")  # its stop: 5 % under the entry (every position has one, DESIGN inv. 3)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one ``on_candles`` call returned: intents described, or the exception it raised (compared
    by its type: a message may name an index that differs with the data's length)."""

    intents: tuple[str, ...] = ()
    error: str | None = None  # the exception's type
    message: str = field(default="", compare=False)

    @property
    def acts(self) -> bool:
        return bool(self.intents)

    def __str__(self) -> str:
        if self.error is not None:
            return f"raised {self.error}: {self.message}" if self.message else f"raised {self.error}"
        return "; ".join(self.intents) if self.intents else "nothing"


NOTHING = Outcome()


@dataclass(frozen=True, slots=True)
class Decision:
    """The two outcomes at one candle close: flat (no position), then holding."""

    flat: Outcome = NOTHING
    holding: Outcome = NOTHING

    @property
    def notable(self) -> bool:
        """Worth keeping: an intent or an exception (most closes return nothing)."""
        return self != NO_DECISION

    def differing(self, other: Decision) -> list[tuple[str, Outcome, Outcome]]:
        """(state, this outcome, the other's) where they differ: state ``flat`` or ``holding``."""
        pairs = (("flat", self.flat, other.flat), ("holding", self.holding, other.holding))
        return [(state, mine, theirs) for state, mine, theirs in pairs if mine != theirs]

    def differences(self, other: Decision, this: str, that: str) -> str | None:
        """``None`` if equal, else what differs: ``flat: <this>: X, <that>: Y``."""
        parts = [
            f"{state}: {this}: {mine}, {that}: {theirs}" for state, mine, theirs in self.differing(other)
        ]
        return "; ".join(parts) or None


NO_DECISION = Decision()


@dataclass(slots=True)
class Decisions:
    """A run over consecutive closes of one symbol: the first candle asked (its open time) and every
    notable decision by candle open time (ms); a close missing from ``notable`` returned nothing."""

    first_open_ms: int
    notable: dict[int, Decision] = field(default_factory=dict)

    def at(self, open_ms: int) -> Decision:
        return self.notable.get(open_ms, NO_DECISION)


def describe_intent(intent: OrderIntent) -> str:
    """``entry buy limit @0.05123 stop 0.05011 (ma_cross_up)``: every field a decision is compared on."""
    text = f"{intent.kind} {intent.side} {intent.order_type}"
    if intent.limit_price is not None:
        text += f" @{intent.limit_price}"
    if intent.limit_price != intent.reference_price:
        text += f" ref {intent.reference_price}"
    if intent.stop_price is not None:
        text += f" stop {intent.stop_price}"
    if intent.quantity is not None:
        text += f" qty {intent.quantity}"
    return f"{text} ({intent.reason})"


def synthetic_position(candle: Candle, rules: MarketRules, close_ms: int) -> Position:
    """A position in the candle's symbol bought at its close, just now, with a protective stop."""
    price = rules.price_from_float(candle.close, is_buy=True)
    quantity = rules.step_size
    if price > 0:
        quantity = max(quantity, rules.round_quantity(rules.min_notional * POSITION_NOTIONALS / price))
    quantity = max(quantity, rules.min_quantity)
    return Position(
        symbol=candle.symbol,
        quantity=quantity,
        average_price=price,
        opened_at=ms_to_datetime(close_ms),
        stop_price=rules.round_price_down(price * STOP_BELOW),
    )


def _call(strategy: Strategy, view: StrategyView) -> Outcome:
    """Like the engine's guard (:class:`bot.core.strategy_guard.StrategyGuard`): an exception or an answer
    that is not a list of intents is the strategy's failure, here an outcome to report."""
    try:
        intents = strategy.on_candles(view)
    except Exception as exc:
        where = where_raised(exc.__traceback__, _file_of(strategy))
        return Outcome(error=type(exc).__name__, message=f"{exc} ({where})"[:ERROR_TEXT_LIMIT])
    if not isinstance(intents, list | tuple) or not all(isinstance(i, OrderIntent) for i in intents):
        answer = f"on_candles returned {type(intents).__name__}; allowed: a list of OrderIntent"
        return Outcome(error="WrongAnswer", message=answer)
    return Outcome(intents=tuple(describe_intent(intent) for intent in intents))


def _file_of(strategy: Strategy) -> str | None:
    try:
        return inspect.getsourcefile(type(strategy))
    except TypeError:
        return None


MarketAt = Callable[[int], OfflineMarket]  # the market to ask in at a candle close (ms)


class CloseCaller:
    """Asks one strategy instance at closes of one symbol, with the view the engine would build: the last
    ``warmup`` candles, the strategy's basket, and ``closed()`` reading the market as of that close."""

    def __init__(
        self, strategy: Strategy, market: OfflineMarket, symbol: str, basket: Sequence[str] = ()
    ) -> None:
        if strategy.warmup < 1:
            raise ValueError(f"strategy {strategy.name}: warmup is {strategy.warmup}; allowed: 1 or more")
        self.strategy = strategy
        self.series = market.series(symbol)
        self._market = market
        self._symbol = symbol
        self._basket = tuple(basket) or (symbol,)
        self._rules = market.rules(symbol)
        self._step_ms = timeframe_ms(strategy.timeframe)

    @property
    def first_index(self) -> int:
        """The first candle with a whole warm-up window ending at it (the engine asks nothing before)."""
        return self.strategy.warmup - 1

    def decide(self, index: int, market: OfflineMarket | None = None) -> Decision:
        """Ask at the close of candle ``index`` of this caller's series, in ``market`` (default: its own)."""
        if market is None:
            market = self._market
        close_ms = int(self.series.open_time[index]) + self._step_ms
        strategy = self.strategy
        candles = market.closed_candles(
            self._symbol, strategy.timeframe, until_ms=close_ms, limit=strategy.warmup
        )
        if len(candles) < strategy.warmup:
            return NO_DECISION

        def source(of: str, timeframe: str, limit: int) -> Sequence[Candle]:
            return market.closed_candles(of, timeframe, until_ms=close_ms, limit=limit)

        now = ms_to_datetime(close_ms)
        position = synthetic_position(candles[-1], self._rules, close_ms)
        flat, holding = (
            StrategyView(
                self._symbol, strategy.timeframe, candles, held, self._rules, now, self._basket, source
            )
            for held in (None, position)
        )
        return Decision(_call(strategy, flat), _call(strategy, holding))

    def decide_in_order(self, market_at: MarketAt | None = None) -> Decisions:
        """Every close from the first decidable one to the end, in order (one instance: its state shows);
        ``market_at(close_ms)`` gives the market to ask in at each (default: this caller's own)."""
        first = min(self.first_index, len(self.series) - 1)
        run = Decisions(int(self.series.open_time[first]))
        for index in range(self.first_index, len(self.series)):
            open_ms = int(self.series.open_time[index])
            market = market_at(open_ms + self._step_ms) if market_at is not None else None
            decision = self.decide(index, market)
            if decision.notable:
                run.notable[open_ms] = decision
        return run


def series_columns(series: CandleSeries) -> CandleColumns:
    """A series as a scan is given it (as :class:`bot.app.backtest.events.EventPlanner` does)."""
    return CandleColumns(series.open, series.high, series.low, series.close, series.volume)


def index_of(series: CandleSeries, open_ms: int) -> int:
    return int(np.searchsorted(series.open_time, open_ms))


def run_scan(make: StrategyFactory, columns: CandleColumns) -> Candidates | str:
    """A fresh instance's scan of ``columns``, or what went wrong (text)."""
    strategy = make()
    if not isinstance(strategy, ScansCandidates):
        return "has no scan_candidates"
    try:
        return strategy.scan_candidates(columns)
    except Exception as exc:  # the strategy's bug: reported, not a crash of the check
        return f"raised {type(exc).__name__}: {exc}"[:ERROR_TEXT_LIMIT]
