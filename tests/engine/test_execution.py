"""Execution: persist then send, same client id on retry, look up the unknown, stops on every position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.execution import ExecutionPolicy, OrderExecutor
from bot.core.positions import PositionBook
from bot.domain import (
    IntentKind,
    InvalidOrder,
    MarketRules,
    OrderIntent,
    OrderNotFound,
    OrderPurpose,
    OrderStatus,
    OrderType,
    RetryLater,
    Side,
)
from tests.fakes import InMemoryAuditStore, ScriptedBroker

T0 = datetime(2024, 1, 1, tzinfo=UTC)
RULES = MarketRules(
    "BTC/USDT",
    "BTC",
    "USDT",
    Decimal("0.01"),
    Decimal("0.0001"),
    Decimal(10),
    Decimal("0.001"),
    Decimal("0.001"),
)


def entry(intent_id: str = "i1", qty: str = "0.5", stop: str = "95") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        strategy="s",
        symbol="BTC/USDT",
        side=Side.BUY,
        kind=IntentKind.ENTRY,
        order_type=OrderType.LIMIT,
        reference_price=Decimal(100),
        created_at=T0,
        reason="test",
        limit_price=Decimal(100),
        stop_price=Decimal(stop),
        quantity=Decimal(qty),
    )


def exit_intent(intent_id: str = "x1", qty: str = "0.5") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id,
        strategy="s",
        symbol="BTC/USDT",
        side=Side.SELL,
        kind=IntentKind.EXIT,
        order_type=OrderType.MARKET,
        reference_price=Decimal(100),
        created_at=T0,
        reason="test",
        quantity=Decimal(qty),
    )


class Setup:
    def __init__(self) -> None:
        self.store = InMemoryAuditStore()
        self.broker = ScriptedBroker()
        self.book = PositionBook()
        self.executor = self.new_executor()

    def new_executor(self) -> OrderExecutor:
        """A fresh executor on the same store and broker: what a restart sees."""
        return OrderExecutor(
            broker=self.broker,
            store=self.store,
            book=self.book,
            rules=lambda s: RULES,
            policy=ExecutionPolicy(entry_timeout=timedelta(minutes=15)),
            run_id=1,
        )

    def stored(self, purpose: OrderPurpose) -> list:
        return [o for o in self.store.orders(1) if o.purpose is purpose]


@pytest.fixture
def s() -> Setup:
    return Setup()


def test_order_is_stored_before_it_is_sent_and_retried_under_the_same_id(s: Setup) -> None:
    s.broker.place_errors.append(RetryLater("exchange busy"))
    s.executor.submit(entry(), T0)
    [order] = s.stored(OrderPurpose.ENTRY)
    assert order.status is OrderStatus.PENDING and s.broker.sent == []
    s.executor.manage(T0 + timedelta(minutes=1))
    assert s.broker.sent == [order.client_order_id]
    assert s.store.get_order(order.client_order_id).status is OrderStatus.OPEN


def test_a_timeout_after_sending_is_looked_up_by_client_id_not_resent(s: Setup) -> None:
    cid = "sbi1n0"
    s.broker.lost_after_send.add(cid)
    s.executor.submit(entry(), T0)
    assert s.store.get_order(cid).status is OrderStatus.UNKNOWN
    s.executor.manage(T0 + timedelta(minutes=1))
    assert s.broker.sent == [cid]
    assert s.store.get_order(cid).status is OrderStatus.OPEN


def test_a_failed_lookup_is_not_taken_as_not_found(s: Setup) -> None:
    cid = "sbi1n0"
    s.broker.lost_after_send.add(cid)
    s.executor.submit(entry(), T0)
    s.broker.fetch_errors.append(RetryLater("network down"))
    s.executor.manage(T0 + timedelta(minutes=1))
    assert s.broker.sent == [cid]
    assert s.store.get_order(cid).status is OrderStatus.UNKNOWN


def test_the_same_intent_after_a_restart_is_never_sent_twice(s: Setup) -> None:
    s.executor.submit(entry(), T0)
    s.new_executor().submit(entry(), T0)
    assert s.broker.sent == ["sbi1n0"]


def test_a_rejected_order_is_recorded_with_the_reason(s: Setup) -> None:
    s.broker.place_errors.append(InvalidOrder("notional 5 below minimum 10"))
    s.executor.submit(entry(), T0)
    [order] = s.stored(OrderPurpose.ENTRY)
    assert order.status is OrderStatus.REJECTED
    assert any("below minimum" in e.detail for e in s.store.events if e.status is OrderStatus.REJECTED)


def test_an_entry_fill_places_a_stop_for_the_whole_position(s: Setup) -> None:
    s.executor.submit(entry(), T0)
    s.broker.fill("sbi1n0", Decimal(100), T0)
    s.executor.apply_update(s.broker.poll(T0), T0)
    [stop] = s.stored(OrderPurpose.STOP)
    assert stop.side is Side.SELL and stop.quantity == Decimal("0.5") and stop.stop_price == Decimal(95)
    assert stop.status is OrderStatus.OPEN
    assert s.book.position("BTC/USDT").stop_price == Decimal(95)


def test_a_refused_stop_closes_the_position_at_market(s: Setup) -> None:
    s.executor.submit(entry(), T0)
    s.broker.fill("sbi1n0", Decimal(100), T0)
    s.broker.place_errors.append(InvalidOrder("stop price would trigger immediately"))
    s.executor.apply_update(s.broker.poll(T0), T0)
    [exit_order] = s.stored(OrderPurpose.EXIT)
    assert exit_order.order_type is OrderType.MARKET and exit_order.quantity == Decimal("0.5")


def test_an_exit_cancels_the_stop_then_sells_the_position(s: Setup) -> None:
    s.executor.submit(entry(), T0)
    s.broker.fill("sbi1n0", Decimal(100), T0)
    s.executor.apply_update(s.broker.poll(T0), T0)
    s.executor.submit(exit_intent(), T0 + timedelta(minutes=5))
    [stop] = s.stored(OrderPurpose.STOP)
    [exit_order] = s.stored(OrderPurpose.EXIT)
    assert stop.status is OrderStatus.CANCELED
    assert exit_order.side is Side.SELL and exit_order.quantity == Decimal("0.5")
    assert s.broker.sent.index(exit_order.client_order_id) > s.broker.sent.index(stop.client_order_id)


def test_an_exit_behind_a_stop_that_just_filled_sells_nothing_twice(s: Setup) -> None:
    """The stop fills at the venue between two polls and an exit is asked for before the next one: the
    cancel of a filled order is refused ("unknown order", -2011 on Binance), the look-up finds it FILLED,
    and no exit goes out for coins the stop already sold (with coins of the user's own in the account,
    it would have sold those)."""
    s.executor.submit(entry(), T0)
    s.broker.fill("sbi1n0", Decimal(100), T0)
    s.executor.apply_update(s.broker.poll(T0), T0)
    [stop] = s.stored(OrderPurpose.STOP)
    s.broker.fill(stop.client_order_id, Decimal(95), T0 + timedelta(minutes=4))  # not polled yet

    s.executor.submit(exit_intent(), T0 + timedelta(minutes=5))
    assert s.stored(OrderPurpose.EXIT) == [], "the exit waits for the stop's fill"
    s.executor.apply_update(s.broker.poll(T0 + timedelta(minutes=6)), T0 + timedelta(minutes=6))
    s.executor.manage(T0 + timedelta(minutes=6))

    assert s.book.position("BTC/USDT") is None
    assert s.stored(OrderPurpose.EXIT) == [] and s.executor.deferred_exits() == ()
    assert s.store.get_order(stop.client_order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_a_fill_reported_twice_is_stored_and_counted_once(s: Setup) -> None:
    s.executor.submit(entry(), T0)
    fill = s.broker.fill("sbi1n0", Decimal(100), T0)
    update = s.broker.poll(T0)
    s.executor.apply_update(update, T0)
    assert s.executor.apply_update(update, T0).fills == []
    assert list(s.store.fill_rows) == [("fake", fill.trade_id)]
    assert s.book.position("BTC/USDT").quantity == Decimal("0.5")


def test_an_unfilled_entry_is_cancelled_after_the_timeout(s: Setup) -> None:
    s.executor.submit(entry(), T0)
    s.executor.manage(T0 + timedelta(minutes=10))
    assert s.store.get_order("sbi1n0").status is OrderStatus.OPEN
    s.executor.manage(T0 + timedelta(minutes=15))
    assert s.store.get_order("sbi1n0").status is OrderStatus.CANCELED


def test_an_order_the_venue_lost_before_acknowledging_is_resent_under_its_id(s: Setup) -> None:
    s.broker.place_errors.append(RetryLater("connection reset"))
    s.executor.submit(entry(), T0)
    s.broker.fetch_errors.append(OrderNotFound("sbi1n0"))
    s.executor.manage(T0 + timedelta(minutes=1))
    assert s.broker.sent == ["sbi1n0"]


def test_an_order_missing_from_the_audit_db_can_never_be_sent(s: Setup) -> None:
    from bot.core.order_gateway import OrderGateway
    from bot.domain import Order

    gateway = OrderGateway(s.broker, s.store, run_id=1)
    stray = Order("sbstray", "i9", "BTC/USDT", Side.BUY, OrderType.LIMIT, OrderPurpose.ENTRY, Decimal(1), T0)
    with pytest.raises(RuntimeError, match="not in the audit DB"):
        gateway.place(stray, T0)
    assert s.broker.sent == []
