"""Orders are stored before they are sent, once per client order id, with an append-only history."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.adapters.audit import SqlAuditStore, UnknownRecordError
from bot.core.ports import RunInfo
from bot.domain import Order, OrderEvent, OrderStatus

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_saving_a_new_order_also_records_its_pending_event(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    order = new_order("c1")

    assert store.save_new_order(run_id, order) is True

    assert store.get_order("c1") == order
    assert store.order_events("c1") == [
        OrderEvent("c1", OrderStatus.PENDING, occurred_at=T0, detail="saved before sending")
    ]


def test_duplicate_client_order_id_is_refused_with_false_and_the_first_row_untouched(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    first = new_order("c1")
    store.save_new_order(run_id, first)
    retry = new_order(
        "c1", quantity=Decimal("9"), price=Decimal("1"), status=OrderStatus.OPEN, created_at=at(5)
    )

    assert store.save_new_order(run_id, retry) is False

    assert store.get_order("c1") == first
    assert [event.status for event in store.order_events("c1")] == [OrderStatus.PENDING]
    assert len(store.orders()) == 1


def test_duplicate_client_order_id_is_refused_after_a_restart(
    store: SqlAuditStore, migrated_url: str, run_id: int, new_order: Callable[..., Order]
) -> None:
    store.save_new_order(run_id, new_order("c1"))
    store.close()

    with SqlAuditStore(migrated_url, venue="binance") as restarted:
        assert restarted.save_new_order(run_id, new_order("c1", quantity=Decimal("3"))) is False
        assert restarted.get_order("c1") == new_order("c1")


def test_an_unknown_client_order_id_reads_as_none(store: SqlAuditStore) -> None:
    assert store.get_order("never-saved") is None


def test_an_order_update_changes_the_current_state_and_appends_an_event(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    order = new_order("c1")
    store.save_new_order(run_id, order)
    filled = dataclasses.replace(
        order,
        status=OrderStatus.PARTIALLY_FILLED,
        exchange_order_id="X-1",
        filled_quantity=Decimal("0.1"),
        average_fill_price=Decimal("41985.5"),
    )
    event = OrderEvent("c1", OrderStatus.PARTIALLY_FILLED, at(2), "0.1 filled", "X-1")

    store.record_order_update(filled, event)

    assert store.get_order("c1") == filled
    assert store.order_events("c1")[-1] == event


def test_order_events_are_append_only_and_in_order(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    store.save_new_order(run_id, new_order("c1"))
    history = [
        (OrderStatus.OPEN, at(1)),
        (OrderStatus.PARTIALLY_FILLED, at(2)),
        (OrderStatus.PARTIALLY_FILLED, at(2)),  # same instant: kept in recording order
        (OrderStatus.FILLED, at(3)),
    ]
    for n, (status, when) in enumerate(history):
        store.record_order_update(
            new_order("c1", status=status), OrderEvent("c1", status, when, detail=f"update {n}")
        )
        events = store.order_events("c1")
        assert len(events) == n + 2  # the pending event plus one per update so far

    assert [(e.status, e.occurred_at, e.detail) for e in store.order_events("c1")] == [
        (OrderStatus.PENDING, T0, "saved before sending"),
        *[(status, when, f"update {n}") for n, (status, when) in enumerate(history)],
    ]


def test_the_database_itself_refuses_to_change_or_delete_order_events(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    store.save_new_order(run_id, new_order("c1"))

    for statement in ("UPDATE order_events SET detail = 'edited'", "DELETE FROM order_events"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))

    assert store.order_events("c1")[0].detail == "saved before sending"


def test_a_known_exchange_order_id_is_kept_when_an_update_lacks_it(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    store.save_new_order(run_id, new_order("c1"))
    store.record_order_update(
        new_order("c1", status=OrderStatus.OPEN, exchange_order_id="X-1"),
        OrderEvent("c1", OrderStatus.OPEN, at(1), exchange_order_id="X-1"),
    )
    store.record_order_update(
        new_order("c1", status=OrderStatus.CANCELED), OrderEvent("c1", OrderStatus.CANCELED, at(2))
    )

    stored = store.get_order("c1")
    assert stored is not None
    assert (stored.status, stored.exchange_order_id) == (OrderStatus.CANCELED, "X-1")


def test_updating_an_order_never_saved_raises_and_writes_nothing(
    store: SqlAuditStore, new_order: Callable[..., Order]
) -> None:
    with pytest.raises(UnknownRecordError, match="ghost"):
        store.record_order_update(new_order("ghost"), OrderEvent("ghost", OrderStatus.OPEN, at(1)))
    assert store.order_events() == []


def test_an_event_for_another_order_is_refused(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    store.save_new_order(run_id, new_order("c1"))
    with pytest.raises(ValueError, match="c2"):
        store.record_order_update(new_order("c1"), OrderEvent("c2", OrderStatus.OPEN, at(1)))


def test_open_orders_exclude_terminal_statuses_across_runs(
    store: SqlAuditStore, run_id: int, run_info: Callable[..., RunInfo], new_order: Callable[..., Order]
) -> None:
    later_run = store.start_run(run_info(started_at=at(60)))
    statuses = list(OrderStatus)
    for n, status in enumerate(statuses):
        store.save_new_order(
            later_run if n % 2 else run_id, new_order(f"c{n}", status=status, created_at=at(n))
        )

    open_everywhere = [o.status for o in store.orders(only_open=True)]
    open_in_later_run = [o.status for o in store.orders(later_run, only_open=True)]

    assert open_everywhere == [s for s in statuses if not s.is_terminal]
    assert open_in_later_run == [s for n, s in enumerate(statuses) if n % 2 and not s.is_terminal]
    assert {OrderStatus.PENDING, OrderStatus.UNKNOWN} <= set(open_everywhere)


def test_orders_are_listed_per_run_in_creation_order(
    store: SqlAuditStore, run_id: int, run_info: Callable[..., RunInfo], new_order: Callable[..., Order]
) -> None:
    other_run = store.start_run(run_info())
    store.save_new_order(run_id, new_order("late", created_at=at(5)))
    store.save_new_order(other_run, new_order("elsewhere", created_at=at(1)))
    store.save_new_order(run_id, new_order("early", created_at=at(1)))

    assert [o.client_order_id for o in store.orders(run_id)] == ["early", "late"]
    assert [o.client_order_id for o in store.orders()] == ["elsewhere", "early", "late"]


def test_order_events_filter_by_run(
    store: SqlAuditStore, run_id: int, run_info: Callable[..., RunInfo], new_order: Callable[..., Order]
) -> None:
    other_run = store.start_run(run_info())
    store.save_new_order(run_id, new_order("mine"))
    store.save_new_order(other_run, new_order("theirs"))

    assert [e.client_order_id for e in store.order_events(run_id=run_id)] == ["mine"]
    assert [e.client_order_id for e in store.order_events(run_id=other_run)] == ["theirs"]
