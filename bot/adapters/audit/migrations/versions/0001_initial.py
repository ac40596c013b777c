"""Initial audit schema: runs, intents, risk decisions, orders, order events, fills, equity.

Hand-written and self-contained (plain SQLAlchemy types, no imports from the application), so it
keeps meaning the same thing when the models move on. ``tests/audit/test_migrations.py`` checks it
matches ``bot.adapters.audit.models``.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECIMAL = sa.Numeric(38, 18).with_variant(sa.Text(), "sqlite")  # exact text: SQLite Numeric is float
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.String(64)
NAME = sa.String(128)
SYMBOL = sa.String(64)
CODE = sa.String(32)

_SQLITE_APPEND_ONLY = """
CREATE TRIGGER order_events_no_{action} BEFORE {verb} ON order_events
BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END
"""
_POSTGRESQL_APPEND_ONLY = (
    """
    CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'order_events is append-only'; END
    $$
    """,
    """
    CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
    FOR EACH ROW EXECUTE FUNCTION order_events_append_only()
    """,
)


def _id() -> sa.Column[int]:
    return sa.Column("id", PK, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        _id(),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("stopped_at", TIMESTAMP, nullable=True),
        sa.Column("status", CODE, nullable=False),
        sa.Column("mode", CODE, nullable=False),
        sa.Column("venue", NAME, nullable=False),
        sa.Column("version", NAME, nullable=False),
        sa.Column("config_hash", NAME, nullable=False),
        sa.Column("config", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_table(
        "intents",
        sa.Column("intent_id", ID, nullable=False),
        sa.Column("run_id", PK, nullable=False),
        sa.Column("strategy", NAME, nullable=False),
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("side", CODE, nullable=False),
        sa.Column("kind", CODE, nullable=False),
        sa.Column("order_type", CODE, nullable=False),
        sa.Column("reference_price", DECIMAL, nullable=False),
        sa.Column("limit_price", DECIMAL, nullable=True),
        sa.Column("stop_price", DECIMAL, nullable=True),
        sa.Column("quantity", DECIMAL, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("intent_id", name="pk_intents"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_intents_run_id_runs"),
    )
    op.create_index("ix_intents_run_id_created_at", "intents", ["run_id", "created_at"])
    op.create_table(
        "risk_decisions",
        _id(),
        sa.Column("intent_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("guard", NAME, nullable=False),
        sa.Column("verdict", CODE, nullable=False),
        sa.Column("reason", NAME, nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("quantity_before", DECIMAL, nullable=True),
        sa.Column("quantity_after", DECIMAL, nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_decisions"),
        sa.ForeignKeyConstraint(
            ["intent_id"], ["intents.intent_id"], name="fk_risk_decisions_intent_id_intents"
        ),
        sa.UniqueConstraint("intent_id", "seq", name="uq_risk_decisions_intent_id_seq"),
    )
    op.create_table(
        "orders",
        _id(),
        sa.Column("client_order_id", ID, nullable=False),
        sa.Column("run_id", PK, nullable=False),
        sa.Column("intent_id", ID, nullable=False),
        sa.Column("venue", NAME, nullable=False),
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("side", CODE, nullable=False),
        sa.Column("order_type", CODE, nullable=False),
        sa.Column("purpose", CODE, nullable=False),
        sa.Column("price", DECIMAL, nullable=True),
        sa.Column("stop_price", DECIMAL, nullable=True),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("status", CODE, nullable=False),
        sa.Column("exchange_order_id", NAME, nullable=True),
        sa.Column("filled_quantity", DECIMAL, nullable=False),
        sa.Column("average_fill_price", DECIMAL, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_orders_run_id_runs"),
        sa.UniqueConstraint("client_order_id", name="uq_orders_client_order_id"),
    )
    op.create_index("ix_orders_run_id_created_at", "orders", ["run_id", "created_at"])
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_intent_id", "orders", ["intent_id"])
    op.create_table(
        "order_events",
        _id(),
        sa.Column("client_order_id", ID, nullable=False),
        sa.Column("status", CODE, nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("exchange_order_id", NAME, nullable=True),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_events"),
        sa.ForeignKeyConstraint(
            ["client_order_id"],
            ["orders.client_order_id"],
            name="fk_order_events_client_order_id_orders",
        ),
    )
    op.create_index(
        "ix_order_events_client_order_id_occurred_at", "order_events", ["client_order_id", "occurred_at"]
    )
    op.create_table(
        "fills",
        _id(),
        sa.Column("venue", NAME, nullable=False),
        sa.Column("trade_id", NAME, nullable=False),
        sa.Column("client_order_id", ID, nullable=False),
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("side", CODE, nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("fee", DECIMAL, nullable=False),
        sa.Column("fee_currency", CODE, nullable=False),
        sa.Column("liquidity", CODE, nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        sa.UniqueConstraint("venue", "trade_id", name="uq_fills_venue_trade_id"),
    )
    op.create_index("ix_fills_client_order_id", "fills", ["client_order_id"])
    op.create_index("ix_fills_occurred_at", "fills", ["occurred_at"])
    op.create_table(
        "equity_snapshots",
        _id(),
        sa.Column("run_id", PK, nullable=False),
        sa.Column("taken_at", TIMESTAMP, nullable=False),
        sa.Column("equity", DECIMAL, nullable=False),
        sa.Column("cash", DECIMAL, nullable=False),
        sa.Column("positions_value", DECIMAL, nullable=False),
        sa.Column("peak_equity", DECIMAL, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_equity_snapshots"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_equity_snapshots_run_id_runs"),
    )
    op.create_index("ix_equity_snapshots_run_id_taken_at", "equity_snapshots", ["run_id", "taken_at"])
    _create_append_only_guard()


def _create_append_only_guard() -> None:
    """Refuse UPDATE and DELETE on order_events at the database, not only by convention."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_APPEND_ONLY.format(action="update", verb="UPDATE"))
        op.execute(_SQLITE_APPEND_ONLY.format(action="delete", verb="DELETE"))
    else:
        for statement in _POSTGRESQL_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    for table in ("equity_snapshots", "fills", "order_events", "orders", "risk_decisions", "intents", "runs"):
        op.drop_table(table)  # indexes and triggers go with their table
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION order_events_append_only()")
