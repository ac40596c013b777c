"""Alembic environment for the audit database.

Normally run through :func:`bot.adapters.audit.migrate.upgrade`, which hands over an open connection in a
transaction. With only ``sqlalchemy.url`` set, it builds the engine with the project's settings
(WAL, foreign keys) so a migration never runs against a differently configured database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.adapters.audit.engine import make_engine
from bot.adapters.audit.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and sqlalchemy.url is not set")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; use bot.adapters.audit.migrate.upgrade")
run_migrations_online()
