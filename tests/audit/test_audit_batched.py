"""The backtests' write-behind store leaves exactly the rows the row-by-row store would, and reads
(after a flush) answer exactly as the row-by-row store's."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.adapters.audit.batched import BatchedAuditStore
from bot.adapters.audit.journal import SqlTradeJournal
from bot.adapters.audit.store import UnknownRecordError
from bot.core.ports import RunInfo
from bot.domain import (
    EquitySnapshot,
    Fill,
    Order,
    OrderEvent,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    RiskDecision,
    Verdict,
)
from bot.domain.journal import PriceExcursion
from tests.conftest import POSTGRES_URL_ENV, _postgres_schema_url

VENUE = "binance"
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def everything(store: SqlAuditStore, run_id: int) -> dict[str, Any]:
    return {
        "orders": store.orders(run_id),
        "open": store.orders(run_id, only_open=True),
        "events": store.order_events(run_id=run_id),
        "fills": store.fills(),
        "intents": store.intents(run_id),
        "decisions": store.decisions(run_id),
        "snapshots": store.equity_snapshots(run_id),
        "excursions": SqlTradeJournal(store.engine).excursions(run_id),  # after the reads above flushed
    }


def play(
    store: SqlAuditStore,
    run_id: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
    new_order: Callable[..., Order],
    new_fill: Callable[..., Fill],
    new_snapshot: Callable[..., EquitySnapshot],
) -> list[object]:
    """A trading session's writes: intents, orders through their lives, fills, equity. What each
    write returned, for comparing."""
    said: list[object] = []
    for n in range(1, 4):
        intent = new_intent(f"intent-{n}")
        decisions = [new_decision(intent.intent_id, "sizing"),
                     new_decision(intent.intent_id, "balance", verdict=Verdict.RESIZED,
                                  quantity_after=Decimal("0.1234567890123456789"))]  # fmt: skip
        said.append(store.record_intent(run_id, intent, decisions))
        order = new_order(f"sbintent-{n}n0", intent_id=intent.intent_id, created_at=at(n))
        said.append(store.save_new_order(run_id, order))
        said.append(store.save_new_order(run_id, order))  # a restart re-using the id: refused
        acked = dataclasses.replace(order, status=OrderStatus.OPEN, exchange_order_id=f"x{n}")
        store.record_order_update(
            acked, OrderEvent(order.client_order_id, OrderStatus.OPEN, at(n), "ack", f"x{n}")
        )
        filled = dataclasses.replace(order, status=OrderStatus.FILLED, filled_quantity=order.quantity,
                                     average_fill_price=Decimal("41990.000"))  # fmt: skip
        store.record_order_update(filled, OrderEvent(order.client_order_id, OrderStatus.FILLED, at(n + 0.5)))
        fill = new_fill(f"trade-{n}", order.client_order_id, occurred_at=at(n + 0.5))
        said += [store.record_fill(fill), store.record_fill(fill)]
        stop = new_order(f"sbintent-{n}s0", intent_id=intent.intent_id, purpose=OrderPurpose.STOP,
                         created_at=at(n + 0.5), price=None, stop_price=Decimal("40000"))  # fmt: skip
        said.append(store.save_new_order(run_id, stop))
        store.record_equity(run_id, new_snapshot(taken_at=at(n), equity=Decimal(10_000 + n)))
        excursion = PriceExcursion("BTC/USDT", at(n), at(n + 0.5), "1m", n, Decimal("39990.5"), Decimal(42))
        said += [store.record_excursion(run_id, excursion), store.record_excursion(run_id, excursion)]
        said.append(store.get_order(stop.client_order_id))
        said.append(store.orders(run_id, only_open=True))
    said.append(store.record_intent(run_id, new_intent("intent-1"), []))  # decided already
    return said


@pytest.fixture(params=["sqlite", "postgresql"])
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty, migrated databases of one kind (the same session is written to each)."""
    if request.param == "sqlite":
        urls = (f"sqlite:///{tmp_path / 'plain.sqlite'}", f"sqlite:///{tmp_path / 'batched.sqlite'}")
        for url in urls:
            upgrade(url)
        yield urls
        return
    base_url = os.environ.get(POSTGRES_URL_ENV)
    if not base_url:
        pytest.skip(f"PostgreSQL leg: set {POSTGRES_URL_ENV}=postgresql+psycopg://user@host:port/db")
    first, second = _postgres_schema_url(base_url), _postgres_schema_url(base_url)
    urls = (next(first), next(second))
    for url in urls:
        upgrade(url)
    try:
        yield urls
    finally:
        for schema in (first, second):
            schema.close()


