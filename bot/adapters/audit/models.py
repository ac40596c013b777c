"""The audit tables, as typed SQLAlchemy declarative classes.

These classes stay inside ``bot.adapters.audit``: the store converts rows to domain objects before returning,
so nothing outside the package holds an ORM object bound to a session. The schema itself is
created by the hand-written Alembic migrations, never by ``metadata.create_all``; a test checks the
two agree.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ForeignKey, Index, MetaData, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.adapters.audit.types import BigIntPk, ExactDecimal, JsonDocument, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so migrations can refer to them on every backend."""

ID = String(64)  # intent ids, client order ids
NAME = String(128)  # strategies, guards, reason codes, venues, exchange ids
SYMBOL = String(64)
CODE = String(32)  # enum values: side, kind, order type, status, ...
ACTOR = String(255)  # who changed a trading state, e.g. 'cli:alice@host'


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {Decimal: ExactDecimal(), datetime: UtcDateTime()}  # noqa: RUF012


class RunRow(Base):
    """One daemon/backtest run: what was started, with which (secret-free) settings, and how it ended."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_bot_name_status", "bot_name", "status"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(CODE)
    mode: Mapped[str] = mapped_column(CODE)
    venue: Mapped[str] = mapped_column(NAME)
    version: Mapped[str] = mapped_column(NAME)
    config_hash: Mapped[str] = mapped_column(NAME)
    config: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    bot_name: Mapped[str | None] = mapped_column(NAME)
    kind: Mapped[str | None] = mapped_column(CODE)  # "daemon" or "backtest"
    start_balances: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)  # live: venue, at start
    markets: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)  # symbol -> tick, step, min notional


class IntentRow(Base):
    """What a strategy asked for, keyed by its deterministic intent id (stored before any order)."""

    __tablename__ = "intents"
    __table_args__ = (Index("ix_intents_run_id_created_at", "run_id", "created_at"),)

    intent_id: Mapped[str] = mapped_column(ID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    strategy: Mapped[str] = mapped_column(NAME)
    symbol: Mapped[str] = mapped_column(SYMBOL)
    side: Mapped[str] = mapped_column(CODE)
    kind: Mapped[str] = mapped_column(CODE)
    order_type: Mapped[str] = mapped_column(CODE)
    reference_price: Mapped[Decimal]
    limit_price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    quantity: Mapped[Decimal | None]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class RiskDecisionRow(Base):
    """One guard's verdict on one intent; ``seq`` keeps the chain's order."""

    __tablename__ = "risk_decisions"
    __table_args__ = (UniqueConstraint("intent_id", "seq"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    intent_id: Mapped[str] = mapped_column(ForeignKey("intents.intent_id"))
    seq: Mapped[int]
    guard: Mapped[str] = mapped_column(NAME)
    verdict: Mapped[str] = mapped_column(CODE)
    reason: Mapped[str] = mapped_column(NAME)
    detail: Mapped[str] = mapped_column(Text)
    quantity_before: Mapped[Decimal | None]
    quantity_after: Mapped[Decimal | None]
    decided_at: Mapped[datetime]


class OrderRow(Base):
    """An order's current state. Its history lives in ``order_events``.

    ``intent_id`` is deliberately not a foreign key: an order must be storable before it is sent even
    when its intent came from elsewhere (reconciliation adopting a venue order).
    """

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_run_id_created_at", "run_id", "created_at"),
        Index("ix_orders_status", "status"),
        Index("ix_orders_intent_id", "intent_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(ID, unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    intent_id: Mapped[str] = mapped_column(ID)
    venue: Mapped[str] = mapped_column(NAME)
    symbol: Mapped[str] = mapped_column(SYMBOL)
    side: Mapped[str] = mapped_column(CODE)
    order_type: Mapped[str] = mapped_column(CODE)
    purpose: Mapped[str] = mapped_column(CODE)
    price: Mapped[Decimal | None]
    stop_price: Mapped[Decimal | None]
    quantity: Mapped[Decimal]
    status: Mapped[str] = mapped_column(CODE)
    exchange_order_id: Mapped[str | None] = mapped_column(NAME)
    filled_quantity: Mapped[Decimal]
    average_fill_price: Mapped[Decimal | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderEventRow(Base):
    """One state change of an order. Append-only: the store never updates or deletes these rows,
    and the migration installs triggers that refuse UPDATE and DELETE at the database."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_client_order_id_occurred_at", "client_order_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(ForeignKey("orders.client_order_id"))
    status: Mapped[str] = mapped_column(CODE)
    detail: Mapped[str] = mapped_column(Text)
    exchange_order_id: Mapped[str | None] = mapped_column(NAME)
    occurred_at: Mapped[datetime]


