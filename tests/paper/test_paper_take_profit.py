"""Honest stops and take-profits in simulation, on hand-made candles.

A take-profit is a sell limit paired one-cancels-other with its stop (``Order.oco_with``): it fills when a
candle's high trades through the target; when one candle spans both, the stop (the worse) fills first.
Then the same rules through the real executor: limit entry, stop and take-profit, chased exits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.core.execution import ExecutionPolicy, OrderExecutor
from bot.core.positions import PositionBook
from bot.domain import (
    IntentKind,
    InvalidOrder,
    Liquidity,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    OrderType,
    Side,
)
from tests.fakes import InMemoryAuditStore
from tests.paper.conftest import RULES, SYMBOL

SELL, LIMIT, STOP_MARKET = Side.SELL, OrderType.LIMIT, OrderType.STOP_MARKET
QUIET = (100.0, 100.5, 99.5, 100.0)
ONE_BTC = {"USDT": "10000", "BTC": "1"}
World = Any


def pair(world: World, target: str = "108", stop: str = "95", quantity: str = "1") -> tuple[Any, Any]:
    stop_order = world.place(SELL, STOP_MARKET, quantity, stop=stop, client_order_id="stop")
    take_profit = replace(world.order(SELL, LIMIT, quantity, target, client_order_id="tp"), oco_with="stop")
    return stop_order, world.broker.place_order(take_profit)


# --- the paper broker's one-cancels-other pair ------------------------------------------------


def test_a_take_profit_fills_when_the_high_trades_above_the_target_and_cancels_its_stop(
    make_world: World,
) -> None:
    world = make_world([QUIET, (100, 107.9, 99, 107), (107, 108.5, 106, 108)], balances=ONE_BTC)
    pair(world)
    assert world.poll(2).fills == ()  # a high below the target
    update = world.poll(3)
    (fill,) = update.fills
    assert (fill.client_order_id, fill.price, fill.liquidity) == ("tp", Decimal(108), Liquidity.MAKER)
    statuses = {o.client_order_id: o.status for o in update.orders}
    assert statuses == {"tp": OrderStatus.FILLED, "stop": OrderStatus.CANCELED}
    assert world.balance("BTC").total == 0 and world.balance("BTC").locked == 0
    assert world.broker.open_orders() == []


def test_a_candle_spanning_both_the_stop_and_the_take_profit_fills_the_stop(make_world: World) -> None:
    world = make_world([QUIET, (100, 110, 94, 100)], balances=ONE_BTC)
    pair(world)
    update = world.poll(2)
    (fill,) = update.fills
    assert (fill.client_order_id, fill.price) == ("stop", Decimal(95))
    assert world.broker.fetch_order(SYMBOL, "tp").status is OrderStatus.CANCELED
    assert {o.client_order_id for o in update.orders} == {"stop", "tp"}


def test_a_candle_opening_below_the_stop_fills_it_at_the_open_not_the_take_profit(make_world: World) -> None:
    world = make_world([QUIET, QUIET, (93, 110, 92, 100)], balances=ONE_BTC)
    pair(world)
    assert world.poll(2).fills == ()
    (fill,) = world.poll(3).fills
    assert (fill.client_order_id, fill.price) == ("stop", Decimal(93))


def test_the_pair_shares_the_base_its_stop_locks(make_world: World) -> None:
    world = make_world([QUIET, QUIET], balances=ONE_BTC)
    pair(world)
    assert (world.balance("BTC").free, world.balance("BTC").locked) == (0, 1)


def test_cancelling_the_stop_cancels_its_take_profit_too(make_world: World) -> None:
    world = make_world([QUIET, QUIET], balances=ONE_BTC)
    pair(world)
    world.broker.cancel_order(SYMBOL, "stop")
    assert world.broker.fetch_order(SYMBOL, "tp").status is OrderStatus.CANCELED
    assert [o.client_order_id for o in world.poll(1).orders] == ["tp"]
    assert world.balance("BTC").free == 1


@pytest.mark.parametrize(
    ("target", "quantity_tp", "match"),
    [("99", "1", "must rest"), ("108", "0.5", "same amount")],
)
def test_a_take_profit_that_would_fill_at_once_or_differs_from_its_stop_is_refused(
    make_world: World, target: str, quantity_tp: str, match: str
) -> None:
    world = make_world([QUIET, QUIET], balances=ONE_BTC)
    world.place(SELL, STOP_MARKET, "1", stop="95", client_order_id="stop")
    take_profit = replace(
        world.order(SELL, LIMIT, quantity_tp, target, client_order_id="tp"), oco_with="stop"
    )
    with pytest.raises(InvalidOrder, match=match):
        world.broker.place_order(take_profit)


def test_a_take_profit_without_an_open_stop_is_refused(make_world: World) -> None:
    world = make_world([QUIET, QUIET], balances=ONE_BTC)
    take_profit = replace(world.order(SELL, LIMIT, "1", "108"), oco_with="nope")
    with pytest.raises(InvalidOrder, match="not an open order"):
        world.broker.place_order(take_profit)


# --- through the executor ---------------------------------------------------------------------


class Trader:
    """The real executor on the paper broker, driven minute by minute like the engine does."""

    def __init__(self, world: World, **policy: Any) -> None:
        self.world = world
        self.store = InMemoryAuditStore()
        self.book = PositionBook()
        self.policy = ExecutionPolicy(entry_timeout=timedelta(minutes=5), **policy)
        self.executor = OrderExecutor(
            broker=world.broker, store=self.store, book=self.book, rules=lambda s: RULES,
            policy=self.policy, run_id=1,
        )  # fmt: skip
        self.closed: list[Any] = []

    def tick(self, minute: int, last: str | None = None) -> None:
        self.world.at(minute)
        now = self.world.time(minute)
        self.closed += self.executor.apply_update(self.world.broker.poll(now), now).closed
        self.executor.manage(now, {SYMBOL: Decimal(last)} if last else {})

    def intent(self, kind: IntentKind, minute: int, price: str) -> OrderIntent:
        side = Side.BUY if kind is IntentKind.ENTRY else Side.SELL
        raw = OrderIntent(
            intent_id=f"{kind.value}{minute}", strategy="t", symbol=SYMBOL, side=side, kind=kind,
            order_type=OrderType.LIMIT, reference_price=Decimal(price), created_at=self.world.time(minute),
            reason="test", stop_price=Decimal(95) if side is Side.BUY else None, quantity=Decimal("0.5"),
        )  # fmt: skip
        return self.policy.shape(raw, RULES)

    def submit(self, kind: IntentKind, minute: int, price: str) -> None:
        self.executor.submit(self.intent(kind, minute, price), self.world.time(minute))

    def orders(self, purpose: OrderPurpose) -> list[Any]:
        return [o for o in self.store.orders(1) if o.purpose is purpose]


def test_an_entry_gets_a_stop_and_take_profit_and_the_take_profit_closes_the_trade(make_world: World) -> None:
    world = make_world([QUIET, (100, 100.5, 99, 100), (100, 110.5, 99.8, 108), QUIET])
    trader = Trader(world, take_profit_r=Decimal(2))
    trader.submit(IntentKind.ENTRY, 1, "100")
    trader.tick(2, "100")
    [stop], [take_profit] = trader.orders(OrderPurpose.STOP), trader.orders(OrderPurpose.TAKE_PROFIT)
    assert (stop.stop_price, take_profit.price) == (Decimal(95), Decimal(110))
    trader.tick(3, "108")
    assert trader.book.position(SYMBOL) is None
    [closed] = trader.closed
    assert (closed.trade.exit_price, closed.stopped_out) == (Decimal(110), False)
    assert trader.store.get_order("sbentry1s0").status is OrderStatus.CANCELED


def test_through_the_executor_a_candle_spanning_stop_and_target_is_a_stop_out(make_world: World) -> None:
    world = make_world([QUIET, (100, 100.5, 99, 100), (100, 111, 94, 100), QUIET])
    trader = Trader(world, take_profit_r=Decimal(2))
    trader.submit(IntentKind.ENTRY, 1, "100")
    trader.tick(2, "100")
    trader.tick(3, "100")
    [closed] = trader.closed
    assert (closed.trade.exit_price, closed.stopped_out) == (Decimal(95), True)
    assert trader.store.get_order("sbentry1t0").status is OrderStatus.CANCELED
    assert trader.executor.open_orders() == ()


def test_an_exit_gapped_below_its_cap_is_chased_and_filled_on_the_next_tick(make_world: World) -> None:
    gap = (97.0, 98.0, 96.0, 97.5)
    world = make_world([QUIET, (100, 100.5, 99, 100), QUIET, gap, (97.3, 98, 97, 97.5)])
    trader = Trader(world)
    trader.submit(IntentKind.ENTRY, 1, "100")
    trader.tick(2, "100")
    trader.tick(3, "100")
    world.at(3)
    trader.submit(IntentKind.EXIT, 3, "100")  # capped at 99.50; candle 3 opens at 97: it rests, unfilled
    trader.tick(4, "97.5")
    first, chased = trader.orders(OrderPurpose.EXIT)
    assert (first.price, first.status) == (Decimal("99.5"), OrderStatus.CANCELED)
    assert chased.price == Decimal("97.02")  # 97.5 x 0.995 = 97.0125, rounded up
    trader.tick(5, "97.5")
    [closed] = trader.closed
    assert closed.trade.exit_price == Decimal("97.3")  # marketable: filled at the open, above the cap
    assert trader.book.position(SYMBOL) is None
