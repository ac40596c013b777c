"""The synthetic market: deterministic, realistic OHLC, regimes that trend both ways."""

from __future__ import annotations

import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.market import (
    CandleSeries,
    Regime,
    SyntheticSymbol,
    generate_synthetic,
    generate_synthetic_market,
)

START_MS = 1_704_067_200_000
SPECS = [
    SyntheticSymbol("BTC/USDT", 40_000.0, 0.03),
    SyntheticSymbol("ETH/USDT", 2_500.0, 0.04),
    SyntheticSymbol("SOL/USDT", 100.0, 0.06),
]


def _market(seed: int, candles: int = 2_000) -> dict[str, CandleSeries]:
    return generate_synthetic_market(SPECS, timeframe="5m", candles=candles, start_ms=START_MS, seed=seed)


def _columns(series: CandleSeries) -> list[np.ndarray]:
    return [getattr(series, name) for name in ("open_time", "open", "high", "low", "close", "volume")]


def test_same_seed_gives_identical_candles() -> None:
    first, second = _market(7), _market(7)
    for symbol in first:
        for a, b in zip(_columns(first[symbol]), _columns(second[symbol]), strict=True):
            assert np.array_equal(a, b)


def test_different_seeds_give_different_candles() -> None:
    first, second = _market(7), _market(8)
    for symbol in first:
        assert not np.array_equal(first[symbol].close, second[symbol].close)


def test_each_symbol_has_its_own_start_price_and_stream() -> None:
    market = _market(3)
    for spec in SPECS:
        assert market[spec.symbol].open[0] == spec.start_price
    only_btc = generate_synthetic_market(SPECS[:1], timeframe="5m", candles=2_000, start_ms=START_MS, seed=3)
    assert np.array_equal(only_btc["BTC/USDT"].close, market["BTC/USDT"].close)


def test_candles_are_one_timeframe_apart_from_the_start() -> None:
    series = generate_synthetic(SPECS[0], timeframe="1h", candles=10, start_ms=START_MS, seed=0).series
    assert series.open_time.tolist() == [START_MS + i * 3_600_000 for i in range(10)]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    start_price=st.floats(min_value=1e-4, max_value=1e6),
    volatility=st.floats(min_value=0.005, max_value=0.3),
    timeframe=st.sampled_from(["1m", "5m", "1h", "1d"]),
)
def test_ohlc_invariants_hold_for_any_seed(
    seed: int, start_price: float, volatility: float, timeframe: str
) -> None:
    spec = SyntheticSymbol("X/USDT", start_price, volatility)
    s = generate_synthetic(spec, timeframe=timeframe, candles=3_000, start_ms=START_MS, seed=seed).series
    assert np.all(s.high >= np.maximum(s.open, s.close))
    assert np.all(s.low <= np.minimum(s.open, s.close))
    assert np.all(s.low > 0)
    assert np.all(s.volume > 0)
    assert np.all(np.isfinite(np.stack([s.open, s.high, s.low, s.close, s.volume])))
    assert s.open[0] == start_price
    gapped = np.mean(s.open[1:] != s.close[:-1])
    assert 0 < gapped < 0.1, "open = previous close, except for an occasional small gap"


def test_regimes_switch_every_few_hundred_candles_and_trend_both_ways() -> None:
    path = generate_synthetic(SPECS[0], timeframe="5m", candles=20_000, start_ms=START_MS, seed=11)
    regimes = path.regimes
    switches = np.flatnonzero(np.diff(regimes)) + 1
    runs = np.diff(np.concatenate(([0], switches, [len(regimes)])))
    assert set(np.unique(regimes)) == {r.value for r in Regime}
    assert np.median(runs) >= 150
    log_returns = np.diff(np.log(path.series.close))
    in_regime = regimes[1:]
    assert log_returns[in_regime == Regime.TRENDING_UP].mean() > 0
    assert log_returns[in_regime == Regime.TRENDING_DOWN].mean() < 0
    volatile = log_returns[in_regime == Regime.VOLATILE].std()
    assert volatile > 2 * log_returns[in_regime == Regime.RANGING].std()


def test_price_both_rallies_and_sells_off_over_a_run() -> None:
    close = generate_synthetic(
        SPECS[0], timeframe="5m", candles=10_000, start_ms=START_MS, seed=5
    ).series.close
    window = 500
    change = close[window:] / close[:-window] - 1
    assert change.max() > 0.03
    assert change.min() < -0.03


def test_generation_is_fast() -> None:
    started = time.perf_counter()
    generate_synthetic_market(SPECS, timeframe="5m", candles=100_000, start_ms=START_MS, seed=1)
    assert time.perf_counter() - started < 1.0
