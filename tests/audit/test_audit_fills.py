"""Every fill the venue reports is stored exactly once (invariant 7), even across restarts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.adapters.audit import SqlAuditStore
from bot.core.ports import RunInfo
from bot.domain import Fill, Order

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_fill_is_stored_and_read_back_equal(store: SqlAuditStore, new_fill: Callable[..., Fill]) -> None:
    fill = new_fill(price=Decimal("0.123456789012345678"), fee=Decimal("-0.0000125"))

    assert store.record_fill(fill) is True

    assert store.fills() == [fill]


def test_duplicate_fill_is_stored_once(store: SqlAuditStore, new_fill: Callable[..., Fill]) -> None:
    assert store.record_fill(new_fill("t1")) is True
    assert store.record_fill(new_fill("t1")) is False
    assert store.record_fill(new_fill("t1", quantity=Decimal("5"))) is False

    assert store.fills() == [new_fill("t1")]


def test_duplicate_fill_is_stored_once_after_a_restart(
    store: SqlAuditStore, migrated_url: str, new_fill: Callable[..., Fill]
) -> None:
    store.record_fill(new_fill("t1"))
    store.close()

    with SqlAuditStore(migrated_url, venue="binance") as restarted:
        assert restarted.record_fill(new_fill("t1")) is False
        assert restarted.fills() == [new_fill("t1")]


def test_concurrent_duplicate_fills_from_two_processes_are_stored_exactly_once(
    migrated_url: str, new_fill: Callable[..., Fill]
) -> None:
    outcomes: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def report_fill() -> None:
        with SqlAuditStore(migrated_url, venue="binance") as own_store:
            try:
                barrier.wait(timeout=10)
                outcomes.append(own_store.record_fill(new_fill("t1")))
            except BaseException as error:  # collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=report_fill) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(outcomes) == [False] * 5 + [True]
    with SqlAuditStore(migrated_url, venue="binance") as reader:
        assert reader.fills() == [new_fill("t1")]


def test_the_same_trade_id_on_another_venue_is_another_fill(
    store: SqlAuditStore, new_fill: Callable[..., Fill]
) -> None:
    assert store.record_fill(new_fill("t1", venue="binance")) is True
    assert store.record_fill(new_fill("t1", venue="kraken")) is True

    assert len(store.fills()) == 2


def test_fills_filter_by_run(
    store: SqlAuditStore,
    run_id: int,
    run_info: Callable[..., RunInfo],
    new_order: Callable[..., Order],
    new_fill: Callable[..., Fill],
) -> None:
    other_run = store.start_run(run_info())
    store.save_new_order(run_id, new_order("mine"))
    store.save_new_order(other_run, new_order("theirs"))
    store.record_fill(new_fill("t1", "mine", occurred_at=at(1)))
    store.record_fill(new_fill("t2", "theirs", occurred_at=at(2)))
    store.record_fill(new_fill("t3", "mine", occurred_at=at(3)))

    assert [f.trade_id for f in store.fills(run_id)] == ["t1", "t3"]
    assert [f.trade_id for f in store.fills(other_run)] == ["t2"]
    assert [f.trade_id for f in store.fills()] == ["t1", "t2", "t3"]


def test_a_fill_for_an_order_never_saved_is_kept_but_belongs_to_no_run(
    store: SqlAuditStore, run_id: int, new_fill: Callable[..., Fill]
) -> None:
    assert store.record_fill(new_fill("manual", "placed-by-hand")) is True

    assert store.fills(run_id) == []
    assert [f.trade_id for f in store.fills()] == ["manual"]


def test_fills_come_back_in_time_order_whatever_the_recording_order(
    store: SqlAuditStore, new_fill: Callable[..., Fill]
) -> None:
    store.record_fill(new_fill("late", occurred_at=at(9)))
    store.record_fill(new_fill("early", occurred_at=at(1)))
    store.record_fill(new_fill("tie-a", occurred_at=at(5)))
    store.record_fill(new_fill("tie-b", occurred_at=at(5)))

    assert [f.trade_id for f in store.fills()] == ["early", "tie-a", "tie-b", "late"]


def test_a_batch_of_fills_stores_each_once_and_returns_the_new_ones_in_order(
    store: SqlAuditStore, new_fill: Callable[..., Fill]
) -> None:
    store.record_fills([new_fill("t2")])

    new = store.record_fills(
        [new_fill("t1"), new_fill("t2"), new_fill("t3"), new_fill("t1", quantity=Decimal("9"))]
    )

    assert [f.trade_id for f in new] == ["t1", "t3"]
    assert sorted((f.trade_id, f.quantity) for f in store.fills()) == [
        ("t1", Decimal("0.1")), ("t2", Decimal("0.1")), ("t3", Decimal("0.1"))
    ]  # fmt: skip
    assert store.record_fills([new_fill("t1"), new_fill("t3")]) == []
    assert store.record_fills([]) == []


def test_a_batch_is_one_transaction_a_bad_fill_stores_none_of_it(
    store: SqlAuditStore, new_fill: Callable[..., Fill]
) -> None:
    with pytest.raises(Exception, match="non-finite"):
        store.record_fills([new_fill("good"), new_fill("bad", price=Decimal("NaN"))])

    assert store.fills() == []
    assert [f.trade_id for f in store.record_fills([new_fill("good")])] == ["good"]


def test_overlapping_batches_from_two_processes_store_every_fill_exactly_once(
    migrated_url: str, new_fill: Callable[..., Fill]
) -> None:
    trades = [f"t{i}" for i in range(40)]
    stored: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def report(ids: list[str]) -> None:
        with SqlAuditStore(migrated_url, venue="binance") as own_store:
            try:
                barrier.wait(timeout=10)
                for start in range(0, len(ids), 5):
                    new = own_store.record_fills([new_fill(t) for t in ids[start : start + 5]])
                    stored.append([f.trade_id for f in new])
            except BaseException as error:  # collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=report, args=(ids,)) for ids in (trades, trades[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(t for batch in stored for t in batch) == sorted(trades)
    with SqlAuditStore(migrated_url, venue="binance") as reader:
        assert sorted(f.trade_id for f in reader.fills()) == sorted(trades)
