"""Long-only MACD trend following: buy when the MACD line crosses above its signal line (optionally only
while the line is above zero, i.e. the fast EMA above the slow one: an uptrend), sell when it crosses
back below.

The MACD is recursive (three EMAs), so it is computed over a fixed window of the last
``MACD_SETTLE x (slow + signal)`` closes: the slow EMA's seed keeps at most
``(1 - 2 / (slow + 1)) ** (5 x slow)``, under 0.01 % of the weight, and the line stays within a few
millionths of the price of a chart with long history. The same last ``warmup`` candles therefore always
give the same intents (DESIGN invariant 9).

Entries carry a protective stop (:mod:`strategies.stops`) and no quantity: sizing is the risk chain's job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from bot.domain import OrderIntent, timeframe_ms
from bot.domain.params import check_params, param
from strategies.base import Candidates, CandleColumns, StrategyView, candle_columns
from strategies.crossings import RELATIVE_SLACK
from strategies.indicators import macd, macd_windows
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

MACD_SETTLE = 6


@dataclass(frozen=True, slots=True)
class MacdParams:
    """Parameters of :class:`Macd`, each declared once (default, bounds, description); validated on
    construction, unknown keys are errors (``__pydantic_config__``, as for ma_crossover)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    fast: int = param(12, "Fast EMA length, in candles.", ge=2, le=1_000)
    slow: int = param(26, "Slow EMA length; greater than fast.", ge=3, le=2_000)
    signal: int = param(9, "Signal line: EMA length of the MACD line, in candles.", ge=2, le=1_000)
    only_above_zero: bool = param(False, "Buy a cross only while the MACD line is above zero (an uptrend).")
    stop: StopKind = param("atr", **STOP)
    stop_percent: float = param(0.03, **STOP_PERCENT)
    atr_period: int = param(14, **ATR_PERIOD)
    atr_multiple: float = param(2.0, **ATR_MULTIPLE)

    def __post_init__(self) -> None:
        check_params(self, prefix="macd.")

    @staticmethod
    def conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The relation between valid fields: (field, what is allowed) where it does not hold."""
        if values["slow"] <= values["fast"]:
            return [("slow", f"greater than fast ({values['fast']})")]
        return []

    @property
    def macd_window(self) -> int:
        """Closes the MACD is computed over: ``slow + signal`` for two signal values, plus settling."""
        return (self.slow + self.signal) * MACD_SETTLE


class Macd:
    """Long-only MACD signal-line crossover on one timeframe; implements :class:`strategies.base.Strategy`."""

    def __init__(self, name: str, timeframe: str, params: MacdParams | None = None) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        timeframe_ms(timeframe)  # raises ValueError naming the allowed timeframes
        self.name = name
        self.timeframe = timeframe
        self.params = params if params is not None else MacdParams()
        self._stop = ProtectiveStop.of(self.params)
        self.warmup = max(self.params.macd_window, self._stop.window)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        window = view.candles[-self.warmup :]
        columns = candle_columns(window)
        last_close = float(columns.close[-1])
        if not math.isfinite(last_close) or last_close <= 0:
            return []
        p = self.params
        line, signal, _ = macd(columns.close[-p.macd_window :], p.fast, p.slow, p.signal)
        line_before, line_last = line[-2:].tolist()
        signal_before, signal_last = signal[-2:].tolist()
        position = held(view)
        crossed_up = line_before <= signal_before and line_last > signal_last
        if position is None and crossed_up and (line_last > 0 or not p.only_above_zero):
            entry = entry_intent(self.name, view, window, columns, self._stop, "macd_cross_up")
            return [entry] if entry is not None else []
        if position is not None and line_before >= signal_before and line_last < signal_last:
            return [exit_intent(self.name, view, window[-1], position, "macd_cross_down")]
        return []

    def scan_candidates(self, candles: CandleColumns) -> Candidates:
        """The decision windows' MACD for every candle at once (:func:`strategies.indicators.macd_windows`,
        equal to :meth:`on_candles`' own up to rounding), and the candles where the line may cross its
        signal line (upwards while flat, downwards while holding) within a slack of that rounding."""
        p = self.params
        closes = np.asarray(candles.close, dtype=np.float64)
        line_before, line, signal_before, signal = macd_windows(
            closes, p.fast, p.slow, p.signal, p.macd_window
        )
        finite = np.abs(closes[np.isfinite(closes)])
        slack = RELATIVE_SLACK * float(finite.max()) if finite.size else 0.0
        gap_before, gap = line_before - signal_before, line - signal
        with np.errstate(invalid="ignore"):  # NaN before the MACD exists compares False
            enters = (gap_before <= slack) & (gap > -slack)
            if p.only_above_zero:
                enters &= line > -slack
            exits = (gap_before >= -slack) & (gap < slack)
        first = self.warmup - 1
        return Candidates(
            flat=np.flatnonzero(enters[first:]).astype(np.int64) + first,
            holding=np.flatnonzero(exits[first:]).astype(np.int64) + first,
        )
