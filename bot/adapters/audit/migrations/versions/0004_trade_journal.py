"""The trade journal: each closed round trip's price range, and humans' notes on trades (append-only).

- ``trade_excursions``: the lowest low and highest high of the candles a round trip was open through,
  written by the engine when it closes (the report derives MAE and MFE from them; a report reads the
  audit DB only, and a daemon's candles are gone by then). One row per run, symbol, open and close.
- ``trade_notes``: ``spotbot journal note TRADE_ID "..."``; never updated or deleted (triggers refuse
  UPDATE and DELETE, as on ``order_events`` and ``trading_state_events``).

Both are new tables: nothing earlier changes, so every stored row is kept as it was.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DECIMAL = sa.Numeric(38, 18).with_variant(sa.Text(), "sqlite")  # exact text: SQLite Numeric is float
TIMESTAMP = sa.DateTime(timezone=True)

_SQLITE_APPEND_ONLY = """
CREATE TRIGGER trade_notes_no_{action} BEFORE {verb} ON trade_notes
BEGIN SELECT RAISE(ABORT, 'trade_notes is append-only'); END
"""
_POSTGRESQL_APPEND_ONLY = (
    """
    CREATE FUNCTION trade_notes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'trade_notes is append-only'; END
    $$
    """,
    """
    CREATE TRIGGER trade_notes_append_only BEFORE UPDATE OR DELETE ON trade_notes
    FOR EACH ROW EXECUTE FUNCTION trade_notes_append_only()
    """,
)


def upgrade() -> None:
    op.create_table(
        "trade_excursions",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("run_id", PK, nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=False),
        sa.Column("timeframe", sa.String(32), nullable=False),
        sa.Column("candles", sa.Integer(), nullable=False),
        sa.Column("lowest", DECIMAL, nullable=True),
        sa.Column("highest", DECIMAL, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_trade_excursions"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_trade_excursions_run_id_runs"),
        sa.UniqueConstraint(
            "run_id", "symbol", "opened_at", "closed_at",
            name="uq_trade_excursions_run_id_symbol_opened_at_closed_at",
        ),
    )  # fmt: skip
    op.create_table(
        "trade_notes",
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("trade_id", sa.String(64), nullable=False),
        sa.Column("run_id", PK, nullable=False),
        sa.Column("bot_name", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trade_notes"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_trade_notes_run_id_runs"),
    )
    op.create_index("ix_trade_notes_run_id_trade_id", "trade_notes", ["run_id", "trade_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_APPEND_ONLY.format(action="update", verb="UPDATE"))
        op.execute(_SQLITE_APPEND_ONLY.format(action="delete", verb="DELETE"))
    else:
        for statement in _POSTGRESQL_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("trade_notes")  # its index and triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION trade_notes_append_only()")
    op.drop_table("trade_excursions")
