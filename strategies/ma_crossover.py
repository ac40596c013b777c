"""Long-only moving-average crossover: buy when the fast MA crosses above the slow one, sell on the way down.

The strategy is a pure function of the candles it is shown. It reads only a fixed-length window at the
end of ``view.candles`` (``warmup`` candles), so the same last ``warmup`` candles always give the same
intents however much history the caller passes: a backtest and a daemon started at a different time
agree (DESIGN invariant 9), and a tick re-run after a restart yields the same intent ids.

Entries carry a protective stop (ATR- or percent-based) and no quantity: sizing is the risk chain's job.
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
from strategies.crossings import crossing_candidates
from strategies.indicators import FloatArray, ema, sma_last_two
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

# An EMA is recursive: its value depends on where the series starts. Computing it over SETTLE x period
# candles leaves the seed with little weight (< 0.3 %), which keeps the numbers close to what a chart with
# long history shows while the window stays fixed and small (the ATR of the stop: strategies.stops).
_SETTLE = 4


@dataclass(frozen=True, slots=True)
class MaCrossoverParams:
    """Parameters of :class:`MaCrossover`, each declared once (default, bounds, description): the
    settings' ``params`` table of ``kind = "ma_crossover"`` is derived from these fields. Validated on
    construction; unknown keys are errors.

    ``__pydantic_config__`` lets pydantic validate this stdlib dataclass (forbidding unknown keys)
    without the strategy importing pydantic.
    """

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    fast: int = param(10, "Fast moving-average length, in candles.", ge=2, le=1_000)
    slow: int = param(30, "Slow moving-average length; greater than fast.", ge=3, le=5_000)
    ma: Literal["ema", "sma"] = param("ema", "Moving-average type.")
    stop: StopKind = param("atr", **STOP)
    stop_percent: float = param(0.03, **STOP_PERCENT)
    atr_period: int = param(14, **ATR_PERIOD)
    atr_multiple: float = param(2.0, **ATR_MULTIPLE)

    def __post_init__(self) -> None:
        check_params(self, prefix="ma_crossover.")

    @staticmethod
    def conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The relation between valid fields: (field, what is allowed) where it does not hold."""
        if values["slow"] <= values["fast"]:
            return [("slow", f"greater than fast ({values['fast']})")]
        return []

    @property
    def ma_window(self) -> int:
        """Candles the MAs are computed over: two consecutive slow values (SMA), or a settled EMA."""
        return self.slow * _SETTLE if self.ma == "ema" else self.slow + 1

    @property
    def atr_window(self) -> int:
        """Candles the ATR is computed over (0 with a percent stop): ``period + 1`` plus settling."""
        return ProtectiveStop.of(self).window


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
        self._stop = ProtectiveStop.of(self.params)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        window = view.candles[-self.warmup :]
        columns = candle_columns(window)
        last_close = float(columns.close[-1])
        if not math.isfinite(last_close) or last_close <= 0:
            return []
        cross = self._cross(columns.close[-self.params.ma_window :])
        position = held(view)
        if cross > 0 and position is None:
            entry = entry_intent(self.name, view, window, columns, self._stop, "ma_cross_up")
            return [entry] if entry is not None else []
        if cross < 0 and position is not None:
            return [exit_intent(self.name, view, window[-1], position, "ma_cross_down")]
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
