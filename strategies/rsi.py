"""Long-only RSI (Wilder's relative strength index), in one of two modes:

- ``momentum``: buy when the RSI crosses up through ``entry_level`` (strength is building), sell when it
  crosses down through ``exit_level``;
- ``dip``: buy when the RSI crosses back up out of oversold (above ``oversold``: the selling is over),
  sell once it reaches ``overbought``.

The RSI is recursive (Wilder's smoothing of gains and losses), so it is computed over a fixed window of
the last ``RSI_SETTLE x period + 1`` closes: the seed keeps ``(1 - 1/period) ** (9 x period)``, about
0.01 % of the weight, and the value stays within 0.01 RSI points of a chart with long history (the
stop's ATR window, 4 x period, would leave about 5 %: up to 2 points, too coarse for a level crossing).
The same last ``warmup`` candles therefore always give the same intents (DESIGN invariant 9).

Entries carry a protective stop (:mod:`strategies.stops`) and no quantity: sizing is the risk chain's job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from bot.domain import OrderIntent, timeframe_ms
from bot.domain.params import check_params, param
from strategies.base import Candidates, CandleColumns, StrategyView, candle_columns
from strategies.indicators import rsi, rsi_windows
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

RSI_SETTLE = 10
_SLACK = 1e-9  # RSI points: far above the rounding difference of the scan's and the window's sums

_LEVEL: dict[str, Any] = {"gt": 0, "lt": 100}


@dataclass(frozen=True, slots=True)
class RsiParams:
    """Parameters of :class:`Rsi`, each declared once (default, bounds, description); validated on
    construction, unknown keys are errors (``__pydantic_config__``, as for ma_crossover)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    period: int = param(14, "RSI length, in candles.", ge=2, le=200)
    mode: Literal["momentum", "dip"] = param(
        "dip",
        "momentum: buy strength (entry_level, exit_level); dip: buy a sell-off's end (oversold, overbought).",
    )
    entry_level: float = param(
        55.0, "mode = 'momentum': buy when the RSI crosses up through this level.", **_LEVEL
    )
    exit_level: float = param(
        45.0,
        "mode = 'momentum': sell when the RSI crosses down through this level; at most entry_level.",
        **_LEVEL,
    )
    oversold: float = param(
        30.0, "mode = 'dip': buy when the RSI crosses back up above this level.", **_LEVEL
    )
    overbought: float = param(
        70.0, "mode = 'dip': sell once the RSI reaches this level; above oversold.", **_LEVEL
    )
    stop: StopKind = param("atr", **STOP)
    stop_percent: float = param(0.03, **STOP_PERCENT)
    atr_period: int = param(14, **ATR_PERIOD)
    atr_multiple: float = param(2.0, **ATR_MULTIPLE)

    def __post_init__(self) -> None:
        check_params(self, prefix="rsi.")

    @staticmethod
    def conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The relations between valid fields: (field, what is allowed) where one does not hold."""
        found = []
        if values["exit_level"] > values["entry_level"]:
            found.append(("exit_level", f"at most entry_level ({values['entry_level']})"))
        if values["overbought"] <= values["oversold"]:
            found.append(("overbought", f"greater than oversold ({values['oversold']})"))
        return found

    @property
    def rsi_window(self) -> int:
        """Closes the RSI is computed over: ``period + 1`` for its first value, plus settling."""
        return self.period * RSI_SETTLE + 1


class Rsi:
    """Long-only RSI momentum or dip buying on one timeframe; implements :class:`strategies.base.Strategy`."""

    def __init__(self, name: str, timeframe: str, params: RsiParams | None = None) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        timeframe_ms(timeframe)  # raises ValueError naming the allowed timeframes
        self.name = name
        self.timeframe = timeframe
        self.params = params if params is not None else RsiParams()
        self._stop = ProtectiveStop.of(self.params)
        self.warmup = max(self.params.rsi_window, self._stop.window)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        window = view.candles[-self.warmup :]
        columns = candle_columns(window)
        last_close = float(columns.close[-1])
        if not math.isfinite(last_close) or last_close <= 0:
            return []
        before, last = rsi(columns.close[-self.params.rsi_window :], self.params.period)[-2:].tolist()
        position = held(view)
        if position is None and self._enters(before, last):
            entry = entry_intent(
                self.name, view, window, columns, self._stop, f"rsi_{self.params.mode}_entry"
            )
            return [entry] if entry is not None else []
        if position is not None and self._exits(before, last):
            return [exit_intent(self.name, view, window[-1], position, f"rsi_{self.params.mode}_exit")]
        return []

    def _enters(self, before: float, last: float) -> bool:
        """The RSI crossed up through the entry level (momentum) or out of oversold (dip)."""
        level = self.params.entry_level if self.params.mode == "momentum" else self.params.oversold
        return before <= level < last

    def _exits(self, before: float, last: float) -> bool:
        """The RSI crossed down through the exit level (momentum) or reached overbought (dip)."""
        if self.params.mode == "momentum":
            return before >= self.params.exit_level > last
        return last >= self.params.overbought

    def scan_candidates(self, candles: CandleColumns) -> Candidates:
        """The decision windows' RSI for every candle at once (:func:`strategies.indicators.rsi_windows`,
        equal to :meth:`on_candles`' own up to rounding), and the candles where the entry or the exit
        condition holds within a slack of that rounding."""
        p = self.params
        before, last = rsi_windows(np.asarray(candles.close, dtype=np.float64), p.period, p.rsi_window)
        with np.errstate(invalid="ignore"):  # NaN (no RSI yet, or a flat window) compares False
            if p.mode == "momentum":
                enters = (before <= p.entry_level + _SLACK) & (last > p.entry_level - _SLACK)
                exits = (before >= p.exit_level - _SLACK) & (last < p.exit_level + _SLACK)
            else:
                enters = (before <= p.oversold + _SLACK) & (last > p.oversold - _SLACK)
                exits = last >= p.overbought - _SLACK
        first = self.warmup - 1
        return Candidates(
            flat=np.flatnonzero(enters[first:]).astype(np.int64) + first,
            holding=np.flatnonzero(exits[first:]).astype(np.int64) + first,
        )
