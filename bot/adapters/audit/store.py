"""The SQLAlchemy audit store: intents, risk decisions, orders, order events, fills, equity.

Each write is one transaction (a function of a session, run by
:class:`~bot.adapters.audit.transactions.Transactions`):
it commits whole or rolls back whole, and the session is closed either way, so one failed write never
wedges the next. Duplicates are decided by the database (``INSERT ... ON CONFLICT DO NOTHING`` on the
unique key), not by a check-then-insert that two writers could both pass.

On PostgreSQL a write cut off by a lost connection is run again on a new one, and one whose COMMIT was
cut off is first looked up, so it is stored exactly once (see :mod:`bot.adapters.audit.transactions`). A
database that cannot take the write raises :class:`~bot.adapters.audit.errors.AuditDbError` (read-only, full,
unavailable); anything else is a bug and raises as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import URL, Engine, func, select, update
from sqlalchemy.orm import Session

from bot.adapters.audit import convert
from bot.adapters.audit.journal import EXCURSION_KEY, excursion_values
from bot.adapters.audit.models import (
    EquitySnapshotRow,
    FillRow,
    IntentRow,
    OrderEventRow,
    OrderRow,
    RunRow,
    TradingStateEventRow,
)
from bot.adapters.audit.reader import SqlAuditReader
from bot.adapters.audit.transactions import RetryPolicy
from bot.adapters.audit.writes import (
    EXCURSIONS,
    FILLS,
    INSERT_DECISION,
    INSERT_EVENT,
    INSERT_SNAPSHOT,
    INTENTS,
    ORDER_UPDATE_RETURNING,
    ORDERS,
    UnknownRecordError,
    check_decisions,
    check_event,
    first_event,
    insert_new,
    order_update_values,
)
from bot.domain import EquitySnapshot, Fill, Order, OrderEvent, OrderIntent, RiskDecision, TradingStatus
from bot.domain.journal import PriceExcursion
from bot.domain.records import RUN_STATUS_CRASHED, RUN_STATUS_RUNNING
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.core.ports import AuditQueries, AuditStore, RunInfo

log = get_logger(__name__)

T = TypeVar("T")


class SqlAuditStore(SqlAuditReader):
    """:class:`bot.core.ports.AuditStore` (and :class:`bot.core.ports.AuditQueries`) on SQLite or PostgreSQL.

    ``venue`` is written on every order row: the domain ``Order`` does not carry it, and one
    database may hold runs against several venues.
    """

    def __init__(
        self, url_or_engine: str | URL | Engine, venue: str, *, retry: RetryPolicy | None = None
    ) -> None:
        super().__init__(url_or_engine, retry=retry)
        self.venue = venue

    def _write(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in one write transaction, committed exactly once; returns its result."""
        return self._transactions.write(work)

    def start_run(self, run: RunInfo) -> int:
        values: dict[str, Any] = dict(
            started_at=run.started_at,
            stopped_at=None,
            status=RUN_STATUS_RUNNING,
            mode=run.mode,
            venue=run.venue,
            version=run.version,
            config_hash=run.config_hash,
            config=dict(run.config),
            bot_name=run.bot_name,
            kind=run.kind,
        )
        run_id = self._write(lambda s: _inserted_id(s, RunRow(**values)))
        log.info("audit_run_started", run_id=run_id, mode=run.mode, venue=run.venue)
        return run_id

    def describe_run(
        self, run_id: int, *, start_balances: Mapping[str, Any] | None = None, markets: Mapping[str, Any]
    ) -> None:
        """Record what the run started from: the venue's balances (live) and each symbol's market rules."""
        values = {
            "markets": dict(markets),
            "start_balances": dict(start_balances) if start_balances else None,
        }
        statement = update(RunRow).where(RunRow.id == run_id).values(**values)
        if self._write(lambda s: s.execute(statement.returning(RunRow.id)).first()) is None:
            raise UnknownRecordError(f"no run with id {run_id}")

    def finish_run(self, run_id: int, stopped_at: datetime, status: str) -> None:
        statement = update(RunRow).where(RunRow.id == run_id).values(stopped_at=stopped_at, status=status)
        if self._write(lambda s: s.execute(statement.returning(RunRow.id)).first()) is None:
            raise UnknownRecordError(f"no run with id {run_id}")

    def close_crashed_runs(self, bot_name: str) -> list[tuple[int, datetime]]:
        """Close the daemon runs of ``bot_name`` still marked running: status ``crashed``, stopped at the time
        of their last row. Only a caller holding the bot's lease may call this (their daemons are dead)."""

        def close(s: Session) -> list[tuple[int, datetime]]:
            closed = []
            dead = s.scalars(
                select(RunRow.id).where(
                    RunRow.bot_name == bot_name,
                    RunRow.status == RUN_STATUS_RUNNING,
                    (RunRow.kind != "backtest") | RunRow.kind.is_(None),
                )
            ).all()
            for run_id in dead:
                stopped_at = _last_row_time(s, run_id)
                closing = update(RunRow).where(RunRow.id == run_id)
                s.execute(closing.values(status=RUN_STATUS_CRASHED, stopped_at=stopped_at))
                closed.append((run_id, stopped_at))
            return closed

        closed = self._write(close)
        for run_id, stopped_at in closed:
            log.warning(
                "crashed_run_closed", run_id=run_id, bot_name=bot_name, last_row_at=stopped_at.isoformat()
            )
        return closed

    def record_intent(self, run_id: int, intent: OrderIntent, decisions: Sequence[RiskDecision]) -> bool:
        """Store the intent and its decisions (``seq`` 1, 2, ... in chain order) together, or nothing."""
        check_decisions(intent, decisions)

        values = convert.intent_values(run_id, intent)
        rows = [convert.decision_values(seq, d) for seq, d in enumerate(decisions, start=1)]

        def write(s: Session) -> bool:
            if not insert_new(s, INTENTS, [values], ("intent_id",)):
                return False
            if rows:
                s.connection().execute(INSERT_DECISION, rows)
            return True

        inserted = self._write(write)
        if not inserted:
            log.debug("audit_intent_exists", intent_id=intent.intent_id)
        return inserted

    def save_new_order(self, run_id: int, order: Order) -> bool:
        """Insert the order and its first event (its status, normally PENDING) in one transaction.

        False, with the stored order untouched, if the client order id exists: a retry or a restart
        re-using the id must look the order up rather than send it again.
        """
        values = convert.order_values(run_id, self.venue, order)

        event = convert.event_values(first_event(order))

        def write(s: Session) -> bool:
            if not insert_new(s, ORDERS, [values], ("client_order_id",)):
                return False
            s.connection().execute(INSERT_EVENT, event)
            return True

        inserted = self._write(write)
        if not inserted:
            log.info("audit_order_exists", client_order_id=order.client_order_id)
        return inserted

    def record_order_update(self, order: Order, event: OrderEvent) -> None:
        """Set the order's status, fill progress and venue id, and append ``event`` to its history.

        A venue id once known is kept if ``order`` comes without one. Raises
        :class:`UnknownRecordError` if the order was never saved (nothing is written then).
        """
        check_event(order, event)
        values = order_update_values(order, event.occurred_at)
        event_values = convert.event_values(event)

        def write(s: Session) -> None:
            connection = s.connection()
            if connection.execute(ORDER_UPDATE_RETURNING, values).first() is None:
                raise UnknownRecordError(f"no order with client order id {order.client_order_id!r}")
            connection.execute(INSERT_EVENT, event_values)

        self._write(write)

    def record_fills(self, fills: Sequence[Fill]) -> list[Fill]:
        """Store fills once per (venue, trade_id), all in one transaction; returns those stored now (in the
        order given, a repeat within ``fills`` once), not those already stored by any process."""
        seen: set[tuple[str, str]] = set()
        batch = []
        for fill in fills:
            if (fill.venue, fill.trade_id) not in seen:
                seen.add((fill.venue, fill.trade_id))
                batch.append(fill)
        if not batch:
            return []
        rows = [convert.fill_values(fill) for fill in batch]
        inserted = self._write(lambda s: insert_new(s, FILLS, rows, ("venue", "trade_id")))
        new = [fill for fill in batch if (fill.venue, fill.trade_id) in inserted]
        if len(new) < len(fills):
            log.debug("audit_fills_exist", known=len(fills) - len(new))
        return new

    def record_fill(self, fill: Fill) -> bool:
        """Store one fill (see :meth:`record_fills`); False if it is stored already."""
        return bool(self.record_fills([fill]))

    def record_equity(self, run_id: int, snapshot: EquitySnapshot) -> None:
        values = convert.snapshot_values(run_id, snapshot)
        self._write(lambda s: s.connection().execute(INSERT_SNAPSHOT, values))

    def record_excursion(self, run_id: int, excursion: PriceExcursion) -> bool:
        """Store a closed round trip's price range (:mod:`bot.core.excursions`) once; False if stored."""
        values = excursion_values(run_id, excursion)
        return bool(self._write(lambda s: insert_new(s, EXCURSIONS, [values], EXCURSION_KEY)))

    def record_trading_state(
        self, bot_name: str, run_id: int | None, status: TradingStatus, actor: str, flatten: bool = False
    ) -> int:
        """Append a trading state change for ``bot_name`` (at ``status.since``); returns its event id."""
        values: dict[str, Any] = dict(
            bot_name=bot_name,
            run_id=run_id,
            state=status.state.value,
            reason=status.reason,
            actor=actor,
            flatten=flatten,
            occurred_at=status.since,
        )
        event_id = self._write(lambda s: _inserted_id(s, TradingStateEventRow(**values)))
        log.info(
            "audit_trading_state_recorded",
            event_id=event_id,
            bot_name=bot_name,
            state=status.state.value,
            reason=status.reason,
            actor=actor,
            flatten=flatten,
        )
        return event_id


