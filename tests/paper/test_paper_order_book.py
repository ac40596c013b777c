"""Arrival fills against an order book (bot/adapters/paper/arrival.py) on a market that provides one, and the
offline market, which has none, filling at the next open as before."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from bot.adapters.market import OfflineMarket
from bot.adapters.paper import PaperBroker
from bot.adapters.paper.arrival import walk
from bot.adapters.paper.broker import KEEP_FINISHED
from bot.core.ports import BookDepth, BookLevels
from bot.domain import Candle, InvalidOrder, MarketRules, OrderNotFound, OrderStatus, OrderType, Side
from tests.paper.conftest import MINUTE, T0, FakeClock, PaperWorld, market_of

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
QUIET = (100.0, 100.5, 99.5, 100.0)
World = Any


def levels(*rows: tuple[str, str]) -> BookLevels:
    return [(Decimal(p), Decimal(q)) for p, q in rows]


class BookMarket:
    """An offline market plus a fixed order book: what a live venue's market data provides."""

    def __init__(self, market: OfflineMarket, bids: BookLevels, asks: BookLevels) -> None:
        self.venue = market.venue
        self._market = market
        self.bids, self.asks = bids, asks

    def symbols(self) -> Sequence[str]:
        return self._market.symbols()

    def rules(self, symbol: str) -> MarketRules:
        return self._market.rules(symbol)

    def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int) -> Sequence[Candle]:
        return self._market.closed_candles(symbol, timeframe, until_ms=until_ms, limit=limit)

    def current_price(self, symbol: str, at_ms: int) -> float | None:
        return self._market.current_price(symbol, at_ms)

    def order_book(self, symbol: str, depth: int) -> tuple[BookLevels, BookLevels]:
        return self.bids[:depth], self.asks[:depth]


BIDS = levels(("99.9", "1"), ("99.8", "2"), ("99.7", "3"))
ASKS = levels(("100.1", "1"), ("100.2", "2"), ("100.3", "3"))


def book_world(slippage_bps: str = "0", bids: BookLevels = BIDS, asks: BookLevels = ASKS) -> PaperWorld:
    offline = market_of([QUIET, QUIET, QUIET])
    market = BookMarket(offline, bids, asks)
    clock = FakeClock(T0 + MINUTE)
    broker = PaperBroker(
        market, clock, timeframe="1m", starting_balances={"USDT": Decimal(10_000), "BTC": Decimal(10)},
        slippage_bps=Decimal(slippage_bps),
    )  # fmt: skip
    return PaperWorld(broker, clock, offline)


def test_walk_averages_the_levels_taken_by_size() -> None:
    assert walk(ASKS, Decimal("0.5"), BUY) == Decimal("100.1")
    assert walk(ASKS, Decimal(2), BUY) == Decimal("100.15")  # 1 @ 100.1 + 1 @ 100.2
    assert walk(BIDS, Decimal(3), SELL) == (Decimal("99.9") + Decimal("99.8") * 2) / 3
    assert walk(ASKS, Decimal(7), BUY) is None  # the levels hold 6
    assert walk(ASKS, Decimal(2), BUY, limit=Decimal("100.1")) is None  # only 1 within the limit
    assert walk(BIDS, Decimal(3), SELL, limit=Decimal("99.8")) is not None


def test_the_offline_market_has_no_book_and_a_market_buy_fills_at_the_next_open(make_world: World) -> None:
    world = make_world([QUIET, (100.005, 101, 99, 100)], slippage_bps="10")
    assert not isinstance(world.market, BookDepth)
    world.place(BUY, MARKET, "1")
    (fill,) = world.poll(1).fills
    assert fill.price == Decimal("100.11")  # 100.005 × 1.001, rounded up: unchanged by the book walk


def test_a_market_buy_on_a_book_market_pays_the_walked_average_plus_slippage() -> None:
    world = book_world(slippage_bps="10")
    world.place(BUY, MARKET, "2")
    (fill,) = world.poll(1).fills
    assert fill.price == Decimal("100.26")  # 100.15 × 1.001 = 100.25015, rounded up


def test_a_market_sell_beyond_the_book_is_rejected() -> None:
    world = book_world()
    with pytest.raises(InvalidOrder, match=r"not enough liquidity within 5 levels.*available 6"):
        world.place(SELL, MARKET, "7")
    assert world.balance("BTC").free == Decimal(10)


def test_a_market_order_on_an_empty_side_is_rejected() -> None:
    world = book_world(asks=[])
    with pytest.raises(InvalidOrder, match="not enough liquidity"):
        world.place(BUY, MARKET, "1")


def test_slippage_never_pushes_a_marketable_limit_past_its_limit() -> None:
    world = book_world(slippage_bps="50")
    world.place(BUY, LIMIT, "2", "100.3")
    (fill,) = world.poll(1).fills
    assert fill.price == Decimal("100.3")  # 100.15 × 1.005 = 100.65 is capped at the limit


def test_a_marketable_limit_the_book_cannot_fill_within_its_limit_rests_whole() -> None:
    world = book_world()
    placed = world.place(SELL, LIMIT, "4", "99.8")  # bids at or above 99.8 hold 3
    assert placed.status is OrderStatus.OPEN
    assert world.poll(1).fills == ()
    assert world.balance("BTC").locked == Decimal(4)


def test_old_finished_orders_are_forgotten_like_a_venues_archive_open_ones_never(make_world: World) -> None:
    world = make_world([QUIET] * 5)
    resting = world.place(BUY, LIMIT, "0.2", price="90")  # stays open the whole time
    finished = []
    for _ in range(2 * KEEP_FINISHED + 1):
        order = world.place(BUY, LIMIT, "0.2", price="90")
        world.broker.cancel_order(order.symbol, order.client_order_id)
        finished.append(order.client_order_id)
    world.poll(2)

    with pytest.raises(OrderNotFound):
        world.broker.fetch_order(resting.symbol, finished[0])
    assert world.broker.fetch_order(resting.symbol, finished[-KEEP_FINISHED]).status is OrderStatus.CANCELED
    assert world.broker.fetch_order(resting.symbol, resting.client_order_id).status is OrderStatus.OPEN
    assert [o.client_order_id for o in world.broker.open_orders()] == [resting.client_order_id]