@pytest.mark.parametrize("flush_rows", [1, 3, 50_000])
def test_a_batched_session_leaves_the_same_rows_and_answers_as_one_written_row_by_row(
    two_databases: tuple[str, str],
    run_info: Callable[..., RunInfo],
    flush_rows: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
    new_order: Callable[..., Order],
    new_fill: Callable[..., Fill],
    new_snapshot: Callable[..., EquitySnapshot],
) -> None:
    builders = (new_intent, new_decision, new_order, new_fill, new_snapshot)
    plain_url, batched_url = two_databases
    with SqlAuditStore(plain_url, venue=VENUE) as plain:
        plain_run = plain.start_run(run_info())
        plain_said = play(plain, plain_run, *builders)
        plain_rows = everything(plain, plain_run)
    with BatchedAuditStore(batched_url, venue=VENUE, flush_rows=flush_rows) as batched:
        batched_run = batched.start_run(run_info())
        assert batched_run == plain_run
        assert play(batched, batched_run, *builders) == plain_said
        in_memory = everything(batched, batched_run)
        batched.finish_run(batched_run, at(10), "completed")
    with SqlAuditStore(batched_url, venue=VENUE) as reader:
        written = everything(reader, batched_run)
    assert written == plain_rows
    assert in_memory == plain_rows


def test_a_fill_another_run_stored_fails_the_flush_loudly(
    migrated_url: str, run_info: Callable[..., RunInfo], new_fill: Callable[..., Fill]
) -> None:
    """Backtest ids are scoped to their run, so this cannot happen by design; if it did, the database's
    unique key still refuses the duplicate, and the flush fails rather than losing the difference."""
    with SqlAuditStore(migrated_url, venue=VENUE) as plain:
        plain.start_run(run_info())
        assert plain.record_fill(new_fill())
    store = BatchedAuditStore(migrated_url, venue=VENUE)
    store.start_run(run_info())
    assert store.record_fill(new_fill())
    with pytest.raises(IntegrityError):
        store.flush()
    with pytest.raises(IntegrityError):
        store.close()  # the rows are still unwritten: closing says so rather than dropping them


def test_an_update_to_an_order_never_saved_is_refused(migrated_url: str, run_info: Callable[..., RunInfo],
                                                      new_order: Callable[..., Order]) -> None:  # fmt: skip
    with BatchedAuditStore(migrated_url, venue=VENUE) as store:
        store.start_run(run_info())
        order = new_order()
        with pytest.raises(UnknownRecordError, match="no order with client order id"):
            store.record_order_update(order, OrderEvent(order.client_order_id, OrderStatus.OPEN, at(1)))


def test_nothing_is_written_until_a_flush_and_everything_after_it(
    migrated_url: str, run_info: Callable[..., RunInfo], new_order: Callable[..., Order]
) -> None:
    upgrade(migrated_url)
    with BatchedAuditStore(migrated_url, venue=VENUE) as store, SqlAuditStore(migrated_url, VENUE) as reader:
        run_id = store.start_run(run_info())
        store.save_new_order(run_id, new_order())
        assert reader.orders(run_id) == []
        assert store.get_order(new_order().client_order_id) is not None
        store.flush()
        assert [o.client_order_id for o in reader.orders(run_id)] == [new_order().client_order_id]
