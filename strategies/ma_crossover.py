"""Long-only moving-average crossover: buy when the fast MA crosses above the slow one, sell on the way down.

The strategy is a pure function of the candles it is shown. It reads only a fixed-length window at the
end of ``view.candles`` (``warmup`` candles), so the same last ``warmup`` candles always give the same
intents however much history the caller passes: a backtest and a daemon started at a different time
agree (DESIGN invariant 9), and a tick re-run after a restart yields the same intent ids.

Entries carry a protective stop (ATR- or percent-based) and no quantity: sizing is the risk chain's job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Literal

import numpy as np

from bot.domain import (
    Candle,
    IntentKind,
    MarketRules,
    OrderIntent,
    OrderType,
    Position,
    Side,
    make_intent_id,
    timeframe_ms,
)
from strategies.base import Candidates, CandleColumns, StrategyView, candle_columns
from strategies.crossings import crossing_candidates
from strategies.indicators import FloatArray, ema, sma_last_two, wilder_atr

# EMA and Wilder ATR are recursive: their value depends on where the series starts. Computing them over
# SETTLE x period candles leaves the seed with little weight (EMA < 0.3 %, ATR about 5 %), which keeps the
# numbers close to what a chart with long history shows while the window stays fixed and small.
_SETTLE = 4


def _invalid(field: str, value: object, allowed: str) -> ValueError:
    return ValueError(f"ma_crossover.{field}={value!r} is invalid: allowed {allowed}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class MaCrossoverParams:
    """Parameters of :class:`MaCrossover`. Validated on construction; unknown keys are errors.

    ``__pydantic_config__`` lets the settings layer validate this stdlib dataclass with pydantic
    (forbidding unknown keys) without the strategy importing pydantic.
    """

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    fast: int = 10
    slow: int = 30
    ma: Literal["ema", "sma"] = "ema"
    stop: Literal["atr", "percent"] = "atr"
    stop_percent: float = 0.03
    atr_period: int = 14
    atr_multiple: float = 2.0

    def __post_init__(self) -> None:
        if not _is_int(self.fast) or self.fast < 1:
            raise _invalid("fast", self.fast, "an integer >= 1")
        if not _is_int(self.slow) or self.slow <= self.fast:
            raise _invalid("slow", self.slow, f"an integer greater than fast ({self.fast})")
        if self.ma not in ("ema", "sma"):
            raise _invalid("ma", self.ma, "'ema' or 'sma'")
        if self.stop not in ("atr", "percent"):
            raise _invalid("stop", self.stop, "'atr' or 'percent'")
        if not _is_number(self.stop_percent) or not 0 < self.stop_percent < 1:
            raise _invalid("stop_percent", self.stop_percent, "a number with 0 < stop_percent < 1")
        if not _is_int(self.atr_period) or self.atr_period < 1:
            raise _invalid("atr_period", self.atr_period, "an integer >= 1")
        if not _is_number(self.atr_multiple) or self.atr_multiple <= 0:
            raise _invalid("atr_multiple", self.atr_multiple, "a number > 0")

    @property
    def ma_window(self) -> int:
        """Candles the MAs are computed over: two consecutive slow values (SMA), or a settled EMA."""
        return self.slow * _SETTLE if self.ma == "ema" else self.slow + 1

    @property
    def atr_window(self) -> int:
        """Candles the ATR is computed over (0 with a percent stop): ``period + 1`` plus settling."""
        return self.atr_period * _SETTLE + 1 if self.stop == "atr" else 0


class MaCrossover:
    """Long-only MA crossover on one timeframe; implements :class:`strategies.base.Strategy`."""

    def __init__(self, name: str, timeframe: str, params: MaCrossoverParams | None = None) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        timeframe_ms(timeframe)  # raises ValueError naming the allowed timeframes
        self.name = name
        self.timeframe = timeframe
        self.params = params if params is not None else MaCrossoverParams()
        self.warmup = max(self.params.ma_window, self.params.atr_window)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        window = view.candles[-self.warmup :]
        columns = candle_columns(window)
        last_close = float(columns.close[-1])
        if not math.isfinite(last_close) or last_close <= 0:
            return []
        cross = self._cross(columns.close[-self.params.ma_window :])
        position = view.position if view.position is not None and view.position.quantity > 0 else None
        if cross > 0 and position is None:
            entry = self._entry(view, window, columns)
            return [entry] if entry is not None else []
        if cross < 0 and position is not None:
            return [self._exit(view, window[-1], position)]
        return []

    def scan_candidates(self, candles: CandleColumns) -> Candidates:
        """Candles where the decision window's fast and slow averages may cross (see
        :mod:`strategies.crossings`): upwards while flat (an entry), downwards while holding (an exit).
        Nowhere else can :meth:`on_candles` return an intent."""
        up, down = crossing_candidates(
            np.asarray(candles.close, dtype=np.float64),
            fast=self.params.fast,
            slow=self.params.slow,
            kind=self.params.ma,
            window=self.params.ma_window,
            first=self.warmup - 1,
        )
        return Candidates(flat=up, holding=down)

    def _cross(self, closes: FloatArray) -> int:
        """+1 if fast crossed above slow on the last candle, -1 if below, 0 otherwise."""
        fast = self._last_two(closes, self.params.fast)
        slow = self._last_two(closes, self.params.slow)
        if not (np.isfinite(fast).all() and np.isfinite(slow).all()):
            return 0
        if fast[0] <= slow[0] and fast[1] > slow[1]:
            return 1
        if fast[0] >= slow[0] and fast[1] < slow[1]:
            return -1
        return 0

    def _last_two(self, closes: FloatArray, period: int) -> FloatArray:
        """The average's last two values: an EMA needs the whole window, an SMA only its last closes."""
        if self.params.ma == "ema":
            return ema(closes, period)[-2:]
        return sma_last_two(closes, period)

    def _entry(
        self, view: StrategyView, candles: Sequence[Candle], columns: CandleColumns
    ) -> OrderIntent | None:
        last = candles[-1]
        close = float(last.close)  # a numpy float64 would reach Decimal(repr(...)) as "np.float64(...)"
        entry = view.rules.price_from_float(close, is_buy=True)
        stop = self._stop_price(entry, close, columns, view.rules)
        if entry <= 0 or stop is None or stop <= 0:
            return None
        return OrderIntent(
            intent_id=make_intent_id(self.name, view.symbol, last.open_time, IntentKind.ENTRY),
            strategy=self.name,
            symbol=view.symbol,
            side=Side.BUY,
            kind=IntentKind.ENTRY,
            order_type=OrderType.LIMIT,
            reference_price=entry,
            created_at=view.now,
            reason="ma_cross_up",
            limit_price=entry,
            stop_price=stop,
        )

    def _stop_price(
        self, entry: Decimal, close: float, columns: CandleColumns, rules: MarketRules
    ) -> Decimal | None:
        """The protective stop, rounded down to the tick (None if it cannot be computed)."""
        if self.params.stop == "percent":
            return rules.round_price_down(entry * (1 - Decimal(repr(self.params.stop_percent))))
        recent = slice(-self.params.atr_window, None)
        atr = float(wilder_atr(columns.high[recent], columns.low[recent], columns.close[recent],
                               self.params.atr_period)[-1])  # fmt: skip
        stop = close - self.params.atr_multiple * atr
        if not math.isfinite(stop) or stop <= 0:
            return None
        return rules.price_from_float(stop, is_buy=True)

    def _exit(self, view: StrategyView, last: Candle, position: Position) -> OrderIntent:
        return OrderIntent(
            intent_id=make_intent_id(self.name, view.symbol, last.open_time, IntentKind.EXIT),
            strategy=self.name,
            symbol=view.symbol,
            side=Side.SELL,
            kind=IntentKind.EXIT,
            order_type=OrderType.MARKET,
            reference_price=view.rules.price_from_float(float(last.close), is_buy=False),
            created_at=view.now,
            reason="ma_cross_down",
            quantity=position.quantity,
        )
