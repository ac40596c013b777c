"""The paper broker refuses what an exchange would, with the project's error classes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.domain import InsufficientFunds, InvalidOrder, OrderRejected, OrderType, Side

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
QUIET = (100.0, 100.5, 99.5, 100.0)
World = Any


@pytest.fixture
def world(make_world: World) -> World:
    return make_world([QUIET, QUIET, QUIET])


def test_an_order_below_min_notional_is_invalid(world: World) -> None:
    with pytest.raises(InvalidOrder, match=r"notional 9\.9.* is below the minimum notional 10 USDT"):
        world.place(BUY, LIMIT, "0.1", "99")


def test_a_price_off_the_tick_grid_is_invalid(world: World) -> None:
    with pytest.raises(InvalidOrder, match=r"price 99\.005 is not allowed.*tick size 0\.01"):
        world.place(BUY, LIMIT, "1", "99.005")


def test_a_stop_price_off_the_tick_grid_is_invalid(make_world: World) -> None:
    world = make_world([QUIET, QUIET], balances={"BTC": "1"})
    with pytest.raises(InvalidOrder, match=r"stop_price 95\.001 is not allowed"):
        world.place(SELL, OrderType.STOP_MARKET, "1", stop="95.001")


def test_an_amount_off_the_step_grid_is_invalid(world: World) -> None:
    with pytest.raises(InvalidOrder, match=r"quantity 0\.1005 is not allowed.*step size 0\.001"):
        world.place(BUY, LIMIT, "0.1005", "99")


def test_a_limit_without_price_is_invalid(world: World) -> None:
    with pytest.raises(InvalidOrder, match="price is required"):
        world.place(BUY, LIMIT, "1")


def test_not_enough_quote_for_a_buy_is_insufficient_funds(world: World) -> None:
    with pytest.raises(InsufficientFunds, match=r"insufficient USDT balance.*needs 10008\.999, free 10000"):
        world.place(BUY, LIMIT, "101", "99")  # 9999 + maker fee 9.999
    with pytest.raises(InsufficientFunds, match="insufficient USDT"):
        world.place(BUY, MARKET, "100")  # 10000 at 100 + taker fee


def test_not_enough_base_for_a_sell_is_insufficient_funds(world: World) -> None:
    with pytest.raises(InsufficientFunds, match=r"insufficient BTC balance.*needs 1.*free 0"):
        world.place(SELL, LIMIT, "1", "101")
    with pytest.raises(InsufficientFunds, match="insufficient BTC"):
        world.place(SELL, MARKET, "1")


def test_locked_funds_are_not_free_for_another_order(world: World) -> None:
    world.place(BUY, LIMIT, "60", "99")
    with pytest.raises(InsufficientFunds):
        world.place(BUY, LIMIT, "60", "99")


def test_a_duplicate_client_order_id_of_an_open_order_is_invalid(world: World) -> None:
    world.place(BUY, LIMIT, "1", "99", client_order_id="same")
    with pytest.raises(InvalidOrder, match="duplicate order: client order id same is still open"):
        world.place(BUY, LIMIT, "1", "98", client_order_id="same")
    world.broker.cancel_order("BTC/USDT", "same")
    again = world.place(BUY, LIMIT, "1", "98", client_order_id="same")  # like Binance: reusable once closed
    assert again.price == Decimal(98)


def test_an_unknown_symbol_is_invalid(world: World) -> None:
    with pytest.raises(InvalidOrder, match=r"unknown symbol 'ETH/USDT'; this venue trades: BTC/USDT"):
        world.place(BUY, LIMIT, "1", "99", symbol="ETH/USDT")


def test_buy_stops_are_not_supported(world: World) -> None:
    with pytest.raises(InvalidOrder, match="stop orders must be sells"):
        world.place(BUY, OrderType.STOP_MARKET, "1", stop="101")


def test_a_sell_stop_at_or_above_the_price_would_trigger_immediately(make_world: World) -> None:
    world = make_world([QUIET, QUIET], balances={"BTC": "1"})
    with pytest.raises(
        InvalidOrder, match=r"stop price 100 would trigger immediately.*current price is 100\.0"
    ):
        world.place(SELL, OrderType.STOP_MARKET, "1", stop="100")


def test_a_market_order_after_the_data_ended_is_rejected(world: World) -> None:
    world.at(10)
    with pytest.raises(OrderRejected, match="no market price"):
        world.place(BUY, MARKET, "1")


def test_a_rejected_order_changes_nothing(world: World) -> None:
    before = world.broker.balances()
    with pytest.raises(InsufficientFunds):
        world.place(BUY, LIMIT, "200", "99")
    assert world.broker.balances() == before
    assert world.broker.open_orders() == []
    assert world.place(BUY, LIMIT, "1", "99").exchange_order_id == "paper-o-1"