class FillRow(Base):
    """One execution, unique per (venue, trade_id) so a re-reported fill is stored once.

    ``client_order_id`` is not a foreign key: every fill the venue reports is kept, even one for an
    order this database never saw (a manual trade, a lost write before a crash).
    """

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("venue", "trade_id"),
        Index("ix_fills_client_order_id", "client_order_id"),
        Index("ix_fills_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    venue: Mapped[str] = mapped_column(NAME)
    trade_id: Mapped[str] = mapped_column(NAME)
    client_order_id: Mapped[str] = mapped_column(ID)
    symbol: Mapped[str] = mapped_column(SYMBOL)
    side: Mapped[str] = mapped_column(CODE)
    price: Mapped[Decimal]
    quantity: Mapped[Decimal]
    fee: Mapped[Decimal]
    fee_currency: Mapped[str] = mapped_column(CODE)
    liquidity: Mapped[str] = mapped_column(CODE)
    occurred_at: Mapped[datetime]
    exchange_order_id: Mapped[str | None] = mapped_column(NAME)


class EquitySnapshotRow(Base):
    """Equity over time, for drawdown reports and the breakers' peak after a restart."""

    __tablename__ = "equity_snapshots"
    __table_args__ = (Index("ix_equity_snapshots_run_id_taken_at", "run_id", "taken_at"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    taken_at: Mapped[datetime]
    equity: Mapped[Decimal]
    cash: Mapped[Decimal]
    positions_value: Mapped[Decimal]
    peak_equity: Mapped[Decimal]
    marks: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)  # symbol -> price valued at


class TradingStateEventRow(Base):
    """One change of a bot's trading state (ACTIVE / REDUCING / HALTED), by whom and why.

    Append-only like ``order_events`` (triggers refuse UPDATE and DELETE); the newest row per
    ``bot_name`` is the state in force. Written by ``spotbot halt`` / ``resume`` and the breakers,
    polled by a running daemon.
    """

    __tablename__ = "trading_state_events"
    __table_args__ = (Index("ix_trading_state_events_bot_name_id", "bot_name", "id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    bot_name: Mapped[str] = mapped_column(NAME)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    state: Mapped[str] = mapped_column(CODE)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(ACTOR)
    flatten: Mapped[bool] = mapped_column(server_default=false())
    occurred_at: Mapped[datetime]


class DaemonLeaseRow(Base):
    """Who holds a bot's lease on this database: at most one running daemon per bot name.

    The row says who; the exclusion itself is an advisory lock (PostgreSQL) or a file lock (SQLite) held
    for the daemon's life, which the operating system or the server releases when the process dies.
    """

    __tablename__ = "daemon_leases"

    bot_name: Mapped[str] = mapped_column(NAME, primary_key=True)
    host: Mapped[str] = mapped_column(ACTOR)
    pid: Mapped[int]
    run_id: Mapped[int | None] = mapped_column(BigIntPk)
    acquired_at: Mapped[datetime]


class TradeExcursionRow(Base):
    """The price range a closed round trip was open through (lowest low, highest high of its candles),
    written by the engine when it closes; the trade journal derives MAE and MFE from it."""

    __tablename__ = "trade_excursions"
    __table_args__ = (UniqueConstraint("run_id", "symbol", "opened_at", "closed_at"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    symbol: Mapped[str] = mapped_column(SYMBOL)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime]
    timeframe: Mapped[str] = mapped_column(CODE)
    candles: Mapped[int]
    lowest: Mapped[Decimal | None]
    highest: Mapped[Decimal | None]


class TradeNoteRow(Base):
    """A human's note on one trade (``spotbot journal note``). Append-only like ``order_events``
    (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "trade_notes"
    __table_args__ = (Index("ix_trade_notes_run_id_trade_id", "run_id", "trade_id"),)

    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True, autoincrement=True)
    trade_id: Mapped[str] = mapped_column(ID)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    bot_name: Mapped[str] = mapped_column(NAME)
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(ACTOR)
    created_at: Mapped[datetime]


def table_of(model: type[Base]) -> Table:
    """A model's table: selecting or inserting its columns directly works on plain rows, several times
    cheaper than ORM objects."""
    return cast(Table, model.__table__)
