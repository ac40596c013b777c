"""Each write is one transaction: a failure leaves nothing behind and the store keeps working."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.adapters.audit import RunRecord, SqlAuditStore, make_engine, upgrade
from bot.adapters.audit.engine import normalize_url
from bot.adapters.audit.models import Base
from bot.core.ports import RunInfo
from bot.domain import EquitySnapshot, Fill, Order, OrderIntent, RiskDecision


def test_a_failed_write_rolls_back_and_the_store_keeps_working(
    store: SqlAuditStore,
    run_id: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
) -> None:
    good = new_decision("i1", "first")
    unstorable = new_decision("i1", "second", quantity_after=Decimal("1E+25"))  # fails after the intent row

    with pytest.raises(StatementError):
        store.record_intent(run_id, new_intent("i1"), [good, unstorable])

    assert store.intents() == []
    assert store.decisions() == []
    assert store.record_intent(run_id, new_intent("i1"), [good]) is True
    assert store.decisions() == [good]


def test_a_constraint_violation_rolls_back_the_order_and_its_event(
    store: SqlAuditStore, run_id: int, new_order: Callable[..., Order]
) -> None:
    with pytest.raises(IntegrityError):
        store.save_new_order(run_id + 1000, new_order("c1"))  # no such run: foreign key violated

    assert store.get_order("c1") is None
    assert store.order_events() == []
    assert store.save_new_order(run_id, new_order("c1")) is True


def test_many_threads_writing_at_once_all_succeed(
    store: SqlAuditStore, new_fill: Callable[..., Fill]
) -> None:
    errors: list[BaseException] = []

    def write_fills(worker: int) -> None:
        try:
            for n in range(20):
                assert store.record_fill(new_fill(f"w{worker}-{n}"))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write_fills, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(store.fills()) == 120


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.sqlite'}", busy_timeout_ms=7000)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 7000
    finally:
        engine.dispose()


def test_an_in_memory_sqlite_store_works_for_quick_experiments(run_info: Callable[..., RunInfo]) -> None:
    engine = make_engine("sqlite://")
    upgrade(engine)
    with SqlAuditStore(engine, venue="paper") as store:
        run_id = store.start_run(run_info())
        assert store.latest_run_id() == run_id
    engine.dispose()


def test_every_query_returns_domain_objects_not_orm_rows(
    store: SqlAuditStore,
    run_id: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
    new_order: Callable[..., Order],
    new_fill: Callable[..., Fill],
    new_snapshot: Callable[..., EquitySnapshot],
) -> None:
    store.record_intent(run_id, new_intent("intent-1"), [new_decision("intent-1", "a")])
    store.save_new_order(run_id, new_order())
    store.record_fill(new_fill())
    store.record_equity(run_id, new_snapshot())

    results = [
        store.get_order("sbintent-1e0"),
        *store.orders(run_id),
        *store.fills(run_id),
        *store.runs(),
        *store.intents(run_id),
        *store.decisions(run_id),
        *store.order_events(run_id=run_id),
        *store.equity_snapshots(run_id),
    ]

    assert len(results) == 8
    assert not any(isinstance(result, Base) for result in results)
    assert isinstance(results[3], RunRecord)


def test_an_unsupported_database_url_is_refused_naming_the_scheme() -> None:
    with pytest.raises(ValueError, match="'mysql\\+pymysql' is not supported"):
        make_engine("mysql+pymysql://user:secret@host/db")


def test_a_postgresql_url_without_a_driver_uses_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
