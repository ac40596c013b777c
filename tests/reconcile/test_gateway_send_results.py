"""What one send comes to, as the caller gets it back: placed, refused (with the venue's reason), or of
unknown outcome; an order stored already is never sent again. Against the fake venue's documented
answers, through the real ccxt client."""

from __future__ import annotations

from collections.abc import Callable

from bot.adapters.audit import SqlAuditStore
from bot.core.send_result import SendOutcome
from bot.domain import OrderRejected, OrderStatus
from tests.fake_exchange.fixture import FakeExchange
from tests.reconcile.helpers import Bot, buy


def posts(fake: FakeExchange) -> int:
    return len(fake.log(path="/api/v3/order", method="POST"))


def test_a_resting_order_is_placed_with_the_venues_id(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    sent = restart().gateway.send(buy("rests"))
    assert sent.outcome is SendOutcome.PLACED and not sent.refused and sent.refusal is None
    assert sent.order.status is OrderStatus.OPEN and sent.order.exchange_order_id
    assert store.get_order(sent.order.client_order_id) == sent.order


def test_a_refused_order_comes_back_with_the_venues_reason(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    sent = restart().gateway.send(buy("too-big", quantity="5"))  # 5 BTC at 59000: more USDT than held

    assert sent.outcome is SendOutcome.REFUSED and sent.refused
    assert isinstance(sent.refusal, OrderRejected) and "insufficient balance" in str(sent.refusal).lower()
    assert sent.order.status is OrderStatus.REJECTED
    assert store.get_order(sent.order.client_order_id).status is OrderStatus.REJECTED  # type: ignore[union-attr]


def test_an_order_whose_answer_was_lost_is_of_unknown_outcome_not_refused(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    fake_exchange.fail("POST", "/api/v3/order", "drop_after_accept")  # the venue took it; no answer came
    sent = restart().gateway.send(buy("lost-answer"))

    assert sent.outcome is SendOutcome.UNKNOWN and not sent.refused
    assert sent.order.status is OrderStatus.UNKNOWN
    assert [o["status"] for o in fake_exchange.orders_by_client_id(sent.order.client_order_id)] == ["NEW"]


def test_an_order_stored_already_is_not_sent_again(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    order = buy("twice")
    first = restart().gateway.send(order)
    again = restart().gateway.send(order)  # a restart re-running the same decision

    assert posts(fake_exchange) == 1
    assert again.outcome is SendOutcome.PLACED and again.order == first.order
