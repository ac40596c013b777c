"""A deterministic synthetic market: regime-switching candles, generated up front into numpy arrays.

The close path is built regime by regime, each regime lasting a few hundred candles (150 to 600,
drawn at random): trending up, trending down, ranging (an AR(1), i.e. mean-reverting, deviation
around the level where the range began) and volatile (no drift, 2.5x volatility). Trend direction
leans back towards the start price, so long runs stay within a plausible band instead of drifting to
zero or infinity.

Candles: open = previous close, except for an occasional small gap (3 % of candles); high/low add a
wick above max(open, close) and below min(open, close) scaled by the candle's volatility; volume is
positive and larger on big moves. The same seed gives identical candles; each symbol draws from its
own stream, derived from the seed and the symbol name, so adding a symbol never changes the others.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from bot.domain import TIMEFRAME_SECONDS, timeframe_ms
from bot.domain.series import CandleSeries, FloatArray

MIN_REGIME_CANDLES = 150
MAX_REGIME_CANDLES = 600
TREND_DRIFT = 0.12  # drift per candle in a trend, in units of the candle volatility
RANGE_REVERSION = 0.04  # share of the deviation from the range's level undone each candle
RANGE_VOLATILITY = 0.8
VOLATILE_VOLATILITY = 2.5
GAP_PROBABILITY = 0.03
GAP_VOLATILITY = 0.5
WICK_VOLATILITY = 0.6
BASE_VOLUME = 100.0
HOME_PULL = 2.0  # how strongly trend direction leans back to the start price (per unit of log distance)


class Regime(IntEnum):
    RANGING = 0
    TRENDING_UP = 1
    TRENDING_DOWN = 2
    VOLATILE = 3


_REGIME_KIND_WEIGHTS = np.array([0.35, 0.45, 0.20])  # ranging, trending (either way), volatile


@dataclass(frozen=True, slots=True)
class SyntheticSymbol:
    """One synthetic market: its start price and its daily volatility (std of daily log returns)."""

    symbol: str
    start_price: float
    daily_volatility: float = 0.03

    def __post_init__(self) -> None:
        if not (np.isfinite(self.start_price) and self.start_price > 0):
            raise ValueError(f"{self.symbol}: start_price must be > 0, got {self.start_price}")
        if not (np.isfinite(self.daily_volatility) and 0 < self.daily_volatility < 1):
            raise ValueError(
                f"{self.symbol}: daily_volatility must be in (0, 1), got {self.daily_volatility}"
            )


@dataclass(frozen=True, slots=True, eq=False)
class SyntheticPath:
    """Generated candles with the regime each candle belongs to (for tests and diagnostics)."""

    series: CandleSeries
    regimes: npt.NDArray[np.int8]


def symbol_rng(seed: int, symbol: str) -> np.random.Generator:
    """The random stream of one symbol: a function of the seed and the symbol name only."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(symbol.encode()),)))