def _inserted_id(s: Session, row: RunRow | TradingStateEventRow) -> int:
    """Insert ``row`` (a fresh object per attempt: a retried write must not reuse a flushed one)."""
    s.add(row)
    s.flush()
    return row.id


if TYPE_CHECKING:

    def _implements_ports(store: SqlAuditStore) -> tuple[AuditStore, AuditQueries]:
        return store, store


def _last_row_time(s: Session, run_id: int) -> datetime:
    """The time of the newest row a run wrote (its start if it wrote none)."""
    of_run = select(OrderRow.client_order_id).where(OrderRow.run_id == run_id)
    candidates = [
        select(RunRow.started_at).where(RunRow.id == run_id),
        select(func.max(IntentRow.created_at)).where(IntentRow.run_id == run_id),
        select(func.max(OrderRow.updated_at)).where(OrderRow.run_id == run_id),
        select(func.max(OrderEventRow.occurred_at)).where(OrderEventRow.client_order_id.in_(of_run)),
        select(func.max(FillRow.occurred_at)).where(FillRow.client_order_id.in_(of_run)),
        select(func.max(EquitySnapshotRow.taken_at)).where(EquitySnapshotRow.run_id == run_id),
        select(func.max(TradingStateEventRow.occurred_at)).where(TradingStateEventRow.run_id == run_id),
    ]
    times = [s.scalar(query) for query in candidates]
    return max(t for t in times if t is not None)
