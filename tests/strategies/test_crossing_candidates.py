"""The MA crossover's vectorised scan names every candle at which the strategy could act (a superset).

Backtests show ``on_candles`` only the candidates, so a candle missing from the scan would be a trade
the backtest silently never makes. These tests replay the strategy on every candle and compare.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import Candle, MarketRules, Position
from strategies.base import CandleColumns, ScansCandidates, StrategyView
from strategies.ma_crossover import MaCrossover, MaCrossoverParams

T0 = 1_704_067_200_000
NOW = datetime(2024, 1, 2, tzinfo=UTC)
RULES = MarketRules("X/USDT", "X", "USDT", Decimal("0.0001"), Decimal("0.0001"), Decimal(0), Decimal(0),
                    Decimal(0))  # fmt: skip
HELD = Position("X/USDT", Decimal(1), Decimal(1), NOW, stop_price=Decimal("0.5"))


def candles_of(closes: np.ndarray) -> list[Candle]:
    return [
        Candle("X/USDT", "1m", T0 + i * 60_000, float(c), float(c) * 1.001, float(c) * 0.999, float(c), 1.0)
        for i, c in enumerate(closes)
    ]


def acting_indices(strategy: MaCrossover, closes: np.ndarray) -> tuple[set[int], set[int]]:
    """Every candle index at which on_candles returns an intent: flat, and holding (the brute force)."""
    candles = candles_of(closes)
    acting: tuple[set[int], set[int]] = (set(), set())
    for i in range(strategy.warmup - 1, len(candles)):
        window = candles[i - strategy.warmup + 1 : i + 1]
        for held, position in enumerate((None, HELD)):
            if strategy.on_candles(StrategyView("X/USDT", "1m", window, position, RULES, NOW)):
                acting[held].add(i)
    return acting


def columns(closes: np.ndarray) -> CandleColumns:
    return CandleColumns(closes * 1.0, closes * 1.001, closes * 0.999, closes * 1.0)


params = st.builds(
    lambda fast, extra, ma: MaCrossoverParams(fast=fast, slow=fast + extra, ma=ma, stop="percent"),
    st.integers(2, 12),
    st.integers(1, 12),
    st.sampled_from(["ema", "sma"]),
)


@st.composite
def price_paths(draw: st.DrawFn) -> np.ndarray:
    """Random walks at any price level, and integer paths with plateaus (averages exactly equal)."""
    n = draw(st.integers(60, 260))
    if draw(st.booleans()):
        seed = draw(st.integers(0, 2**32 - 1))
        level = draw(st.sampled_from([1e-6, 0.05, 1.0, 100.0, 65_000.0]))
        steps = np.random.default_rng(seed).normal(0, draw(st.sampled_from([0.001, 0.01, 0.05])), n)
        return np.asarray(level * np.exp(np.cumsum(steps)), dtype=np.float64)
    moves = draw(st.lists(st.integers(-2, 2), min_size=n, max_size=n))
    return np.asarray(50 + np.cumsum(moves), dtype=np.float64).clip(1, None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=params, closes=price_paths())
def test_every_candle_where_the_strategy_acts_is_a_candidate(
    params: MaCrossoverParams, closes: np.ndarray
) -> None:
    strategy = MaCrossover("ma", "1m", params)
    found = strategy.scan_candidates(columns(closes))
    acting_flat, acting_holding = acting_indices(strategy, closes)
    assert not acting_flat - set(found.flat.tolist()), "the scan left out an entry"
    assert not acting_holding - set(found.holding.tolist()), "the scan left out an exit"


def test_the_scan_skips_most_candles_of_a_random_walk() -> None:
    closes = 100 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.002, 20_000)))
    for ma in ("sma", "ema"):
        strategy = MaCrossover("ma", "1m", MaCrossoverParams(fast=20, slow=50, ma=ma, stop="percent"))
        assert isinstance(strategy, ScansCandidates)
        found = strategy.scan_candidates(columns(closes))
        for candidates in (found.flat, found.holding):
            assert 0 < candidates.size < 0.03 * closes.size, f"{ma}: {candidates.size} candidates"
            assert candidates.min() >= strategy.warmup - 1
            assert np.all(np.diff(candidates) > 0)


def test_a_series_shorter_than_the_warmup_has_no_candidates() -> None:
    strategy = MaCrossover("ma", "1m", MaCrossoverParams(fast=3, slow=8, ma="ema"))
    found = strategy.scan_candidates(columns(np.linspace(1, 2, strategy.warmup - 1)))
    assert found.flat.size == found.holding.size == 0
