"""What a strategy is given and what it returns.

A strategy is a pure function of its view: no clock reads, no I/O. The same candles always give the
same intents, which is what makes backtests exact (DESIGN invariant 9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import Candle, MarketRules, OrderIntent, Position


@dataclass(frozen=True, slots=True)
class StrategyView:
    """One symbol at one candle close: recent closed candles (oldest first, the last one just closed)."""

    symbol: str
    timeframe: str
    candles: Sequence[Candle]
    position: Position | None
    rules: MarketRules
    now: datetime


class Strategy(Protocol):
    name: str
    timeframe: str
    warmup: int  # how many closed candles on_candles needs to decide

    def on_candles(self, view: StrategyView) -> list[OrderIntent]: ...