def generate_synthetic(
    spec: SyntheticSymbol, *, timeframe: str, candles: int, start_ms: int, seed: int
) -> SyntheticPath:
    """``candles`` candles of ``spec.symbol`` opening at ``start_ms``, one timeframe apart."""
    step_ms = timeframe_ms(timeframe)
    if candles < 1:
        raise ValueError(f"candles must be >= 1, got {candles}")
    if start_ms % step_ms:
        raise ValueError(f"start_ms {start_ms} is not aligned to the {timeframe} timeframe ({step_ms} ms)")
    rng = symbol_rng(seed, spec.symbol)
    sigma = spec.daily_volatility * float(np.sqrt(TIMEFRAME_SECONDS[timeframe] / 86_400))
    log_start = float(np.log(spec.start_price))
    log_close, vol_scale, regimes = _close_path(rng, candles, sigma, log_start)

    gaps = np.where(
        rng.random(candles) < GAP_PROBABILITY, rng.normal(0.0, GAP_VOLATILITY * sigma, candles), 0.0
    )
    log_open = np.concatenate(([log_start], log_close[:-1])) + gaps
    log_open[0] = log_start
    candle_sigma = sigma * vol_scale
    wick_up = np.abs(rng.standard_normal(candles)) * WICK_VOLATILITY * candle_sigma
    wick_down = np.abs(rng.standard_normal(candles)) * WICK_VOLATILITY * candle_sigma
    open_ = np.exp(log_open)
    open_[0] = spec.start_price  # exactly, not exp(log(start))
    close = np.exp(log_close)
    high = np.maximum(open_, close) * np.exp(wick_up)
    low = np.minimum(open_, close) * np.exp(-wick_down)
    move = np.abs(log_close - log_open) / candle_sigma
    volume = BASE_VOLUME * np.exp(0.4 * rng.standard_normal(candles)) * (1.0 + move)

    open_time = start_ms + np.arange(candles, dtype=np.int64) * step_ms
    series = CandleSeries(spec.symbol, timeframe, open_time, open_, high, low, close, volume)
    return SyntheticPath(series=series, regimes=regimes)


def generate_synthetic_market(
    specs: list[SyntheticSymbol], *, timeframe: str, candles: int, start_ms: int, seed: int
) -> dict[str, CandleSeries]:
    """Candles for several symbols over the same time span, each with its own random stream."""
    return {
        spec.symbol: generate_synthetic(
            spec, timeframe=timeframe, candles=candles, start_ms=start_ms, seed=seed
        ).series
        for spec in specs
    }


def _close_path(
    rng: np.random.Generator, candles: int, sigma: float, log_start: float
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int8]]:
    """Log closes, the volatility multiplier and the regime of every candle."""
    log_close = np.empty(candles)
    vol_scale = np.empty(candles)
    regimes = np.empty(candles, dtype=np.int8)
    noise = rng.standard_normal(candles)
    level = log_start
    begin = 0
    while begin < candles:
        end = min(candles, begin + int(rng.integers(MIN_REGIME_CANDLES, MAX_REGIME_CANDLES + 1)))
        regime = _pick_regime(rng, level - log_start)
        shocks = noise[begin:end] * sigma
        if regime is Regime.RANGING:
            segment = level + _ar1(shocks * RANGE_VOLATILITY, 1.0 - RANGE_REVERSION)
            scale = RANGE_VOLATILITY
        elif regime is Regime.VOLATILE:
            segment = level + np.cumsum(shocks * VOLATILE_VOLATILITY)
            scale = VOLATILE_VOLATILITY
        else:
            drift = TREND_DRIFT * sigma * (1.0 if regime is Regime.TRENDING_UP else -1.0)
            segment = level + np.cumsum(shocks + drift)
            scale = 1.0
        log_close[begin:end] = segment
        vol_scale[begin:end] = scale
        regimes[begin:end] = regime
        level = float(segment[-1])
        begin = end
    return log_close, vol_scale, regimes


def _pick_regime(rng: np.random.Generator, distance_from_start: float) -> Regime:
    kind = int(rng.choice(3, p=_REGIME_KIND_WEIGHTS))
    if kind == 0:
        return Regime.RANGING
    if kind == 2:
        return Regime.VOLATILE
    p_up = 1.0 / (1.0 + float(np.exp(HOME_PULL * distance_from_start)))
    return Regime.TRENDING_UP if rng.random() < p_up else Regime.TRENDING_DOWN


def _ar1(shocks: FloatArray, phi: float) -> FloatArray:
    """``d[t] = phi * d[t-1] + shocks[t]`` with ``d[-1] = 0``, vectorised.

    Uses ``d[t] = phi**t * cumsum(shocks[s] / phi**s)``; segments are at most a few hundred candles
    long, so ``phi**-t`` stays far from overflow and the result is accurate to rounding.
    """
    powers = phi ** np.arange(len(shocks), dtype=np.float64)
    result: FloatArray = powers * np.cumsum(shocks / powers)
    return result
