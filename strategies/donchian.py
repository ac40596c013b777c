"""Long-only Donchian channel breakout, confirmed by volume.

- Entry (flat): the close breaks above the highest high of the previous ``entry_period`` candles, and the
  candle's volume is at least ``volume_multiple`` × the average volume of the previous ``volume_period``
  candles. ``volume_multiple = 0`` turns the confirmation off; with it on, candles without a volume
  (a hand-made series) never confirm a breakout.
- Exit (holding): the close falls below the lowest low of the previous ``exit_period`` candles; the
  whole position is sold.
- Stop: the exit channel's low (``stop = "channel"``: where the exit rule would sell anyway), or
  ``atr_multiple`` ATRs below the close (``stop = "atr"``). Both are below the entry: the previous
  candles' lows are at most their highs, which the close broke above.

"Previous" candles exclude the one that just closed: a channel is what the close breaks out of. The
strategy reads only its last ``warmup`` candles and the position, so the same window always gives the
same intents (DESIGN invariant 9). Entries carry no quantity: sizing is the risk chain's job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from bot.domain import (
    Candle,
    OrderIntent,
    Position,
    timeframe_ms,
)
from bot.domain.params import check_params, param
from strategies.base import CandleColumns, StrategyView, candle_columns
from strategies.indicators import wilder_atr
from strategies.stops import ATR_MULTIPLE, ATR_PERIOD, exit_intent, limit_buy

_SETTLE = 4  # the ATR is computed over SETTLE x period candles (see strategies.ma_crossover)


@dataclass(frozen=True, slots=True)
class DonchianParams:
    """Parameters of :class:`Donchian` (``kind = "donchian"``); unknown keys are errors."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    entry_period: int = param(20, "Breakout channel: highest high of this many previous candles.", ge=2,
                              le=2_000)  # fmt: skip
    exit_period: int = param(10, "Exit channel: lowest low of this many previous candles.", ge=2, le=2_000)
    volume_period: int = param(20, "Average volume over this many previous candles.", ge=1, le=2_000)
    volume_multiple: float = param(
        1.5, "The breakout candle's volume / average volume must be at least this (0: off).", ge=0, le=50
    )
    stop: Literal["channel", "atr"] = param("channel", "Protective stop: the exit channel's low, or ATRs.")
    atr_period: int = param(14, **ATR_PERIOD)
    atr_multiple: float = param(2.0, **ATR_MULTIPLE)

    def __post_init__(self) -> None:
        check_params(self, prefix="donchian.")

    @property
    def atr_window(self) -> int:
        """Candles the ATR is computed over (0 with a channel stop)."""
        return self.atr_period * _SETTLE + 1 if self.stop == "atr" else 0


class Donchian:
    """Donchian breakout with volume confirmation; implements :class:`strategies.base.Strategy`."""

    def __init__(self, name: str, timeframe: str, params: DonchianParams | None = None) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        timeframe_ms(timeframe)  # raises ValueError naming the allowed timeframes
        self.name = name
        self.timeframe = timeframe
        self.params = params if params is not None else DonchianParams()
        p = self.params
        self.warmup = max(p.entry_period, p.exit_period, p.volume_period) + 1
        self.warmup = max(self.warmup, p.atr_window)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        window = view.candles[-self.warmup :]
        columns = candle_columns(window)
        close = float(columns.close[-1])
        if not math.isfinite(close) or close <= 0:
            return []
        position = view.position if view.position is not None and view.position.quantity > 0 else None
        if position is not None:
            exit_low = self._exit_low(columns)
            return [self._exit(view, window[-1], position)] if close < exit_low else []
        if close > self._entry_high(columns) and self._volume_confirms(columns):
            entry = self._entry(view, window, columns)
            return [entry] if entry is not None else []
        return []

    def _entry_high(self, columns: CandleColumns) -> float:
        return float(np.max(columns.high[-self.params.entry_period - 1 : -1]))

    def _exit_low(self, columns: CandleColumns) -> float:
        return float(np.min(columns.low[-self.params.exit_period - 1 : -1]))

    def _volume_confirms(self, columns: CandleColumns) -> bool:
        if self.params.volume_multiple == 0:
            return True
        if columns.volume is None:
            return False
        average = float(np.mean(columns.volume[-self.params.volume_period - 1 : -1]))
        volume = float(columns.volume[-1])
        return math.isfinite(average) and volume >= self.params.volume_multiple * average

    def _entry(
        self, view: StrategyView, candles: Sequence[Candle], columns: CandleColumns
    ) -> OrderIntent | None:
        last = candles[-1]
        close = float(last.close)
        entry = view.rules.price_from_float(close, is_buy=True)
        stop_level = self._stop_level(close, columns)
        if entry <= 0 or not math.isfinite(stop_level) or stop_level <= 0:
            return None
        stop = view.rules.price_from_float(stop_level, is_buy=True)  # rounded down: never tighter
        if stop <= 0 or stop >= entry:
            return None
        return limit_buy(self.name, view, last, entry, stop, "donchian_breakout")

    def _stop_level(self, close: float, columns: CandleColumns) -> float:
        if self.params.stop == "channel":
            return self._exit_low(columns)
        recent = slice(-self.params.atr_window, None)
        atr = wilder_atr(columns.high[recent], columns.low[recent], columns.close[recent],
                         self.params.atr_period)[-1]  # fmt: skip
        return close - self.params.atr_multiple * float(atr)

    def _exit(self, view: StrategyView, last: Candle, position: Position) -> OrderIntent:
        return exit_intent(self.name, view, last, position, "donchian_channel_exit")
