"""Balances, locks, cancels and what poll reports: exact Decimal accounting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from bot.domain import OrderNotFound, OrderStatus, OrderType, Side

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
QUIET = (100.0, 100.5, 99.5, 100.0)
DIP = (100.0, 100.5, 98.0, 99.0)
RALLY = (100.0, 106.0, 99.5, 105.0)
World = Any


def test_buy_then_sell_leaves_start_minus_fees_plus_pnl_exactly(make_world: World) -> None:
    world = make_world([QUIET, DIP, RALLY])
    world.place(BUY, LIMIT, "1.5", "99")
    (buy,) = world.poll(2).fills
    world.place(SELL, LIMIT, "1.5", "105")
    (sell,) = world.poll(3).fills

    pnl = (Decimal(105) - Decimal(99)) * Decimal("1.5")
    fees = Decimal("99") * Decimal("1.5") * Decimal("0.001") + Decimal("105") * Decimal("1.5") * Decimal(
        "0.001"
    )
    assert buy.fee + sell.fee == fees
    usdt, btc = world.balance("USDT"), world.balance("BTC")
    assert usdt.free == Decimal(10000) - fees + pnl == Decimal("10008.694")
    assert usdt.locked == btc.locked == btc.total == 0


def test_an_open_buy_locks_its_cost_with_fee_and_a_cancel_releases_it(make_world: World) -> None:
    world = make_world([QUIET, QUIET])
    world.place(BUY, LIMIT, "1", "99", client_order_id="b")
    usdt = world.balance("USDT")
    assert usdt.locked == Decimal("99.099")
    assert usdt.free == Decimal(10000) - Decimal("99.099")

    canceled = world.broker.cancel_order("BTC/USDT", "b")
    assert canceled.status is OrderStatus.CANCELED
    usdt = world.balance("USDT")
    assert (usdt.free, usdt.locked) == (Decimal(10000), 0)
    assert world.broker.open_orders() == []


def test_an_open_sell_locks_its_base_amount(make_world: World) -> None:
    world = make_world([QUIET, QUIET], balances={"USDT": "0", "BTC": "2"})
    world.place(SELL, LIMIT, "1.5", "110", client_order_id="s")
    world.place(SELL, OrderType.STOP_MARKET, "0.5", stop="90", client_order_id="stop")
    btc = world.balance("BTC")
    assert (btc.free, btc.locked) == (Decimal(0), Decimal(2))
    world.broker.cancel_order("BTC/USDT", "s")
    assert world.balance("BTC").free == Decimal("1.5")


def test_a_filled_order_releases_its_lock_exactly(make_world: World) -> None:
    world = make_world([QUIET, DIP])
    world.place(BUY, LIMIT, "1", "99")
    world.poll(2)
    usdt = world.balance("USDT")
    assert usdt.locked == 0
    assert usdt.free == Decimal(10000) - Decimal("99.099")


def test_cancel_and_fetch_of_unknown_orders_raise_order_not_found(make_world: World) -> None:
    world = make_world([QUIET])
    with pytest.raises(OrderNotFound, match="'nope'"):
        world.broker.cancel_order("BTC/USDT", "nope")
    with pytest.raises(OrderNotFound):
        world.broker.fetch_order("BTC/USDT", "nope")
    world.place(BUY, LIMIT, "1", "99", client_order_id="b")
    with pytest.raises(OrderNotFound):
        world.broker.fetch_order("ETH/USDT", "b")


def test_cancelling_a_terminal_order_returns_it_unchanged(make_world: World) -> None:
    world = make_world([QUIET, QUIET])
    world.place(BUY, MARKET, "1", client_order_id="m")
    filled = world.broker.cancel_order("BTC/USDT", "m")
    assert filled.status is OrderStatus.FILLED
    world.place(BUY, LIMIT, "1", "90", client_order_id="b")
    first = world.broker.cancel_order("BTC/USDT", "b")
    assert world.broker.cancel_order("BTC/USDT", "b") == first
    assert world.balance("USDT").locked == 0


def test_open_orders_lists_resting_orders_in_placement_order(make_world: World) -> None:
    world = make_world([QUIET, QUIET])
    world.place(BUY, LIMIT, "1", "90", client_order_id="a")
    world.place(BUY, LIMIT, "1", "91", client_order_id="b")
    assert [o.client_order_id for o in world.broker.open_orders("BTC/USDT")] == ["a", "b"]
    assert [o.status for o in world.broker.open_orders()] == [OrderStatus.OPEN] * 2
    assert world.broker.open_orders("ETH/USDT") == []


def test_poll_reports_each_change_once_with_deterministic_ids(make_world: World) -> None:
    world = make_world([QUIET, DIP, RALLY])
    world.place(BUY, LIMIT, "1", "99", client_order_id="b")
    world.place(BUY, LIMIT, "1", "80", client_order_id="far")
    update = world.poll(2)
    assert [o.client_order_id for o in update.orders] == ["b"]
    assert [(f.trade_id, f.client_order_id) for f in update.fills] == [("paper-1", "b")]
    assert world.poll(2).orders == () and world.poll(2).fills == ()
    order = world.broker.fetch_order("BTC/USDT", "b")
    assert (order.exchange_order_id, order.status, order.filled_quantity, order.average_fill_price) == (
        "paper-o-1",
        OrderStatus.FILLED,
        Decimal(1),
        Decimal(99),
    )


def test_venue_and_id_prefix_are_configurable(make_world: World) -> None:
    world = make_world([QUIET, QUIET], venue="paper-run-7", id_prefix="r7")
    assert world.place(BUY, MARKET, "1").exchange_order_id == "r7-o-1"
    (fill,) = world.poll(1).fills
    assert (fill.venue, fill.trade_id) == ("paper-run-7", "r7-1")


def test_poll_requires_an_aware_datetime(make_world: World) -> None:
    from datetime import datetime

    world = make_world([QUIET])
    with pytest.raises(ValueError, match="tz-aware"):
        world.broker.poll(datetime(2024, 1, 1))  # noqa: DTZ001
