"""Long-only grid inside a price range: buy a slice at each line the price falls through, sell it one line up.

- Lines: ``levels`` prices evenly from ``low`` to ``high`` (both included). ``low`` is the range's floor:
  a close below it is outside the range.
- Buy: when the close crosses down through a line (previous close at or above it, this close below it)
  and is still inside the range, a slice is bought with a limit at the line (capped at ``slice_quote`` of
  the quote currency: the entry's ``quantity``; the risk chain may size it lower), unless the slice of
  that line is still held. One candle crossing several lines buys one slice per line, each its own intent.
- Sell: the slice bought at a line is sold when the close crosses up through the line above it. One
  candle's sales are one exit: the held slices whose sell line it crossed, as a share of the position
  weighted by each slice's size (so a position the risk chain sized lower is sold in the same shares);
  the whole position once no slice is left held, or whenever the close is above ``high``.
- Stop: every entry carries the same stop, ``stop_below`` under ``low``; the engine keeps it on the whole
  position (``bot.core.stops``).

Which slices are held is read from the window, not remembered: a line's slice is held if, within the last
``memory`` candles, the close last crossed down through it (inside the range) more recently than up
through the line above, and a position is open (none after a stop-out). A slice bought longer ago than
``memory`` candles is forgotten: it is sold with the rest, above ``high`` or by the stop. So the intents
depend only on the last ``warmup = memory + 1`` candles and the position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from bot.domain import (
    Candle,
    MarketRules,
    OrderIntent,
    Position,
    timeframe_ms,
)
from bot.domain.params import check_params, param
from strategies.base import FloatArray, StrategyView, candle_columns
from strategies.stops import limit_buy, market_sell

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class GridParams:
    """Parameters of :class:`Grid` (``kind = "grid"``); ``low`` and ``high`` are required."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    low: Decimal | None = param(None, "The range's floor and lowest grid line (a price; required).",
                                gt=Decimal(0))  # fmt: skip
    high: Decimal | None = param(None, "The range's top and highest grid line (a price; required).",
                                 gt=Decimal(0))  # fmt: skip
    levels: int = param(10, "Grid lines from low to high, both included.", ge=3, le=200)
    slice_quote: Decimal = param(
        Decimal("0.01"), "Most quote currency spent per slice.", gt=Decimal(0), money=True
    )
    stop_below: float = param(0.02, "The stop, as a fraction below low.", gt=0, lt=0.5)
    memory: int = param(288, "Candles looked back to tell which slices are held.", ge=2, le=100_000)

    def __post_init__(self) -> None:
        check_params(self, prefix="grid.")

    @staticmethod
    def conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``low`` and ``high`` are required, ``high`` above ``low``."""
        missing = [(name, "a price > 0 (required)") for name in ("low", "high") if values[name] is None]
        if missing:
            return missing
        if values["high"] <= values["low"]:
            return [("high", f"greater than low ({values['low']})")]
        return []

    def lines(self) -> list[Decimal]:
        """The grid's prices, lowest first."""
        assert self.low is not None and self.high is not None  # checked on construction
        step = (self.high - self.low) / (self.levels - 1)
        return [self.low + i * step for i in range(self.levels - 1)] + [self.high]


