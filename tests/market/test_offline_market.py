"""The offline market: closed candles only, prices at candle opens, a clock range for the engine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.market import CandleSeries, OfflineMarket, build_offline_market, derive_rules

MINUTE = 60_000
T0 = 1_704_067_200_000


def _series(symbol: str, opens_at: list[int], prices: list[float]) -> CandleSeries:
    p = np.array(prices, dtype=np.float64)
    return CandleSeries(
        symbol, "1m", np.array(opens_at, dtype=np.int64), p, p * 1.01, p * 0.99, p * 1.005, np.ones(len(p))
    )


def _market(*series: CandleSeries) -> OfflineMarket:
    rules = {s.symbol: derive_rules(s.symbol, s.median_close(), min_notional=Decimal(10)) for s in series}
    return OfflineMarket({s.symbol: s for s in series}, rules, "1m")


# candles at T0, T0+1m, (gap), T0+4m, T0+5m
GAPPY = _series("BTC/USDT", [T0, T0 + MINUTE, T0 + 4 * MINUTE, T0 + 5 * MINUTE], [100.0, 101.0, 104.0, 105.0])


def test_venue_and_symbols() -> None:
    market = _market(GAPPY)
    assert market.venue == "sim"
    assert list(market.symbols()) == ["BTC/USDT"]
    assert market.rules("BTC/USDT").quote == "USDT"


def test_a_candle_is_returned_only_once_it_has_closed() -> None:
    market = _market(GAPPY)
    assert market.closed_candles("BTC/USDT", "1m", until_ms=T0 + MINUTE - 1, limit=10) == []
    closed = market.closed_candles("BTC/USDT", "1m", until_ms=T0 + MINUTE, limit=10)
    assert [c.open_time for c in closed] == [T0]
    assert closed[0].close_time == T0 + MINUTE


def test_closed_candles_are_the_most_recent_oldest_first() -> None:
    market = _market(GAPPY)
    closed = market.closed_candles("BTC/USDT", "1m", until_ms=T0 + 10 * MINUTE, limit=3)
    assert [c.open_time for c in closed] == [T0 + MINUTE, T0 + 4 * MINUTE, T0 + 5 * MINUTE]
    assert market.closed_candles("BTC/USDT", "1m", until_ms=T0 + 10 * MINUTE, limit=0) == []


@given(until=st.integers(min_value=T0 - 5 * MINUTE, max_value=T0 + 20 * MINUTE), limit=st.integers(0, 6))
def test_closed_candles_never_include_a_forming_candle(until: int, limit: int) -> None:
    market = _market(GAPPY)
    closed = market.closed_candles("BTC/USDT", "1m", until_ms=until, limit=limit)
    assert len(closed) <= limit
    assert all(c.close_time <= until for c in closed)
    every_closed = [t for t in GAPPY.open_time.tolist() if t + MINUTE <= until]
    assert [c.open_time for c in closed] == every_closed[max(0, len(every_closed) - limit) :]


def test_unknown_symbol_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown symbol 'ETH/USDT'; this market has: BTC/USDT"):
        _market(GAPPY).current_price("ETH/USDT", T0)


def test_current_price_is_the_open_of_the_candle_starting_then_or_next() -> None:
    market = _market(GAPPY)
    assert market.current_price("BTC/USDT", T0) == 100.0
    assert market.current_price("BTC/USDT", T0 + 1) == 101.0  # mid-candle: the next open
    assert market.current_price("BTC/USDT", T0 + 2 * MINUTE) == 104.0  # in a gap: the first open after it
    assert market.current_price("BTC/USDT", T0 + 5 * MINUTE) == 105.0
    assert market.current_price("BTC/USDT", T0 + 6 * MINUTE) is None  # the replay has ended


def test_candle_at_finds_exact_opens_only() -> None:
    market = _market(GAPPY)
    candle = market.candle_at("BTC/USDT", T0 + 4 * MINUTE)
    assert candle is not None and candle.open == 104.0
    assert market.candle_at("BTC/USDT", T0 + 2 * MINUTE) is None
    assert market.candle_at("BTC/USDT", T0 + 30) is None


def test_clock_range_and_timeline_span_all_symbols() -> None:
    later = _series("ETH/USDT", [T0 + 2 * MINUTE, T0 + 7 * MINUTE], [10.0, 11.0])
    market = _market(GAPPY, later)
    assert market.first_close_ms() == T0 + MINUTE
    assert market.last_close_ms() == T0 + 8 * MINUTE
    assert (market.timeline() - T0).tolist() == [m * MINUTE for m in (1, 2, 3, 5, 6, 8)]


def test_series_must_match_the_market() -> None:
    rules = {"BTC/USDT": derive_rules("BTC/USDT", 100.0, min_notional=Decimal(10))}
    with pytest.raises(ValueError, match="differs from the market's '5m'"):
        OfflineMarket({"BTC/USDT": GAPPY}, rules, "5m")
    with pytest.raises(ValueError, match="missing"):
        OfflineMarket({"BTC/USDT": GAPPY}, {}, "1m")


def test_series_refuses_overlapping_candles() -> None:
    with pytest.raises(ValueError, match="must be a positive multiple of 60000"):
        _series("BTC/USDT", [T0, T0 + 30_000], [1.0, 1.0])


def test_replayed_real_candles_are_served_in_time(shared_data: Path) -> None:
    market = build_offline_market(
        symbols=["ETH/BTC", "LTC/BTC"],
        timeframe="5m",
        csv_files={"ETH/BTC": shared_data / "ETH_BTC-5m.csv", "LTC/BTC": shared_data / "LTC_BTC-5m.csv"},
        min_notional={"BTC": Decimal("0.0001")},
    )
    assert market.first_close_ms() == 1515560400000
    start = market.first_close_ms()
    window = market.closed_candles("ETH/BTC", "5m", until_ms=start + 299_999, limit=50)
    assert [c.open_time for c in window] == [1515560100000]
    assert market.current_price("ETH/BTC", start) == 0.09946999
    rules = market.rules("ETH/BTC")
    assert (rules.base, rules.quote, rules.step_size, rules.min_notional) == (
        "ETH",
        "BTC",
        Decimal("0.0001"),
        Decimal("0.0001"),
    )


def test_repeated_requests_return_the_same_candles() -> None:
    market = _market(GAPPY)
    late = market.closed_candles("BTC/USDT", "1m", until_ms=T0 + 10 * MINUTE, limit=2)
    everything = market.closed_candles("BTC/USDT", "1m", until_ms=T0 + 10 * MINUTE, limit=10)
    assert everything[-2:] == late
    assert [c.open_time for c in everything] == GAPPY.open_time.tolist()
    assert [c.close for c in everything] == GAPPY.close.tolist()
    assert market.candle_at("BTC/USDT", T0 + MINUTE) == everything[1]


def test_a_long_replay_holds_a_bounded_number_of_built_candles_and_they_stay_right() -> None:
    """A daemon asks for the same recent window at every tick: the candles built for it are cached, but
    only the recent ones are kept (unbounded, a replay grew by every candle it passed)."""
    n = 30_000
    prices = [100.0 + (i % 97) for i in range(n)]
    market = _market(_series("BTC/USDT", [T0 + i * MINUTE for i in range(n)], prices))
    for i in range(60, n, 7):  # a strategy walking its 50-candle window candle by candle
        window = market.closed_candles("BTC/USDT", "1m", until_ms=T0 + i * MINUTE, limit=50)
        assert [float(c.open) for c in window][-1] == prices[i - 1]
    held = sum(len(cache) for cache in market._candles.values())
    assert 50 <= held <= 8192, held
    again = market.closed_candles("BTC/USDT", "1m", until_ms=T0 + 100 * MINUTE, limit=3)  # long dropped
    assert [float(c.open) for c in again] == prices[97:100]
