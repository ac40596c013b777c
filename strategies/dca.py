"""Long-only DCA accumulation: a small buy on a fixed schedule, a cap on the total, a protective exit.

- Schedule: a buy at every candle whose open time is a whole multiple of ``interval`` candles since the
  Unix epoch (5m candles, ``interval = 12``: at every full hour, UTC). The schedule is a pure function of
  the candle times: the same whatever candle a run starts at, and a restart keeps it. A scheduled candle
  missing from the data (an exchange gap) is a buy skipped.
- Each buy is a limit at the close for at most ``buy_quote`` of the quote currency (the entry's
  ``quantity`` is that cap; the risk chain may size it lower) with a stop ``stop_percent`` below it.
- Allocation cap: no buy once the position's value at the close reaches ``max_position_quote``; a buy
  that would cross it is cut to the room left (nothing if that is below the market's minimum notional).
- Protective exit: the whole position is sold when the close falls ``exit_drawdown`` below the
  position's average price (no buy on that candle).

The engine keeps one stop on the whole position at the tightest of its buys' stops (``bot.core.stops``):
buying higher raises it, buying lower never loosens it. The strategy reads only the last candle, its
time and the position (``warmup = 1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from bot.domain import (
    Candle,
    OrderIntent,
    Position,
    timeframe_ms,
)
from bot.domain.params import check_params, param
from strategies.base import StrategyView
from strategies.stops import exit_intent, limit_buy


@dataclass(frozen=True, slots=True)
class DcaParams:
    """Parameters of :class:`Dca` (``kind = "dca"``); unknown keys are errors."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    interval: int = param(12, "A buy every this many candles, aligned to the epoch.", ge=1, le=100_000)
    buy_quote: Decimal = param(
        Decimal("0.01"), "Most quote currency spent per buy.", gt=Decimal(0), money=True
    )
    max_position_quote: Decimal = param(
        Decimal("0.1"), "No buy once the position is worth this much at the close.", gt=Decimal(0),
        money=True,
    )  # fmt: skip
    stop_percent: float = param(0.05, "Each buy's stop, as a fraction below it.", gt=0, le=0.1)
    exit_drawdown: float = param(
        0.04, "Sell everything once the close is this fraction below the average price.", gt=0, lt=1
    )

    def __post_init__(self) -> None:
        check_params(self, prefix="dca.")


class Dca:
    """Scheduled accumulation with an allocation cap; implements :class:`strategies.base.Strategy`."""

    warmup = 1

    def __init__(self, name: str, timeframe: str, params: DcaParams | None = None) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        self._candle_ms = timeframe_ms(timeframe)  # raises ValueError naming the allowed timeframes
        self.name = name
        self.timeframe = timeframe
        self.params = params if params is not None else DcaParams()

    def is_scheduled(self, open_time: int) -> bool:
        """Whether the candle opening at ``open_time`` (ms) is a buy of the schedule."""
        return (open_time // self._candle_ms) % self.params.interval == 0

    def exit_level(self, position: Position) -> Decimal:
        """The close at or below which the whole position is sold."""
        return position.average_price * (1 - _decimal(self.params.exit_drawdown))

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if not view.candles:
            return []
        last = view.candles[-1]
        close = float(last.close)
        if not math.isfinite(close) or close <= 0:
            return []
        position = view.position if view.position is not None and view.position.quantity > 0 else None
        price = view.rules.price_from_float(close, is_buy=False)
        if position is not None and price <= position.average_price * (
            1 - _decimal(self.params.exit_drawdown)
        ):
            return [self._exit(view, last, position)]
        if not self.is_scheduled(last.open_time):
            return []
        entry = self._entry(view, last, position)
        return [entry] if entry is not None else []

    def _entry(self, view: StrategyView, last: Candle, position: Position | None) -> OrderIntent | None:
        rules = view.rules
        entry = rules.price_from_float(float(last.close), is_buy=True)
        if entry <= 0:
            return None
        held = position.quantity * entry if position is not None else Decimal(0)
        budget = min(self.params.buy_quote, self.params.max_position_quote - held)
        quantity = rules.round_quantity(budget / entry) if budget > 0 else Decimal(0)
        if quantity <= 0 or quantity < rules.min_quantity or not rules.meets_min_notional(entry, quantity):
            return None
        stop = rules.round_price_down(entry * (1 - _decimal(self.params.stop_percent)))
        if stop <= 0:
            return None
        return limit_buy(self.name, view, last, entry, stop, "dca_scheduled_buy", quantity=quantity)  # a cap

    def _exit(self, view: StrategyView, last: Candle, position: Position) -> OrderIntent:
        return exit_intent(self.name, view, last, position, "dca_drawdown_exit")


def _decimal(fraction: float) -> Decimal:
    return Decimal(repr(fraction))
