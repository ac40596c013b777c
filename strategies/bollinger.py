"""Long-only Bollinger-band mean reversion, for ranging markets: buy when the close crosses back up over the
lower band (the stretch below the mean is over), sell when it reaches the middle band (the mean) or the
upper band (``exit_band``).

An entry is skipped when the close has already reached the exit band (a jump from below the lower band to
the target in one candle leaves nothing to revert). The bands are not recursive: they depend on the last
``period`` closes only, so the decision reads the last ``period + 1`` closes (two consecutive bands) and
the same last ``warmup`` candles always give the same intents (DESIGN invariant 9).

Entries carry a protective stop (:mod:`strategies.stops`) and no quantity: sizing is the risk chain's job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from bot.domain import OrderIntent, timeframe_ms
from bot.domain.params import check_params, param
from strategies.base import Candidates, CandleColumns, StrategyView, candle_columns
from strategies.crossings import RELATIVE_SLACK
from strategies.indicators import FloatArray, bollinger
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
class BollingerParams:
    """Parameters of :class:`Bollinger`, each declared once (default, bounds, description); validated on
    construction, unknown keys are errors (``__pydantic_config__``, as for ma_crossover)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    period: int = param(20, "Bands' length (their SMA and standard deviation), in candles.", ge=2, le=1_000)
    std_devs: float = param(2.0, "Bands' distance from the middle, in standard deviations.", gt=0, le=10)
    exit_band: Literal["middle", "upper"] = param("middle", "Sell when the close reaches this band.")
    stop: StopKind = param("atr", **STOP)
    stop_percent: float = param(0.03, **STOP_PERCENT)
    atr_period: int = param(14, **ATR_PERIOD)
    atr_multiple: float = param(2.0, **ATR_MULTIPLE)

    def __post_init__(self) -> None:
        check_params(self, prefix="bollinger.")

    @property
    def band_window(self) -> int:
        """Closes the decision reads: two consecutive bands."""
        return self.period + 1


class Bollinger:
    """Long-only Bollinger mean reversion on one timeframe; implements :class:`strategies.base.Strategy`."""

    def __init__(self, name: str, timeframe: str, params: BollingerParams | None = None) -> None:
        if not name:
            raise ValueError("strategy name must not be empty")
        timeframe_ms(timeframe)  # raises ValueError naming the allowed timeframes
        self.name = name
        self.timeframe = timeframe
        self.params = params if params is not None else BollingerParams()
        self._stop = ProtectiveStop.of(self.params)
        self.warmup = max(self.params.band_window, self._stop.window)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if len(view.candles) < self.warmup:
            return []
        window = view.candles[-self.warmup :]
        columns = candle_columns(window)
        closes = columns.close[-self.params.band_window :]
        last_close = float(closes[-1])
        if not math.isfinite(last_close) or last_close <= 0:
            return []
        lower, target = self._bands(closes)
        close_before, close = closes[-2:].tolist()
        lower_before, lower_last = lower[-2:].tolist()
        position = held(view)
        if position is None and close_before <= lower_before and lower_last < close < target[-1]:
            entry = entry_intent(self.name, view, window, columns, self._stop, "bollinger_back_above_lower")
            return [entry] if entry is not None else []
        if position is not None and close >= target[-1]:
            reason = f"bollinger_reached_{self.params.exit_band}"
            return [exit_intent(self.name, view, window[-1], position, reason)]
        return []

    def _bands(self, closes: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The lower band and the exit band (middle or upper) of ``closes``."""
        lower, middle, upper = bollinger(closes, self.params.period, self.params.std_devs)
        return lower, middle if self.params.exit_band == "middle" else upper

    def scan_candidates(self, candles: CandleColumns) -> Candidates:
        """The bands of every candle at once (not recursive: each candle's are the decision window's,
        up to the rounding of the sums), and the candles where the close may cross back over the lower
        band (flat) or may be at the exit band (holding), within a slack of that rounding."""
        closes = np.asarray(candles.close, dtype=np.float64)
        if closes.size < 2:
            return Candidates(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        lower, target = self._bands(closes)
        finite = np.abs(closes[np.isfinite(closes)])
        slack = RELATIVE_SLACK * float(finite.max()) if finite.size else 0.0
        with np.errstate(invalid="ignore"):  # NaN before the bands exist compares False
            enters = np.zeros(closes.size, dtype=bool)
            enters[1:] = (closes[:-1] <= lower[:-1] + slack) & (closes[1:] > lower[1:] - slack)
            exits = closes >= target - slack
        first = self.warmup - 1
        return Candidates(
            flat=np.flatnonzero(enters[first:]).astype(np.int64) + first,
            holding=np.flatnonzero(exits[first:]).astype(np.int64) + first,
        )
