"""Read access to the audit trail: what reports, reconciliation and the engine's restart look at.

Every method runs in its own short transaction and returns domain objects (or :class:`RunRecord`),
never ORM rows, so callers cannot accidentally lazy-load or mutate through a closed session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self, TypeVar

from sqlalchemy import URL, ColumnElement, Engine, Select, case, func, select
from sqlalchemy.orm import Session

from bot.adapters.audit import convert
from bot.adapters.audit.engine import make_engine
from bot.adapters.audit.models import (
    EquitySnapshotRow,
    FillRow,
    IntentRow,
    OrderEventRow,
    OrderRow,
    RiskDecisionRow,
    RunRow,
    TradingStateEventRow,
    table_of,
)
from bot.adapters.audit.transactions import RetryPolicy, Transactions
from bot.domain import (
    EquitySnapshot,
    Fill,
    Order,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    RiskDecision,
)
from bot.domain.records import RunRecord, TradingStateEvent

TERMINAL_STATUSES = tuple(status.value for status in OrderStatus if status.is_terminal)

T = TypeVar("T")


class SqlAuditReader:
    """Queries over an audit database created by :func:`bot.adapters.audit.migrate.upgrade`.

    Accepts a URL (the reader then owns its engine and :meth:`close` disposes it) or an existing
    engine (shared, left open), e.g. one made by :func:`bot.adapters.audit.engine.make_engine`. A read on a
    lost
    PostgreSQL connection is run again on a new one (``retry``, see :mod:`bot.adapters.audit.transactions`);
    a database that cannot be read raises :class:`~bot.adapters.audit.errors.AuditDbError`.
    """

    def __init__(self, url_or_engine: str | URL | Engine, *, retry: RetryPolicy | None = None) -> None:
        if isinstance(url_or_engine, Engine):
            self._engine, self._owns_engine = url_or_engine, False
        else:
            self._engine, self._owns_engine = make_engine(url_or_engine), True
        dialect = self._engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"audit store supports sqlite and postgresql, not {dialect!r}")
        self._transactions = Transactions(self._engine, retry)

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

    @property
    def database(self) -> str:
        """This store's database URL, password masked (for messages and logs)."""
        return self._transactions.database

    def _read(self, work: Callable[[Session], T]) -> T:
        return self._transactions.read(work)

    def _all(self, query: Select[Any], to: Callable[[Any], T]) -> list[T]:
        """Every row of ``query``, each converted by ``to``, in one read."""
        return self._read(lambda s: [to(row) for row in s.execute(query)])

    def get_order(self, client_order_id: str) -> Order | None:
        found = self._all(
            select(table_of(OrderRow)).where(OrderRow.client_order_id == client_order_id), convert.order
        )
        return found[0] if found else None

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]:
        """Orders by creation time. ``only_open`` keeps those not in a terminal status (including
        PENDING and UNKNOWN, which still need a look-up at the venue), across runs if ``run_id`` is None."""
        query = select(table_of(OrderRow)).order_by(OrderRow.created_at, OrderRow.id)
        if run_id is not None:
            query = query.where(OrderRow.run_id == run_id)
        if only_open:
            query = query.where(OrderRow.status.not_in(TERMINAL_STATUSES))
        return self._all(query, convert.order)

    def fills(self, run_id: int | None = None) -> list[Fill]:
        """Fills by time. With ``run_id``, only fills of that run's orders (a fill for an order this
        database never saw belongs to no run and appears only with ``run_id=None``)."""
        query = select(table_of(FillRow)).order_by(FillRow.occurred_at, FillRow.id)
        if run_id is not None:
            query = query.join(OrderRow, OrderRow.client_order_id == FillRow.client_order_id).where(
                OrderRow.run_id == run_id
            )
        return self._all(query, convert.fill)

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        return self._all(select(table_of(RunRow)).order_by(RunRow.id), convert.run_record)

    def latest_run_id(self) -> int | None:
        return self._read(lambda s: s.scalar(select(func.max(RunRow.id))))

    def intents(self, run_id: int | None = None) -> list[OrderIntent]:
        query = select(table_of(IntentRow)).order_by(IntentRow.created_at, IntentRow.intent_id)
        if run_id is not None:
            query = query.where(IntentRow.run_id == run_id)
        return self._all(query, convert.intent)

    def decisions(self, run_id: int | None = None) -> list[RiskDecision]:
        """Risk decisions grouped per intent (by intent time), each chain in the order the guards ran."""
        query = (
            select(table_of(RiskDecisionRow))
            .join(IntentRow, IntentRow.intent_id == RiskDecisionRow.intent_id)
            .order_by(IntentRow.created_at, IntentRow.intent_id, RiskDecisionRow.seq)
        )
        if run_id is not None:
            query = query.where(IntentRow.run_id == run_id)
        return self._all(query, convert.decision)

    def intent_outcome_counts(self, run_id: int) -> tuple[dict[str, int], dict[str, int]]:
        """Counted in the database, without loading the decisions: intents by their chain's final word
        (``denied`` if a guard denied, else ``resized`` if one resized, else ``approved``), and denials
        and resizes by ``"guard:reason"``."""
        decisions, intents = table_of(RiskDecisionRow), table_of(IntentRow)
        of_run = decisions.join(intents, intents.c.intent_id == decisions.c.intent_id)

        def any_of(verdict: str) -> ColumnElement[int]:
            return func.sum(case((decisions.c.verdict == verdict, 1), else_=0))

        per_intent = (
            select(
                case(
                    (any_of("denied") > 0, "denied"), (any_of("resized") > 0, "resized"), else_="approved"
                ).label("outcome")
            )
            .select_from(of_run)
            .where(intents.c.run_id == run_id)
            .group_by(decisions.c.intent_id)
            .subquery()
        )
        outcomes = select(per_intent.c.outcome, func.count()).group_by(per_intent.c.outcome)
        reasons = (
            select(decisions.c.guard, decisions.c.reason, func.count())
            .select_from(of_run)
            .where(intents.c.run_id == run_id, decisions.c.verdict != "approved")
            .group_by(decisions.c.guard, decisions.c.reason)
        )

        def count(s: Session) -> tuple[dict[str, int], dict[str, int]]:
            by_outcome = {outcome: count for outcome, count in s.execute(outcomes)}
            by_reason = {f"{guard}:{reason}": count for guard, reason, count in s.execute(reasons)}
            return by_outcome, by_reason

        return self._read(count)

    def order_status_counts(self, run_id: int) -> dict[str, int]:
        """How many of the run's orders are in each status, counted in the database."""
        orders = table_of(OrderRow)
        query = (
            select(orders.c.status, func.count()).where(orders.c.run_id == run_id).group_by(orders.c.status)
        )
        return self._read(lambda s: {status: count for status, count in s.execute(query)})

    def order_events(self, client_order_id: str | None = None, run_id: int | None = None) -> list[OrderEvent]:
        """Order history by time, ties in the order the events were recorded."""
        query = select(table_of(OrderEventRow)).order_by(OrderEventRow.occurred_at, OrderEventRow.id)
        if client_order_id is not None:
            query = query.where(OrderEventRow.client_order_id == client_order_id)
        if run_id is not None:
            query = query.join(OrderRow, OrderRow.client_order_id == OrderEventRow.client_order_id).where(
                OrderRow.run_id == run_id
            )
        return self._all(query, convert.event)

    def equity_snapshots(self, run_id: int | None = None) -> list[EquitySnapshot]:
        query = select(table_of(EquitySnapshotRow)).order_by(EquitySnapshotRow.taken_at, EquitySnapshotRow.id)
        if run_id is not None:
            query = query.where(EquitySnapshotRow.run_id == run_id)
        return self._all(query, convert.snapshot)

    def trading_state_events(self, bot_name: str, after_id: int = 0) -> list[TradingStateEvent]:
        """``bot_name``'s trading state changes with an id above ``after_id``, oldest first.

        A daemon polls with the last id it has seen, so each tick reads only what is new.
        """
        query = (
            select(table_of(TradingStateEventRow))
            .where(TradingStateEventRow.bot_name == bot_name, TradingStateEventRow.id > after_id)
            .order_by(TradingStateEventRow.id)
        )
        return self._all(query, convert.trading_state_event)

    def latest_trading_state(self, bot_name: str) -> TradingStateEvent | None:
        """The change in force for ``bot_name`` (the newest one), or None if it never had one."""
        query = (
            select(table_of(TradingStateEventRow))
            .where(TradingStateEventRow.bot_name == bot_name)
            .order_by(TradingStateEventRow.id.desc())
            .limit(1)
        )
        found = self._all(query, convert.trading_state_event)
        return found[0] if found else None
