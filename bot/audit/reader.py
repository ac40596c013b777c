"""Read access to the audit trail: what reports, reconciliation and the engine's restart look at.

Every method runs in its own short transaction and returns domain objects (or :class:`RunRecord`),
never ORM rows, so callers cannot accidentally lazy-load or mutate through a closed session.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

from sqlalchemy import URL, Engine, func, select
from sqlalchemy.orm import Session

from bot.audit import convert
from bot.audit.engine import make_engine
from bot.audit.models import (
    EquitySnapshotRow,
    FillRow,
    IntentRow,
    OrderEventRow,
    OrderRow,
    RiskDecisionRow,
    RunRow,
    TradingStateEventRow,
)
from bot.audit.records import RunRecord, TradingStateEvent
from bot.domain import (
    EquitySnapshot,
    Fill,
    Order,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    RiskDecision,
)

TERMINAL_STATUSES = tuple(status.value for status in OrderStatus if status.is_terminal)


class SqlAuditReader:
    """Queries over an audit database created by :func:`bot.audit.migrate.upgrade`.

    Accepts a URL (the reader then owns its engine and :meth:`close` disposes it) or an existing
    engine (shared, left open), e.g. one made by :func:`bot.audit.engine.make_engine`.
    """

    def __init__(self, url_or_engine: str | URL | Engine) -> None:
        if isinstance(url_or_engine, Engine):
            self._engine, self._owns_engine = url_or_engine, False
        else:
            self._engine, self._owns_engine = make_engine(url_or_engine), True
        dialect = self._engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"audit store supports sqlite and postgresql, not {dialect!r}")

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Release pooled connections if this object created the engine."""
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._engine) as session, session.begin():
            yield session

    def get_order(self, client_order_id: str) -> Order | None:
        with self._read() as s:
            row = s.scalars(select(OrderRow).where(OrderRow.client_order_id == client_order_id)).one_or_none()
            return None if row is None else convert.order(row)

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]:
        """Orders by creation time. ``only_open`` keeps those not in a terminal status (including
        PENDING and UNKNOWN, which still need a look-up at the venue), across runs if ``run_id`` is None."""
        query = select(OrderRow).order_by(OrderRow.created_at, OrderRow.id)
        if run_id is not None:
            query = query.where(OrderRow.run_id == run_id)
        if only_open:
            query = query.where(OrderRow.status.not_in(TERMINAL_STATUSES))
        with self._read() as s:
            return [convert.order(row) for row in s.scalars(query)]

    def fills(self, run_id: int | None = None) -> list[Fill]:
        """Fills by time. With ``run_id``, only fills of that run's orders (a fill for an order this
        database never saw belongs to no run and appears only with ``run_id=None``)."""
        query = select(FillRow).order_by(FillRow.occurred_at, FillRow.id)
        if run_id is not None:
            query = query.join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id).where(
                OrderRow.run_id == run_id
            )
        with self._read() as s:
            return [convert.fill(row) for row in s.scalars(query)]

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        with self._read() as s:
            return [convert.run_record(row) for row in s.scalars(select(RunRow).order_by(RunRow.id))]

    def latest_run_id(self) -> int | None:
        with self._read() as s:
            return s.scalar(select(func.max(RunRow.id)))

    def intents(self, run_id: int | None = None) -> list[OrderIntent]:
        query = select(IntentRow).order_by(IntentRow.created_at, IntentRow.intent_id)
        if run_id is not None:
            query = query.where(IntentRow.run_id == run_id)
        with self._read() as s:
            return [convert.intent(row) for row in s.scalars(query)]

    def decisions(self, run_id: int | None = None) -> list[RiskDecision]:
        """Risk decisions grouped per intent (by intent time), each chain in the order the guards ran."""
        query = (
            select(RiskDecisionRow)
            .join(IntentRow, IntentRow.intent_id == RiskDecisionRow.intent_id)
            .order_by(IntentRow.created_at, IntentRow.intent_id, RiskDecisionRow.seq)
        )
        if run_id is not None:
            query = query.where(IntentRow.run_id == run_id)
        with self._read() as s:
            return [convert.decision(row) for row in s.scalars(query)]

    def order_events(self, client_order_id: str | None = None, run_id: int | None = None) -> list[OrderEvent]:
        """Order history by time, ties in the order the events were recorded."""
        query = select(OrderEventRow).order_by(OrderEventRow.occurred_at, OrderEventRow.id)
        if client_order_id is not None:
            query = query.where(OrderEventRow.client_order_id == client_order_id)
        if run_id is not None:
            query = query.join(OrderRow, OrderRow.client_order_id == OrderEventRow.client_order_id).where(
                OrderRow.run_id == run_id
            )
        with self._read() as s:
            return [convert.event(row) for row in s.scalars(query)]

    def equity_snapshots(self, run_id: int | None = None) -> list[EquitySnapshot]:
        query = select(EquitySnapshotRow).order_by(EquitySnapshotRow.taken_at, EquitySnapshotRow.id)
        if run_id is not None:
            query = query.where(EquitySnapshotRow.run_id == run_id)
        with self._read() as s:
            return [convert.snapshot(row) for row in s.scalars(query)]

    def trading_state_events(self, bot_name: str, after_id: int = 0) -> list[TradingStateEvent]:
        """``bot_name``'s trading state changes with an id above ``after_id``, oldest first.

        A daemon polls with the last id it has seen, so each tick reads only what is new.
        """
        query = (
            select(TradingStateEventRow)
            .where(TradingStateEventRow.bot_name == bot_name, TradingStateEventRow.id > after_id)
            .order_by(TradingStateEventRow.id)
        )
        with self._read() as s:
            return [convert.trading_state_event(row) for row in s.scalars(query)]

    def latest_trading_state(self, bot_name: str) -> TradingStateEvent | None:
        """The change in force for ``bot_name`` (the newest one), or None if it never had one."""
        query = (
            select(TradingStateEventRow)
            .where(TradingStateEventRow.bot_name == bot_name)
            .order_by(TradingStateEventRow.id.desc())
            .limit(1)
        )
        with self._read() as s:
            row = s.scalars(query).first()
            return None if row is None else convert.trading_state_event(row)
