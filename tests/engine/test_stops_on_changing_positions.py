"""The stop of a position that grows (a second buy) or shrinks (an exit of part of it): one stop covers
what is held and not being sold, at the tightest price known (bot/core/stops.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.core.execution import ExecutionPolicy, OrderExecutor
from bot.core.positions import PositionBook
from bot.domain import IntentKind, MarketRules, Order, OrderIntent, OrderPurpose, OrderType, Side
from tests.fakes import InMemoryAuditStore, ScriptedBroker

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"
RULES = MarketRules(
    SYMBOL, "BTC", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal(10), Decimal("0.001"), Decimal("0.001")
)


def buy(intent_id: str, qty: str, stop: str, price: str = "100") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id, strategy="s", symbol=SYMBOL, side=Side.BUY, kind=IntentKind.ENTRY,
        order_type=OrderType.LIMIT, reference_price=Decimal(price), created_at=T0, reason="test",
        limit_price=Decimal(price), stop_price=Decimal(stop), quantity=Decimal(qty),
    )  # fmt: skip


def sell(intent_id: str, qty: str) -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id, strategy="s", symbol=SYMBOL, side=Side.SELL, kind=IntentKind.EXIT,
        order_type=OrderType.MARKET, reference_price=Decimal(100), created_at=T0, reason="test",
        quantity=Decimal(qty),
    )  # fmt: skip


class Setup:
    def __init__(self, **policy: Decimal) -> None:
        self.store = InMemoryAuditStore()
        self.broker = ScriptedBroker()
        self.book = PositionBook()
        self.executor = OrderExecutor(
            broker=self.broker, store=self.store, book=self.book, rules=lambda s: RULES,
            policy=ExecutionPolicy(**policy), run_id=1,
        )  # fmt: skip

    def fill(self, client_order_id: str, minute: int, price: str = "100") -> None:
        now = T0 + timedelta(minutes=minute)
        self.broker.fill(client_order_id, Decimal(price), now)
        self.executor.apply_update(self.broker.poll(now), now)

    def manage(self, minute: int, last: str) -> None:
        self.executor.manage(T0 + timedelta(minutes=minute), {SYMBOL: Decimal(last)})

    def working(self, purpose: OrderPurpose) -> list[Order]:
        return [o for o in self.executor.open_orders() if o.purpose is purpose]

    def stop(self) -> tuple[Decimal, Decimal | None]:
        [stop] = self.working(OrderPurpose.STOP)
        return stop.remaining_quantity, stop.stop_price


def test_a_second_buy_with_a_lower_stop_keeps_the_whole_position_at_the_higher_stop() -> None:
    s = Setup()
    s.executor.submit(buy("b1", "2", stop="98"), T0)
    s.fill("sbb1n0", 1)
    s.executor.submit(buy("b2", "3", stop="97"), T0 + timedelta(minutes=2))
    s.fill("sbb2n0", 3)

    # The first buy was sized for a loss down to 98: moving its units' stop to 97 would risk more.
    assert s.stop() == (Decimal(5), Decimal(98))
    assert s.book.position(SYMBOL).stop_price == Decimal(98)


def test_a_second_buy_with_a_higher_stop_raises_the_whole_positions_stop() -> None:
    s = Setup()
    s.executor.submit(buy("b1", "2", stop="95"), T0)
    s.fill("sbb1n0", 1)
    s.executor.submit(buy("b2", "3", stop="107", price="110"), T0 + timedelta(minutes=2))
    s.fill("sbb2n0", 3, price="110")

    assert s.stop() == (Decimal(5), Decimal(107))


def test_the_rest_of_a_position_keeps_a_stop_while_an_exit_sells_part_of_it() -> None:
    s = Setup()
    s.executor.submit(buy("b1", "5", stop="95"), T0)
    s.fill("sbb1n0", 1)
    s.executor.submit(sell("x1", "2"), T0 + timedelta(minutes=2))  # rests: the scripted venue fills on demand
    s.manage(3, "100")

    [exit_order] = s.working(OrderPurpose.EXIT)
    assert exit_order.remaining_quantity == Decimal(2)
    assert s.stop() == (Decimal(3), Decimal(95))

    s.fill(exit_order.client_order_id, 4)
    assert s.book.position(SYMBOL).quantity == Decimal(3)
    assert s.stop() == (Decimal(3), Decimal(95))


def test_an_exit_of_the_whole_position_still_works_alone() -> None:
    s = Setup()
    s.executor.submit(buy("b1", "5", stop="95"), T0)
    s.fill("sbb1n0", 1)
    s.executor.submit(sell("x1", "5"), T0 + timedelta(minutes=2))
    s.manage(3, "100")

    assert len(s.working(OrderPurpose.EXIT)) == 1
    assert s.working(OrderPurpose.STOP) == []  # the exit holds all the base; it is chased until it fills


def test_a_partial_exit_never_loosens_a_trailed_stop() -> None:
    s = Setup(trailing_stop=Decimal("0.02"))
    s.executor.submit(buy("b1", "5", stop="95"), T0)
    s.fill("sbb1n0", 1)
    s.manage(2, "110")  # trails to 110 x 0.98 = 107.80
    assert s.stop() == (Decimal(5), Decimal("107.8"))

    s.executor.submit(sell("x1", "2"), T0 + timedelta(minutes=3))
    [exit_order] = s.working(OrderPurpose.EXIT)
    s.fill(exit_order.client_order_id, 4, price="110")

    assert s.stop() == (Decimal(3), Decimal("107.8"))
