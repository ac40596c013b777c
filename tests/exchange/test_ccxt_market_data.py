"""CcxtMarketData against the fake Binance server, through the real ccxt client."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

import pytest

from bot.adapters.exchange import CcxtMarketData, ExchangeCaller, RetryPolicy, make_client
from bot.domain import InvalidOrder, RetryLater
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange, candles_ending_now

MINUTE = 60_000


class FixedClock:
    def __init__(self, at_ms: int) -> None:
        self.at = ms_to_datetime(at_ms)

    def now(self) -> datetime:
        return self.at


def market_data(fake: FakeExchange, now_ms: int, attempts: int = 3) -> CcxtMarketData:
    client = make_client(
        "binance", api_key=API_KEY, secret=API_SECRET, urls_override=fake.url, timeout_ms=3000
    )
    caller = ExchangeCaller(
        client, policy=RetryPolicy(attempts=attempts, initial=0.05, maximum=0.2, jitter=0.01)
    )
    return CcxtMarketData(client, ["BTC/USDT", "ETH/USDT"], "1m", FixedClock(now_ms), caller=caller)


def now_ms() -> int:
    return int(time.time() * 1000)


def test_loading_markets_makes_exactly_one_call(fake_exchange: FakeExchange) -> None:
    market_data(fake_exchange, now_ms()).rules("BTC/USDT")
    assert [(r["method"], r["path"]) for r in fake_exchange.log()] == [("GET", "/api/v3/exchangeInfo")]


def test_rules_are_parsed_from_exchange_info(fake_exchange: FakeExchange) -> None:
    md = market_data(fake_exchange, now_ms())
    btc = md.rules("BTC/USDT")
    assert (btc.symbol, btc.base, btc.quote) == ("BTC/USDT", "BTC", "USDT")
    assert btc.tick_size == Decimal("0.01")
    assert btc.step_size == Decimal("0.00001")
    assert btc.min_notional == Decimal(5)
    assert btc.min_quantity == btc.step_size or btc.min_quantity > 0
    assert btc.maker_fee == Decimal("0.001") and btc.taker_fee == Decimal("0.001")
    assert md.rules("ETH/USDT").step_size == Decimal("0.0001")
    assert md.venue == "binance"


def test_an_unknown_symbol_is_an_invalid_order(fake_exchange: FakeExchange) -> None:
    with pytest.raises(InvalidOrder, match="NOPE/USDT"):
        market_data(fake_exchange, now_ms()).rules("NOPE/USDT")


def test_the_forming_candle_is_never_returned(fake_exchange: FakeExchange) -> None:
    now = now_ms()
    rows = candles_ending_now([100, 101, 102, 103, 104], "1m", now=now)
    fake_exchange.set_candles("BTCUSDT", "1m", rows)
    forming_open = rows[-1][0]
    md = market_data(fake_exchange, now)
    candles = md.closed_candles("BTC/USDT", "1m", until_ms=forming_open + 30_000, limit=10)
    assert [c.open_time for c in candles] == [r[0] for r in rows[:-1]]
    assert [c.close for c in candles] == [100.0, 101.0, 102.0, 103.0]
    assert all(c.close_time <= forming_open for c in candles)
    assert isinstance(candles[0].open, float)


def test_closed_candles_keep_the_most_recent_limit_up_to_until(fake_exchange: FakeExchange) -> None:
    now = now_ms()
    rows = candles_ending_now([100, 101, 102, 103, 104, 105], "1m", now=now)
    fake_exchange.set_candles("BTCUSDT", "1m", rows)
    md = market_data(fake_exchange, now)
    until = rows[-2][0]  # the candle opening here is closed in reality but not by ``until``
    candles = md.closed_candles("BTC/USDT", "1m", until_ms=until, limit=2)
    assert [c.open_time for c in candles] == [rows[-4][0], rows[-3][0]]


def test_a_candle_is_not_closed_before_the_clock_says_so(fake_exchange: FakeExchange) -> None:
    now = now_ms()
    rows = candles_ending_now([100, 101, 102], "1m", now=now)
    fake_exchange.set_candles("BTCUSDT", "1m", rows)
    md = market_data(fake_exchange, now)
    candles = md.closed_candles("BTC/USDT", "1m", until_ms=now + 10 * MINUTE, limit=10)
    assert candles[-1].open_time == rows[-2][0]


def test_current_price_is_the_order_book_mid(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_price("BTCUSDT", 61_000)
    md = market_data(fake_exchange, now_ms())
    assert md.current_price("BTC/USDT", 0) == pytest.approx(61_000, rel=1e-4)
    bid, ask = md.book_top("BTC/USDT")
    assert bid is not None and ask is not None and bid < ask


def test_a_429_on_a_read_is_retried_after_retry_after(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_price("BTCUSDT", 60_000)
    md = market_data(fake_exchange, now_ms())
    md.rules("BTC/USDT")
    fake_exchange.fail("GET", "/api/v3/depth", "status", status=429, retry_after=1)
    started = time.monotonic()
    assert md.current_price("BTC/USDT", 0) == pytest.approx(60_000, rel=1e-4)
    assert time.monotonic() - started >= 0.95
    depth_calls = fake_exchange.log(path="/api/v3/depth")
    assert [r["status"] for r in depth_calls] == [429, 200]


def test_a_read_that_keeps_failing_ends_in_retry_later(fake_exchange: FakeExchange) -> None:
    md = market_data(fake_exchange, now_ms(), attempts=2)
    md.rules("BTC/USDT")
    fake_exchange.fail("GET", "/api/v3/depth", "status", status=503, times=5)
    with pytest.raises(RetryLater, match=r"fetch_order_book\(BTC/USDT\)"):
        md.current_price("BTC/USDT", 0)
    assert len(fake_exchange.log(path="/api/v3/depth")) == 2


def test_markets_reload_on_demand(fake_exchange: FakeExchange) -> None:
    md = market_data(fake_exchange, now_ms())
    md.rules("BTC/USDT")
    md.rules("ETH/USDT")
    md.reload_markets()
    md.rules("BTC/USDT")
    assert len(fake_exchange.log(path="/api/v3/exchangeInfo")) == 2


def test_time_is_read_through_the_clock_only(fake_exchange: FakeExchange) -> None:
    now = now_ms()
    rows = candles_ending_now([100, 101, 102, 103], "1m", now=now)
    fake_exchange.set_candles("BTCUSDT", "1m", rows)
    past_clock = rows[-2][0]  # our clock says only two candles have closed
    candles = market_data(fake_exchange, past_clock).closed_candles("BTC/USDT", "1m", until_ms=now, limit=10)
    assert [c.open_time for c in candles] == [rows[0][0], rows[1][0]]
    assert datetime_to_ms(FixedClock(past_clock).now()) == past_clock


def test_order_book_asks_a_depth_the_venue_accepts_and_keeps_the_levels_wanted(
    fake_exchange: FakeExchange,
) -> None:
    fake_exchange.set_price("BTCUSDT", 60_000)
    md = market_data(fake_exchange, now_ms())
    bids, asks = md.order_book("BTC/USDT", 7)
    assert fake_exchange.log(path="/api/v3/depth")[-1]["params"]["limit"] == "10"
    assert len(bids) == len(asks) == 7
    assert asks[0] == (Decimal("60003"), Decimal("0.16666")) and bids[0][0] == Decimal("59997")
    assert [p for p, _ in asks] == sorted(p for p, _ in asks)
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
