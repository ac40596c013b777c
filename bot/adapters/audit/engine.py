"""Engines for the audit database: SQLite for a single box, PostgreSQL for anything shared.

SQLite gets WAL (readers never block the writer), a busy timeout (concurrent writers wait instead of
failing with "database is locked"), enforced foreign keys, and real transactions: the sqlite3
driver's legacy mode does not BEGIN before DDL or SELECT, which would make migrations
non-transactional, so SQLAlchemy emits BEGIN itself.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.pool import StaticPool

BEGIN_IMMEDIATE = {"spotbot_sqlite_begin": "BEGIN IMMEDIATE"}
"""Execution options for a writing connection: on SQLite take the write lock at BEGIN, so a writer
waits out the busy timeout instead of failing when another writer got there first. Ignored elsewhere."""

_SUPPORTED = ("sqlite", "postgresql")


def _json_default(value: object) -> str:
    """Settings may hold Decimals, paths or datetimes: store their text rather than fail a run start."""
    return str(value)


def _dumps(document: Any) -> str:
    return json.dumps(document, default=_json_default, sort_keys=True)


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and pick psycopg 3 for a bare ``postgresql://`` (or Heroku-style ``postgres://``)."""
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    if text.startswith("postgres://"):
        text = "postgresql://" + text.removeprefix("postgres://")
    parsed = make_url(text)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in _SUPPORTED:
        raise ValueError(
            f"audit database URL scheme {parsed.drivername!r} is not supported; "
            "use sqlite:///path/to/audit.db or postgresql+psycopg://user@host/db"
        )
    return parsed


def make_engine(
    url: str | URL,
    *,
    busy_timeout_ms: int = 10_000,
    echo: bool = False,
    sqlite_path: Callable[[], str] | None = None,
) -> Engine:
    """An engine for ``url`` configured for the audit store (see the module docstring).

    A PostgreSQL URL may carry libpq options, e.g. ``?options=-csearch_path%3Dmyschema`` to use a
    schema other than ``public``. ``sqlite_path`` (SQLite files only): each new connection opens the file
    it names then instead of the URL's, for an engine kept while the file under it changes (dispose the
    engine after the change: its pooled connections still point at the old file).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout_ms=busy_timeout_ms, echo=echo, path=sqlite_path)
    if sqlite_path is not None:
        raise ValueError("sqlite_path is for a SQLite URL only")
    return create_engine(parsed, pool_pre_ping=True, json_serializer=_dumps, echo=echo)


def _enable_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch to WAL, retrying while another connection holds the lock.

    Changing the journal mode needs an exclusive lock, and SQLite may answer "database is locked" at
    once instead of waiting out the busy timeout when several processes open a fresh file together
    (daemons starting at the same moment), so wait here ourselves.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _sqlite_engine(
    url: URL, *, busy_timeout_ms: int, echo: bool, path: Callable[[], str] | None = None
) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    if in_memory and path is not None:
        raise ValueError("sqlite_path is for a SQLite file URL, not an in-memory one")
    timeout = busy_timeout_ms / 1000
    connect_args = {"timeout": timeout, "check_same_thread": False}
    extra: dict[str, Any] = {"poolclass": StaticPool} if in_memory else {}
    if path is not None:
        extra["creator"] = lambda: sqlite3.connect(path(), timeout=timeout, check_same_thread=False)
    engine = create_engine(url, connect_args=connect_args, json_serializer=_dumps, echo=echo, **extra)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below), not the driver
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if not in_memory:
                _enable_wal(cursor, busy_timeout_ms)
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get("spotbot_sqlite_begin", "BEGIN"))

    return engine
