"""A symbol's candles on one timeframe as numpy columns: what every offline source produces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.domain import Candle, timeframe_ms

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class CandleSeries:
    """Closed OHLCV candles of one symbol, oldest first, as parallel numpy arrays.

    ``open_time`` (ms, UTC) is strictly increasing; consecutive opens are a whole number of candles
    apart, so a gap (missing candles) is allowed but an overlap or a misaligned candle is not.
    The arrays are made read-only so a series can be shared safely.
    """

    symbol: str
    timeframe: str
    open_time: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __post_init__(self) -> None:
        step = timeframe_ms(self.timeframe)
        columns = (self.open, self.high, self.low, self.close, self.volume)
        size = len(self.open_time)
        if size == 0:
            raise ValueError(f"{self.symbol}: a candle series needs at least one candle")
        if any(len(column) != size for column in columns):
            raise ValueError(f"{self.symbol}: OHLCV columns differ in length")
        if self.open_time.dtype != np.int64 or any(c.dtype != np.float64 for c in columns):
            raise ValueError(f"{self.symbol}: open_time must be int64 and prices/volume float64")
        gaps = np.diff(self.open_time)
        bad = np.flatnonzero((gaps <= 0) | (gaps % step != 0))
        if bad.size:
            i = int(bad[0]) + 1
            raise ValueError(
                f"{self.symbol}: candle {i} opens at {int(self.open_time[i])}, "
                f"{int(gaps[i - 1])} ms after the previous one; must be a positive multiple of {step} "
                f"({self.timeframe})"
            )
        for column in (self.open_time, *columns):
            column.flags.writeable = False

    def __len__(self) -> int:
        return len(self.open_time)

    @property
    def close_time(self) -> IntArray:
        """Close times (ms): the open time plus one timeframe."""
        return self.open_time + timeframe_ms(self.timeframe)

    def candle(self, index: int) -> Candle:
        return Candle(
            symbol=self.symbol,
            timeframe=self.timeframe,
            open_time=int(self.open_time[index]),
            open=float(self.open[index]),
            high=float(self.high[index]),
            low=float(self.low[index]),
            close=float(self.close[index]),
            volume=float(self.volume[index]),
        )

    def candles(self, start: int, stop: int) -> list[Candle]:
        """Candles ``start`` (inclusive) to ``stop`` (exclusive) as domain objects, oldest first."""
        times = self.open_time[start:stop].tolist()
        rows = zip(
            times,
            self.open[start:stop].tolist(),
            self.high[start:stop].tolist(),
            self.low[start:stop].tolist(),
            self.close[start:stop].tolist(),
            self.volume[start:stop].tolist(),
            strict=True,
        )
        return [Candle(self.symbol, self.timeframe, t, o, h, lo, c, v) for t, o, h, lo, c, v in rows]

    def median_close(self) -> float:
        return float(np.median(self.close))
