"""Trading state events: who halted or resumed which bot, when and why (append-only).

Hand-written and self-contained like 0001. ``spotbot halt`` / ``resume`` and the circuit breakers
append rows; a running daemon polls the newest row for its bot name.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "trading_state_events"
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

_SQLITE_APPEND_ONLY = """
CREATE TRIGGER trading_state_events_no_{action} BEFORE {verb} ON trading_state_events
BEGIN SELECT RAISE(ABORT, 'trading_state_events is append-only'); END
"""
_POSTGRESQL_APPEND_ONLY = (
    """
    CREATE FUNCTION trading_state_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'trading_state_events is append-only'; END
    $$
    """,
    """
    CREATE TRIGGER trading_state_events_append_only BEFORE UPDATE OR DELETE ON trading_state_events
    FOR EACH ROW EXECUTE FUNCTION trading_state_events_append_only()
    """,
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", PK, primary_key=True, autoincrement=True),
        sa.Column("bot_name", sa.String(128), nullable=False),
        sa.Column("run_id", PK, nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("flatten", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trading_state_events"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_trading_state_events_run_id_runs"),
    )
    op.create_index("ix_trading_state_events_bot_name_id", TABLE, ["bot_name", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_APPEND_ONLY.format(action="update", verb="UPDATE"))
        op.execute(_SQLITE_APPEND_ONLY.format(action="delete", verb="DELETE"))
    else:
        for statement in _POSTGRESQL_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    op.drop_table(TABLE)  # its index and triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION trading_state_events_append_only()")
