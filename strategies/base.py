"""What a strategy is given and what it returns.

A strategy is a pure function of its view: no clock reads, no I/O. The same candles always give the
same intents, which is what makes backtests exact (DESIGN invariant 9).

A strategy may also implement :class:`ScansCandidates`: one vectorised pass over a symbol's whole
history naming the candles at which ``on_candles`` *might* return an intent, with a position and
without. Backtests then run the strategy at those candles only (on every other candle it would have
returned nothing); a strategy without it is run at every candle close, exactly like the daemon does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from bot.domain import Candle, MarketRules, OrderIntent, Position

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class CandleSource(Protocol):
    """Closed candles of any symbol and timeframe the market serves, as of one candle close."""

    def __call__(self, symbol: str, timeframe: str, limit: int, /) -> Sequence[Candle]: ...


@dataclass(frozen=True, slots=True)
class StrategyView:
    """One symbol at one candle close: recent closed candles (oldest first, the last one just closed).

    ``symbols``: every symbol the strategy trades (its basket, in config order); :meth:`closed` reads
    the closed candles of any of them, or of a longer timeframe, as of the same close — never a
    candle still forming, never a later one.
    """

    symbol: str
    timeframe: str
    candles: Sequence[Candle]
    position: Position | None
    rules: MarketRules
    now: datetime
    symbols: tuple[str, ...] = ()
    source: CandleSource | None = None

    def closed(
        self, symbol: str | None = None, *, timeframe: str | None = None, limit: int
    ) -> Sequence[Candle]:
        """Up to ``limit`` closed candles (oldest first) of ``symbol`` (default: this one) on
        ``timeframe`` (default: the strategy's), as of this view's close."""
        symbol = symbol or self.symbol
        timeframe = timeframe or self.timeframe
        if self.source is None:
            if symbol != self.symbol or timeframe != self.timeframe:
                raise ValueError(f"this view holds {self.symbol} {self.timeframe} only")
            return self.candles[-limit:] if limit > 0 else self.candles[:0]
        return self.source(symbol, timeframe, limit)


class Strategy(Protocol):
    name: str
    timeframe: str
    warmup: int  # how many closed candles of its own symbol and timeframe on_candles needs to decide

    def on_candles(self, view: StrategyView) -> list[OrderIntent]: ...


@dataclass(frozen=True, slots=True)
class CandleColumns:
    """A symbol's candles on the strategy's timeframe as numpy columns, oldest first (index = candle).

    ``volume`` is in the base currency; ``None`` where the caller has none (a hand-made test series)."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray | None = None


def candle_columns(candles: Sequence[Candle]) -> CandleColumns:
    """``candles`` as numpy columns: the window's own arrays when it has them (offline markets), else
    built from the candle objects."""
    columns = getattr(candles, "columns", None)
    if columns is not None:
        found = columns()
        if isinstance(found, CandleColumns):
            return found
    return CandleColumns(
        np.array([c.open for c in candles], dtype=np.float64),
        np.array([c.high for c in candles], dtype=np.float64),
        np.array([c.low for c in candles], dtype=np.float64),
        np.array([c.close for c in candles], dtype=np.float64),
        np.array([c.volume for c in candles], dtype=np.float64),
    )


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candle indices (ascending) at which ``on_candles`` might return an intent: ``flat`` while no
    position is held in the symbol, ``holding`` while one is."""

    flat: IntArray
    holding: IntArray


@runtime_checkable
class ScansCandidates(Protocol):
    """Optional: a vectorised scan for the candles worth showing to ``on_candles``."""

    def scan_candidates(self, candles: CandleColumns) -> Candidates:
        """Every candle ``i`` such that ``on_candles``, shown the ``warmup`` candles ending at candle
        ``i``, might return an intent: in ``flat`` if it might without a position, in ``holding`` if it
        might with one.

        A superset is allowed (extra candles only cost time); leaving out a candle at which
        ``on_candles`` would act is a bug, and the property tests look for exactly that.
        """
        ...
