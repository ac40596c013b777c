"""What live trading on a real venue needs on record (issue: "Live trading on a real venue's terms").

- ``runs.bot_name`` and ``runs.kind`` ("daemon" or "backtest"): whose run it is, so a restarted daemon can
  close its dead predecessor's runs (``crashed``) and carry its positions; backfilled from the stored config.
- ``runs.start_balances``: the venue balances at the start of a live run (its report starts from them);
  ``runs.markets``: each symbol's tick size, lot step and minimum notional as the run traded them
  (the report needs the lot step to tell dust from a position).
- ``fills.exchange_order_id``: the venue's order id of each fill; two venue orders under one client
  order id are a duplicate.
- ``equity_snapshots.marks``: the price of each holding the snapshot valued (a report of a killed run
  values its positions at the last marks known, not at a stale total).
- ``daemon_leases``: who holds each bot's lease (host, pid, since, run): one running daemon per bot
  name per database. The lock itself is an advisory lock (PostgreSQL) or a file lock (SQLite); this
  table only says who has it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NAME = sa.String(128)
CODE = sa.String(32)


# Plain ADD/DROP COLUMN: SQLite has had both since 3.35 (2021), so no table is rebuilt (a rebuild of
# ``runs`` would trip the foreign keys that point at it).
_NEW_COLUMNS = (
    ("runs", sa.Column("bot_name", NAME, nullable=True)),
    ("runs", sa.Column("kind", CODE, nullable=True)),
    ("runs", sa.Column("start_balances", JSON, nullable=True)),
    ("runs", sa.Column("markets", JSON, nullable=True)),
    ("fills", sa.Column("exchange_order_id", NAME, nullable=True)),
    ("equity_snapshots", sa.Column("marks", JSON, nullable=True)),
)


def upgrade() -> None:
    for table, column in _NEW_COLUMNS:
        op.add_column(table, column)
    op.create_index("ix_runs_bot_name_status", "runs", ["bot_name", "status"])
    _backfill_bot_names()
    op.create_table(
        "daemon_leases",
        sa.Column("bot_name", NAME, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("run_id", PK, nullable=True),
        sa.Column("acquired_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("bot_name", name="pk_daemon_leases"),
    )


def _backfill_bot_names() -> None:
    """Every earlier run was a daemon or backtest run of the bot named in its stored config."""
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id", PK), sa.column("config", JSON), sa.column("bot_name", NAME))
    for run_id, config in bind.execute(sa.select(runs.c.id, runs.c.config)).all():
        document = json.loads(config) if isinstance(config, str) else config
        bot = document.get("bot") if isinstance(document, dict) else None
        name = bot.get("name") if isinstance(bot, dict) else None
        if isinstance(name, str):
            bind.execute(sa.update(runs).where(runs.c.id == run_id).values(bot_name=name))


def downgrade() -> None:
    op.drop_table("daemon_leases")
    op.drop_index("ix_runs_bot_name_status", table_name="runs")
    for table, column in reversed(_NEW_COLUMNS):
        op.drop_column(table, column.name)
