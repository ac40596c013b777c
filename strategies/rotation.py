"""Basket rotation: hold the strongest few coins of a basket by momentum, rotate when one falls behind.

The basket is the strategy's ``symbols``. At each candle close, for the symbol being decided, the
strategy reads every basket symbol's closes as of that close (:meth:`strategies.base.StrategyView.closed`:
never a later candle) and ranks them by momentum, the return over ``lookback`` candles:

- flat in the symbol, it ranks among the ``top_n`` and its momentum is above ``min_momentum``: buy
  (a limit at the close, with a protective stop; the risk chain sizes it, so each holding risks the
  same fraction of equity);
- holding it, its momentum has fallen more than ``band`` below the rebalancing line — the ``top_n``-th
  best momentum, or ``min_momentum`` if that is higher: sell all of it. The band is the hysteresis of a
  rebalancing band: with ``band = 0.05`` a coin that slips from second to third by a hair is kept, one
  that trails by more than 5 percentage points of return is rotated out.

A basket symbol without ``lookback + 1`` closed candles, or whose newest candle is not the one that
just closed (a gap), is left out of the ranking. Ties rank by symbol name, so the ranking is the same in
every run. Rotation by target weights (rebalancing quantities) is not done here: spot sizing stays the
risk chain's, which caps every holding by risk and concentration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from bot.domain import OrderIntent, timeframe_ms
from bot.domain.params import check_params, param
from strategies.base import StrategyView, candle_columns
from strategies.stops import (
    ATR_MULTIPLE,
    ATR_PERIOD,
    STOP,
    STOP_PERCENT,
    ProtectiveStop,
    StopKind,
    entry_intent,
    exit_intent,
    held,
)


@dataclass(frozen=True, slots=True)
class RotationParams:
    """Parameters of :class:`Rotation` (see the module docstring)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    lookback: int = param(288, "Momentum: the return over this many candles.", ge=2, le=10_000)
    top_n: int = param(2, "How many of the basket are held at most: the strongest by momentum.", ge=1, le=50)
    band: float = param(
        0.05, "A holding is sold once its momentum trails the rebalancing line by more than this.", ge=0, le=1
    )
    min_momentum: float = param(0.0, "Buy only above this momentum (0: only rising coins).", ge=-1, le=10)
    stop: StopKind = param("percent", **STOP)
    stop_percent: float = param(0.05, **STOP_PERCENT)
    atr_period: int = param(14, **ATR_PERIOD)
    atr_multiple: float = param(3.0, **ATR_MULTIPLE)

    def __post_init__(self) -> None:
        check_params(self, prefix="rotation.")


class Rotation:
    """Long-only top-N momentum rotation over the strategy's symbols; implements
    :class:`strategies.base.Strategy`."""

    def __init__(self, name: str, timeframe: str, params: RotationParams | None = None) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        timeframe_ms(timeframe)
        self.name = name
        self.timeframe = timeframe
        self.params = params if params is not None else RotationParams()
        self._stop = ProtectiveStop.of(self.params)
        self.warmup = max(self.params.lookback + 1, self._stop.window)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        momentum = self.momentum(view)
        own = momentum.get(view.symbol)
        if own is None:
            return []
        ranked = sorted(momentum, key=lambda symbol: (-momentum[symbol], symbol))
        top = ranked[: self.params.top_n]
        line = max(momentum[top[-1]], self.params.min_momentum)
        position = held(view)
        window = view.candles[-self.warmup :]
        if position is None and view.symbol in top and own > self.params.min_momentum:
            entry = entry_intent(
                self.name, view, window, candle_columns(window), self._stop, "rotation_top_n"
            )
            return [entry] if entry is not None else []
        if position is not None and own < line - self.params.band:
            return [exit_intent(self.name, view, window[-1], position, "rotation_fell_behind")]
        return []

    def momentum(self, view: StrategyView) -> dict[str, float]:
        """Each basket symbol's return over ``lookback`` candles as of this close (the symbol decided
        on included, even if the basket is empty); symbols without enough fresh candles left out."""
        found: dict[str, float] = {}
        newest = view.candles[-1].close_time
        for symbol in dict.fromkeys((*view.symbols, view.symbol)):
            candles = view.closed(symbol, limit=self.params.lookback + 1)
            if len(candles) < self.params.lookback + 1 or candles[-1].close_time != newest:
                continue
            first, last = float(candles[0].close), float(candles[-1].close)
            if first > 0 and math.isfinite(first) and math.isfinite(last):
                found[symbol] = last / first - 1
        return found
