"""Client-side stops: where the venue refuses the stop's order type as unsupported, the bot watches the
stop itself and sends the exit once the last price reaches it (bot/core/stops.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bot.adapters.exchange.requests import check_supported
from bot.core.execution import ExecutionPolicy, OrderExecutor
from bot.core.positions import PositionBook
from bot.domain import (
    IntentKind,
    InvalidOrder,
    MarketRules,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    OrderType,
    Side,
)
from bot.domain.errors import UnsupportedOrderType
from tests.fakes import InMemoryAuditStore, ScriptedBroker

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"
RULES = MarketRules(
    SYMBOL, "BTC", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal(10), Decimal("0.001"), Decimal("0.001")
)
NO_STOPS = UnsupportedOrderType("order sbi1s0 (BTC/USDT): venue does not support stop_market orders")


def entry(stop: str = "95") -> OrderIntent:
    return OrderIntent(
        intent_id="i1", strategy="s", symbol=SYMBOL, side=Side.BUY, kind=IntentKind.ENTRY,
        order_type=OrderType.LIMIT, reference_price=Decimal(100), created_at=T0, reason="test",
        limit_price=Decimal(100), stop_price=Decimal(stop), quantity=Decimal("0.5"),
    )  # fmt: skip


class Setup:
    def __init__(self, **policy: Decimal) -> None:
        self.store = InMemoryAuditStore()
        self.broker = ScriptedBroker()
        self.book = PositionBook()
        self.executor = OrderExecutor(
            broker=self.broker, store=self.store, book=self.book, rules=lambda s: RULES,
            policy=ExecutionPolicy(entry_timeout=timedelta(minutes=15), **policy), run_id=1,
        )  # fmt: skip

    def open_position(self, refusal: Exception = NO_STOPS) -> None:
        self.executor.submit(entry(), T0)
        self.broker.fill("sbi1n0", Decimal(100), T0)
        self.broker.place_errors.append(refusal)
        self.executor.apply_update(self.broker.poll(T0), T0)

    def manage(self, minute: int, last: str) -> None:
        self.executor.manage(T0 + timedelta(minutes=minute), {SYMBOL: Decimal(last)})

    def stored(self, purpose: OrderPurpose) -> list:
        return [o for o in self.store.orders(1) if o.purpose is purpose]

    def sent(self, purpose: OrderPurpose) -> list[str]:
        ids = {o.client_order_id for o in self.stored(purpose)}
        return [cid for cid in self.broker.sent if cid in ids]


@pytest.fixture
def s() -> Setup:
    return Setup()


def test_a_venue_without_stop_orders_gets_a_client_side_stop_and_the_position_stays_open(s: Setup) -> None:
    s.open_position()
    [refused] = s.stored(OrderPurpose.STOP)
    assert refused.status is OrderStatus.REJECTED
    assert s.sent(OrderPurpose.STOP) == [] and s.stored(OrderPurpose.EXIT) == []
    assert s.book.position(SYMBOL).stop_price == Decimal(95)
    for minute, last in enumerate(["99", "96", "95.01"], start=1):
        s.manage(minute, last)
    assert s.stored(OrderPurpose.EXIT) == []
    assert len(s.stored(OrderPurpose.STOP)) == 1  # the unsupported stop order is never tried again
    assert s.book.position(SYMBOL) is not None


def test_the_exit_is_sent_the_first_manage_after_the_price_reaches_the_stop_and_never_twice(s: Setup) -> None:
    s.open_position()
    s.manage(1, "97")
    s.manage(2, "95")
    [exit_order] = s.stored(OrderPurpose.EXIT)
    assert exit_order.side is Side.SELL and exit_order.quantity == Decimal("0.5")
    assert exit_order.order_type is OrderType.LIMIT and exit_order.price == Decimal("94.53")  # 95 × 0.995
    assert s.sent(OrderPurpose.EXIT) == [exit_order.client_order_id]
    s.manage(3, "95")
    s.manage(4, "94.9")  # the exit is chased (cancel, re-place): still one exit working at a time
    working = [o for o in s.executor.open_orders() if o.purpose is OrderPurpose.EXIT]
    assert len(working) == 1
    assert [o.status for o in s.stored(OrderPurpose.EXIT)] == [OrderStatus.CANCELED, OrderStatus.OPEN]


def test_the_client_side_stop_is_dropped_when_the_position_closes(s: Setup) -> None:
    s.open_position()
    s.manage(1, "94")
    [exit_order] = s.stored(OrderPurpose.EXIT)
    s.broker.fill(exit_order.client_order_id, Decimal("94"), T0 + timedelta(minutes=1))
    s.executor.apply_update(s.broker.poll(T0), T0 + timedelta(minutes=1))
    assert s.book.position(SYMBOL) is None
    s.manage(2, "90")
    s.manage(3, "80")
    assert len(s.stored(OrderPurpose.EXIT)) == 1  # nothing watches a closed position


def test_a_trailing_client_side_stop_tightens_and_triggers_at_its_new_level() -> None:
    s = Setup(trailing_stop=Decimal("0.02"))
    s.open_position()
    s.manage(1, "110")  # trails to 110 × 0.98 = 107.80
    assert s.book.position(SYMBOL).stop_price == Decimal("107.8")
    s.manage(2, "108")
    assert s.stored(OrderPurpose.EXIT) == []
    s.manage(3, "107.8")
    [exit_order] = s.stored(OrderPurpose.EXIT)
    assert exit_order.quantity == Decimal("0.5")
    assert len(s.stored(OrderPurpose.STOP)) == 1


def test_a_take_profit_beside_a_client_side_stop_is_a_plain_limit_cancelled_before_the_exit() -> None:
    s = Setup(take_profit_r=Decimal(2))
    s.open_position()
    [take_profit] = s.stored(OrderPurpose.TAKE_PROFIT)
    assert take_profit.price == Decimal(110) and take_profit.oco_with is None
    s.manage(1, "95")
    assert s.store.get_order(take_profit.client_order_id).status is OrderStatus.CANCELED
    assert len(s.stored(OrderPurpose.EXIT)) == 1


def test_a_stop_refused_for_another_reason_still_closes_the_position_at_market(s: Setup) -> None:
    s.open_position(InvalidOrder("stop price would trigger immediately"))
    [exit_order] = s.stored(OrderPurpose.EXIT)
    assert exit_order.order_type is OrderType.MARKET and exit_order.quantity == Decimal("0.5")


def test_the_ccxt_adapter_names_an_unlisted_order_type_unsupported() -> None:
    client = SimpleNamespace(id="somex", has={})
    market = {"symbol": SYMBOL, "info": {"orderTypes": ["LIMIT", "MARKET"]}}
    with pytest.raises(UnsupportedOrderType, match="does not support stop_market"):
        check_supported(client, market, OrderType.STOP_MARKET, "order x")
    check_supported(client, market, OrderType.LIMIT, "order x")
    assert issubclass(UnsupportedOrderType, InvalidOrder)
