"""Reconciling orders after a restart: the venue's answer is recorded, nothing is sent or cancelled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.adapters.audit import SqlAuditStore
from bot.core.reconcile import NOT_AT_VENUE, RECONCILED
from bot.domain import OrderStatus, TradingState
from tests.fake_exchange.fixture import FakeExchange
from tests.reconcile.helpers import SYMBOL, Bot, buy


def placements(fake: FakeExchange) -> list[dict[str, str]]:
    return [r["params"] for r in fake.log(path="/api/v3/order", method="POST")]


def lookups_of(fake: FakeExchange, client_order_id: str) -> int:
    return sum(
        1
        for r in fake.log(path="/api/v3/order", method="GET")
        if r["params"].get("origClientOrderId") == client_order_id
    )


def test_an_order_whose_answer_was_lost_is_found_open_at_the_venue(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    order = buy("dropped-rest")
    fake_exchange.fail("POST", "/api/v3/order", "drop_after_accept")
    restart().gateway.send(order)
    assert store.get_order(order.client_order_id).status is OrderStatus.UNKNOWN  # type: ignore[union-attr]

    report = restart().reconciler.reconcile()

    stored = store.get_order(order.client_order_id)
    assert stored is not None and stored.status is OrderStatus.OPEN and stored.exchange_order_id
    assert [o.client_order_id for o in report.order_updates] == [order.client_order_id]
    assert store.order_events(order.client_order_id)[-1].detail == RECONCILED
    assert (report.complete, report.recommended_state) == (True, TradingState.ACTIVE)
    assert len(fake_exchange.orders_by_client_id(order.client_order_id)) == 1
    assert len(placements(fake_exchange)) == 1  # never re-sent


def test_an_order_whose_answer_was_lost_is_found_filled_and_its_fill_adopted(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    order = buy("dropped-fill", price="60100.00")  # marketable: fills at once
    fake_exchange.fail("POST", "/api/v3/order", "drop_after_accept")
    restart().gateway.send(order)

    report = restart().reconciler.reconcile()

    stored = store.get_order(order.client_order_id)
    assert stored is not None and stored.status is OrderStatus.FILLED
    assert stored.filled_quantity == order.quantity
    assert [f.client_order_id for f in report.adopted_fills] == [order.client_order_id]
    assert report.mismatches == () and report.recommended_state is TradingState.ACTIVE
    assert len(placements(fake_exchange)) == 1


def test_a_pending_order_the_venue_never_got_is_expired_after_two_lookups_and_not_resent(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot], run_id: int
) -> None:
    order = buy("never-sent")
    assert store.save_new_order(run_id, order)  # the crash came between persist and send

    report = restart().reconciler.reconcile()

    stored = store.get_order(order.client_order_id)
    assert stored is not None and stored.status is OrderStatus.EXPIRED
    assert store.order_events(order.client_order_id)[-1].detail == NOT_AT_VENUE
    assert [o.client_order_id for o in report.expired_orders] == [order.client_order_id]
    assert lookups_of(fake_exchange, order.client_order_id) == 2
    assert placements(fake_exchange) == []
    assert report.complete

    again = restart().reconciler.reconcile()
    assert again.checked_orders == 0 and again.order_updates == ()


def test_one_not_found_answer_is_not_trusted(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot], run_id: int
) -> None:
    order = buy("late-to-appear")
    assert store.save_new_order(run_id, order)
    restart().broker.place_order(order)  # sent, but the DB never heard back
    fake_exchange.fail("GET", "/api/v3/order", "code", code=-2013, msg="Order does not exist.")

    report = restart().reconciler.reconcile()

    stored = store.get_order(order.client_order_id)
    assert stored is not None and stored.status is OrderStatus.OPEN
    assert report.expired_orders == ()


def test_an_sb_order_open_at_the_venue_but_missing_from_the_db_is_reported_not_cancelled(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    bot = restart()
    stray = buy("stray")
    bot.broker.place_order(stray)  # ours by its prefix, but never stored
    bot.broker.place_order(replace(buy("manual", price="58000.00"), client_order_id="web_by_hand"))

    report = restart().reconciler.reconcile()

    assert [o.client_order_id for o in report.unknown_open_orders] == [stray.client_order_id]
    assert report.unknown_open_orders[0].symbol == SYMBOL
    assert store.get_order(stray.client_order_id) is None
    assert fake_exchange.log(path="/api/v3/order", method="DELETE") == []
    assert {o["status"] for o in fake_exchange.state()["orders"]} == {"NEW"}


def test_lookups_failing_with_503_change_nothing_and_make_the_report_incomplete(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot]
) -> None:
    order = buy("unlucky")
    fake_exchange.fail("POST", "/api/v3/order", "drop_after_accept")
    restart().gateway.send(order)
    events_before = store.order_events(order.client_order_id)
    fake_exchange.fail("GET", "/api/v3/*", "status", status=503, times=1000)  # the venue is down

    report = restart().reconciler.reconcile()

    assert not report.complete
    assert report.recommended_state is TradingState.REDUCING
    assert report.failures[0].operation == "fetch_order"
    assert report.failures[0].subject == order.client_order_id
    assert {f.operation for f in report.failures} >= {"fetch_order", "open_orders", "balances"}
    stored = store.get_order(order.client_order_id)
    assert stored is not None and stored.status is OrderStatus.UNKNOWN
    assert store.order_events(order.client_order_id) == events_before
    assert report.order_updates == () and report.expired_orders == () and report.adopted_fills == ()
    assert report.mismatches == () and report.quote_balance is None
    assert len(placements(fake_exchange)) == 1


def test_a_failed_lookup_is_never_taken_as_not_found(
    fake_exchange: FakeExchange, store: SqlAuditStore, restart: Callable[[], Bot], run_id: int
) -> None:
    order = buy("maybe-sent")
    assert store.save_new_order(run_id, order)
    fake_exchange.fail("GET", "/api/v3/order", "status", status=503, times=1000)

    report = restart().reconciler.reconcile()

    stored = store.get_order(order.client_order_id)
    assert stored is not None and stored.status is OrderStatus.PENDING
    assert report.expired_orders == () and not report.complete
    assert placements(fake_exchange) == []