class Grid:
    """A long-only grid in a fixed range; implements :class:`strategies.base.Strategy`."""

    def __init__(self, name: str, timeframe: str, params: GridParams) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        timeframe_ms(timeframe)  # raises ValueError naming the allowed timeframes
        self.name = name
        self.timeframe = timeframe
        self.params = params  # no default: a grid's range belongs to its symbol
        self.warmup = self.params.memory + 1
        self._lines = self.params.lines()
        self._levels = np.array([float(line) for line in self._lines], dtype=np.float64)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        window = view.candles[-self.warmup :]
        closes = candle_columns(window).close
        if not np.isfinite(closes[-2:]).all() or closes[-1] <= 0:
            return []
        position = view.position if view.position is not None and view.position.quantity > 0 else None
        down, up = self._crossings(closes)
        held = self._held(down, up) if position is not None else np.zeros(len(self._lines) - 1, np.bool_)
        last = window[-1]
        if position is not None:
            exit_ = self._exit(view, last, position, held, up[-1])
            if exit_ is not None:
                return [exit_]
        wanted = [i for i in reversed(range(len(self._lines) - 1)) if down[-1, i] and not held[i]]
        entries = (self._entry(view, last, i) for i in wanted)  # the first line crossed first
        return [entry for entry in entries if entry is not None]

    def _crossings(self, closes: FloatArray) -> tuple[BoolArray, BoolArray]:
        """Per candle after the first (rows) and buy line (columns): the close crossed down through the
        line inside the range; the close crossed up through the line above it (its sell line)."""
        before, after = closes[:-1, None], closes[1:, None]
        buy_lines, sell_lines = self._levels[None, :-1], self._levels[None, 1:]
        inside = after >= self._levels[0]
        down = (before >= buy_lines) & (after < buy_lines) & inside
        up = (before < sell_lines) & (after >= sell_lines)
        return down, up

    @staticmethod
    def _held(down: BoolArray, up: BoolArray) -> BoolArray:
        """Per buy line: bought (crossed down) more recently than sold (crossed up through the line above),
        before the last candle."""
        rows = np.arange(down.shape[0] - 1)[:, None]
        last_down = np.where(down[:-1], rows, -1).max(axis=0, initial=-1)
        last_up = np.where(up[:-1], rows, -1).max(axis=0, initial=-1)
        held: BoolArray = last_down > last_up
        return held

    def _entry(self, view: StrategyView, last: Candle, line: int) -> OrderIntent | None:
        rules = view.rules
        price = rules.round_price_down(self._lines[line])
        quantity = self._slice(rules, line)
        stop = rules.round_price_down(self._lines[0] * (1 - Decimal(repr(self.params.stop_below))))
        if price <= 0 or stop <= 0 or stop >= price or quantity <= 0:
            return None
        if quantity < rules.min_quantity or not rules.meets_min_notional(price, quantity):
            return None
        reason = f"grid_buy_line_{line}"
        return limit_buy(self.name, view, last, price, stop, reason, quantity=quantity, key=(line,))  # a cap

    def _slice(self, rules: MarketRules, line: int) -> Decimal:
        """The base quantity ``slice_quote`` buys at ``line``."""
        return rules.round_quantity(self.params.slice_quote / self._lines[line])

    def _exit(
        self, view: StrategyView, last: Candle, position: Position, held: BoolArray, crossed_up: BoolArray
    ) -> OrderIntent | None:
        rules = view.rules
        close = float(last.close)
        selling = held & crossed_up
        if close > self._levels[-1]:
            quantity, reason = position.quantity, "grid_above_range"
        elif not selling.any():
            return None
        elif not (held & ~selling).any():
            quantity, reason = position.quantity, "grid_sell_last_slice"
        else:
            quantity, reason = self._share(rules, position, held, selling, close), "grid_sell_slice"
        if quantity <= 0:
            return None
        return market_sell(self.name, view, last, quantity, reason)

    def _share(
        self, rules: MarketRules, position: Position, held: BoolArray, selling: BoolArray, close: float
    ) -> Decimal:
        """The sold slices' share of the position, each slice weighted by its size; the whole position if
        what would be left could not be sold (or protected) on its own."""
        weights = [self.params.slice_quote / line for line in self._lines[:-1]]
        share = sum((w for w, sold in zip(weights, selling, strict=True) if sold), Decimal(0))
        total = sum((w for w, kept in zip(weights, held, strict=True) if kept), Decimal(0))
        quantity = rules.round_quantity(position.quantity * share / total)
        rest = position.quantity - quantity
        price = rules.price_from_float(close, is_buy=False)
        if rest < max(rules.min_quantity, rules.step_size) or not rules.meets_min_notional(price, rest):
            return position.quantity
        return quantity
