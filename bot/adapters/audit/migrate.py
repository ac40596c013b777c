"""Apply the audit schema's Alembic migrations from code, on every daemon start.

The migration scripts ship inside the package (``bot/adapters/audit/migrations``), so this works from an
installed wheel with no ``alembic.ini``. :func:`upgrade` is idempotent: at head it does nothing.
Concurrent starts are serialized (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite),
and each upgrade runs in one transaction, so a crash mid-migration leaves the old schema intact.
A lost PostgreSQL connection is retried on a new one (the upgrade is idempotent), and a database that
cannot be used raises :class:`~bot.adapters.audit.errors.AuditDbError` (see
:mod:`bot.adapters.audit.transactions`).
"""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, text

from bot.adapters.audit.engine import BEGIN_IMMEDIATE, make_engine
from bot.adapters.audit.transactions import Transactions

SCRIPT_LOCATION = "bot.adapters.audit:migrations"
_ADVISORY_LOCK_KEY = 0x5B07A0D1  # any constant unique to this schema's migrations


def alembic_config(connection: Connection | None = None) -> Config:
    """An in-memory Alembic config pointing at the packaged scripts (and at ``connection`` if given)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    """The newest revision shipped with this version of the code (the scripts are read once)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _engine(url_or_engine: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(url_or_engine, Engine):
        return url_or_engine, False
    return make_engine(url_or_engine), True


def upgrade(url: str | URL | Engine, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (default: the newest). Safe to call every start."""
    engine, owned = _engine(url)

    def once() -> None:
        with engine.connect().execution_options(**BEGIN_IMMEDIATE) as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
            if revision == "head" and _revision_of(connection) == head_revision():
                return  # at head already (every start but the first): no need to load the scripts
            command.upgrade(alembic_config(connection), revision)

    try:
        Transactions(engine).run(once)
    finally:
        if owned:
            engine.dispose()


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(url: str | URL | Engine) -> str | None:
    """The revision the database is at; ``None`` for an empty (never migrated) database."""
    engine, owned = _engine(url)

    def once() -> str | None:
        with engine.connect() as connection:
            return _revision_of(connection)

    try:
        return Transactions(engine).run(once)
    finally:
        if owned:
            engine.dispose()
