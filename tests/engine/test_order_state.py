"""The in-memory order state (bot/core/order_state.py) against what the journal says: the same owner of
a position's stop in memory and after a restart, and no order followed that the bot never sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.core.execution import ExecutionPolicy, OrderExecutor, Resume
from bot.core.order_state import OrderState
from bot.core.positions import PositionBook
from bot.domain import IntentKind, MarketRules, OrderIntent, OrderStatus, OrderType, Side
from bot.domain.orders import client_order_id_for
from tests.fakes import InMemoryAuditStore, ScriptedBroker

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"
RULES = MarketRules(
    SYMBOL, "BTC", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal(10), Decimal("0.001"), Decimal("0.001")
)


def entry(intent_id: str, stop: str, qty: str = "0.5") -> OrderIntent:
    return OrderIntent(
        intent_id=intent_id, strategy="s", symbol=SYMBOL, side=Side.BUY, kind=IntentKind.ENTRY,
        order_type=OrderType.LIMIT, reference_price=Decimal(100), created_at=T0, reason="test",
        limit_price=Decimal(100), stop_price=Decimal(stop), quantity=Decimal(qty),
    )  # fmt: skip


def executor(store: InMemoryAuditStore, broker: ScriptedBroker, book: PositionBook, run_id: int,
             history: tuple[int, ...] = ()) -> OrderExecutor:  # fmt: skip
    resume = Resume(history, (), {}) if history else None
    return OrderExecutor(
        broker=broker, store=store, book=book, rules=lambda s: RULES,
        policy=ExecutionPolicy(entry_timeout=timedelta(minutes=15)), run_id=run_id, resume=resume,
    )  # fmt: skip


def test_an_id_another_run_journalled_is_refused_loudly_never_followed_or_sent() -> None:
    """The journal holds sbAn0 under run 1 (the same bot name on another venue: not in this run's
    history, and intent ids are scoped to the bot name). This run makes the same decision: the journal
    refuses the id. Following the unsent order as working made every later housekeeping pass fail
    ("not in the audit DB") and so stopped breakers, the kill switch and stop maintenance."""
    store, paper = InMemoryAuditStore(), ScriptedBroker()
    first = executor(store, paper, PositionBook(), run_id=1)
    first.submit(entry("A", "95"), T0)
    first.cancel_entries(T0)

    live = ScriptedBroker()  # another venue: it never saw sbAn0
    second = executor(store, live, PositionBook(), run_id=2)
    assert second.submit(entry("A", "95"), T0) is None, "refused"

    assert second.open_orders() == ()
    second.manage(T0 + timedelta(minutes=1))  # and housekeeping goes on
    assert live.sent == []
    assert store.get_order("sbAn0").status is OrderStatus.CANCELED  # type: ignore[union-attr]


def test_the_owner_of_the_stop_is_the_same_in_memory_and_after_a_restart() -> None:
    """Two entries on one symbol created at the same moment (two strategies on one close); B is
    journalled after A, so B owns the stop (newest by time, then by journal order), whichever fills
    last and whether or not the bot restarted: the stop stays B's 95, never loosened to A's 90."""
    store, broker, book = InMemoryAuditStore(), ScriptedBroker(), PositionBook()
    ex = executor(store, broker, book, run_id=1)
    ex.submit(entry("A", "90"), T0)
    ex.submit(entry("B", "95"), T0)
    broker.fill("sbBn0", Decimal(100), T0)
    ex.apply_update(broker.poll(T0), T0)
    broker.fill("sbAn0", Decimal(100), T0 + timedelta(minutes=1))
    ex.apply_update(broker.poll(T0 + timedelta(minutes=1)), T0 + timedelta(minutes=1))

    rebuilt = OrderState(store.orders(1)).latest_filled_entry(SYMBOL)
    assert rebuilt is not None and rebuilt.intent_id == "B"
    stop = ex.working_stop(SYMBOL)
    assert stop is not None and stop.intent_id == "B" and stop.stop_price == Decimal(95)


def test_old_finished_orders_are_forgotten_but_never_those_of_an_intent_that_still_matters() -> None:
    """A daemon's memory must not grow with every order it ever placed (issue 11): beyond the newest
    KEEP_FINISHED, finished orders go; an intent with a working order, or owning the position's stop,
    keeps its orders and its attempt numbers (a stop re-placed after 5,000 orders must not reuse an id)."""
    from dataclasses import replace

    from bot.core.order_state import KEEP_FINISHED
    from bot.domain import Order, OrderPurpose

    def order(intent: str, purpose: OrderPurpose = OrderPurpose.ENTRY, attempt: int = 0) -> Order:
        cid = client_order_id_for(intent, purpose, attempt)
        return Order(cid, intent, SYMBOL, Side.BUY, OrderType.LIMIT, purpose, Decimal("0.5"), T0,
                     price=Decimal(100))  # fmt: skip

    state = OrderState()
    owner = order("owner")
    state.put(replace(owner, status=OrderStatus.FILLED, filled_quantity=Decimal("0.5")))
    stop = order("owner", OrderPurpose.STOP, state.next_attempt("owner", OrderPurpose.STOP))
    state.put(replace(stop, status=OrderStatus.CANCELED))  # a stop replaced once, long ago
    working = order("waiting")
    state.put(working)
    for i in range(5 * KEEP_FINISHED):
        state.put(replace(order(f"done{i}"), status=OrderStatus.CANCELED))

    assert state.get(order("done0").client_order_id) is None  # forgotten
    assert state.get(order(f"done{5 * KEEP_FINISHED - 1}").client_order_id) is not None  # the newest kept
    assert state.first_entry("owner") is not None and state.latest_filled_entry(SYMBOL) is not None
    assert state.next_attempt("owner", OrderPurpose.STOP) == 1  # not 0 again: that id is journalled
    assert state.get(working.client_order_id) == working and list(state.working) == [working.client_order_id]
