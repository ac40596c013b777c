"""The protective stop of the built-in long-only strategies, and the intents that open and close a position.

Every entry carries a stop from the moment it is sent (DESIGN invariant 3) and no quantity: sizing is the
risk chain's job. The stop is one rule for every built-in strategy, so its params are described and
bounded once here, and each strategy's params dataclass declares them with its own defaults, e.g.
``stop_percent: float = param(0.03, **STOP_PERCENT)``:

- ``stop = "percent"``: ``stop_percent`` below the entry price;
- ``stop = "atr"``: ``atr_multiple`` Wilder ATRs (of ``atr_period`` candles) below the close.

The ATR is recursive, so it is computed over a fixed window of ``ATR_SETTLE x atr_period + 1`` candles:
the seed keeps about 5 % of the weight, and the same last candles always give the same stop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, Required, TypedDict

from bot.domain import (
    Candle,
    IntentKind,
    MarketRules,
    OrderIntent,
    OrderType,
    Position,
    Side,
    make_intent_id,
)
from strategies.base import CandleColumns, StrategyView
from strategies.indicators import wilder_atr

StopKind = Literal["atr", "percent"]
ATR_SETTLE = 4


class Declared(TypedDict, total=False):
    """What :func:`bot.domain.params.param` takes after the default: ``param(0.03, **STOP_PERCENT)``."""

    description: Required[str]
    gt: float
    ge: int
    le: float


STOP: Declared = {"description": "How the protective stop is placed."}
STOP_PERCENT: Declared = {
    "description": "stop = 'percent': stop distance below entry as a fraction.",
    "gt": 0,
    "le": 0.1,
}
ATR_PERIOD: Declared = {"description": "stop = 'atr': ATR length, in candles.", "ge": 2, "le": 500}
ATR_MULTIPLE: Declared = {"description": "stop = 'atr': stop distance in ATRs.", "gt": 0, "le": 50}


class StopParams(Protocol):
    """The four stop fields of a strategy's params."""

    @property
    def stop(self) -> StopKind: ...
    @property
    def stop_percent(self) -> float: ...
    @property
    def atr_period(self) -> int: ...
    @property
    def atr_multiple(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ProtectiveStop:
    """Where an entry's stop goes, from a strategy's stop params."""

    kind: StopKind
    percent: float
    atr_period: int
    atr_multiple: float

    @classmethod
    def of(cls, params: StopParams) -> ProtectiveStop:
        return cls(params.stop, params.stop_percent, params.atr_period, params.atr_multiple)

    @property
    def window(self) -> int:
        """Candles the ATR is computed over (0 with a percent stop): ``period + 1`` plus settling."""
        return self.atr_period * ATR_SETTLE + 1 if self.kind == "atr" else 0

    def price(
        self, entry: Decimal, close: float, columns: CandleColumns, rules: MarketRules
    ) -> Decimal | None:
        """The stop for a buy at ``entry`` after a candle closing at ``close``, rounded down to the tick
        (None if it cannot be computed). ``columns`` end at that candle."""
        if self.kind == "percent":
            return rules.round_price_down(entry * (1 - Decimal(repr(self.percent))))
        recent = slice(-self.window, None)
        atr = float(wilder_atr(columns.high[recent], columns.low[recent], columns.close[recent],
                               self.atr_period)[-1])  # fmt: skip
        stop = close - self.atr_multiple * atr
        if not math.isfinite(stop) or stop <= 0:
            return None
        return rules.price_from_float(stop, is_buy=True)


def held(view: StrategyView) -> Position | None:
    """The view's position, if it holds anything."""
    return view.position if view.position is not None and view.position.quantity > 0 else None


def entry_intent(
    strategy: str,
    view: StrategyView,
    candles: Sequence[Candle],
    columns: CandleColumns,
    stop: ProtectiveStop,
    reason: str,
) -> OrderIntent | None:
    """A limit buy at the last close with its protective stop (None if no stop above zero exists)."""
    last = candles[-1]
    close = float(last.close)  # a numpy float64 would reach Decimal(repr(...)) as "np.float64(...)"
    entry = view.rules.price_from_float(close, is_buy=True)
    stop_price = stop.price(entry, close, columns, view.rules)
    if entry <= 0 or stop_price is None or stop_price <= 0:
        return None
    return limit_buy(strategy, view, last, entry, stop_price, reason)


def limit_buy(
    strategy: str,
    view: StrategyView,
    last: Candle,
    price: Decimal,
    stop: Decimal,
    reason: str,
    *,
    quantity: Decimal | None = None,
    key: tuple[object, ...] = (),
) -> OrderIntent:
    """A limit buy at ``price`` decided after candle ``last``, with its protective ``stop``. ``quantity``
    is only a cap (the risk chain sizes the buy); ``key`` tells apart several buys on one candle."""
    return OrderIntent(
        intent_id=make_intent_id(strategy, view.symbol, last.open_time, IntentKind.ENTRY, *key),
        strategy=strategy,
        symbol=view.symbol,
        side=Side.BUY,
        kind=IntentKind.ENTRY,
        order_type=OrderType.LIMIT,
        reference_price=price,
        created_at=view.now,
        reason=reason,
        limit_price=price,
        stop_price=stop,
        quantity=quantity,
    )


def exit_intent(
    strategy: str, view: StrategyView, last: Candle, position: Position, reason: str
) -> OrderIntent:
    """A market sell of the whole position, after candle ``last``."""
    return market_sell(strategy, view, last, position.quantity, reason)


def market_sell(
    strategy: str, view: StrategyView, last: Candle, quantity: Decimal, reason: str
) -> OrderIntent:
    """A market sell of ``quantity`` decided after candle ``last`` (priced at its close for the chain)."""
    return OrderIntent(
        intent_id=make_intent_id(strategy, view.symbol, last.open_time, IntentKind.EXIT),
        strategy=strategy,
        symbol=view.symbol,
        side=Side.SELL,
        kind=IntentKind.EXIT,
        order_type=OrderType.MARKET,
        reference_price=view.rules.price_from_float(float(last.close), is_buy=False),
        created_at=view.now,
        reason=reason,
        quantity=quantity,
    )
