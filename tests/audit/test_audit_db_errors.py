"""A database that cannot be used is a named error with one line, never a driver traceback.

Each fault is real: a read-only open, a database at its size limit, a server nobody listens for.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg.errors
import pytest
from sqlalchemy import event, make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.adapters.audit.errors import (
    AuditDbError,
    AuditDbFull,
    AuditDbReadOnly,
    AuditDbUnavailable,
    translate,
)
from bot.adapters.audit.transactions import RetryPolicy
from bot.core.ports import RunInfo
from bot.domain import Fill
from bot.domain.failures import ExitCode, ExitError

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, first_wait=0.01, max_wait=0.02)


def run_info() -> RunInfo:
    return RunInfo(T0, "paper", "binance", "0.1.0", "abc123", {"symbols": ["BTC/USDT"]})


def read_only(url: str) -> str:
    """The same database opened read-only: SQLite's ``mode=ro``, PostgreSQL's read-only transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///file:{parsed.database}?mode=ro&uri=true"
    options = f"{parsed.query.get('options', '')} -cdefault_transaction_read_only=on".strip()
    return parsed.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture
def read_only_store(db_url: str) -> Iterator[SqlAuditStore]:
    upgrade(db_url)
    with SqlAuditStore(db_url, venue="binance") as writable:
        writable.start_run(run_info())
    with SqlAuditStore(read_only(db_url), venue="binance") as store:
        yield store


def test_a_read_only_database_refuses_writes_with_one_line_that_names_it(
    read_only_store: SqlAuditStore, db_url: str
) -> None:
    with pytest.raises(AuditDbReadOnly) as raised:
        read_only_store.start_run(run_info())

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"audit DB {read_only_store.database} is read-only (")
    assert "writable" in message
    assert raised.value.exit_code == ExitCode.AUDIT_DB == 5
    assert isinstance(raised.value, ExitError)
    assert [r.status for r in read_only_store.runs()] == ["running"]  # reading still works


def test_migrating_a_read_only_database_at_head_is_harmless(read_only_store: SqlAuditStore) -> None:
    upgrade(read_only_store.engine)  # nothing to write: the daemon's start gets as far as its first write


def test_a_database_at_its_size_limit_is_full_and_keeps_what_was_committed(
    tmp_path: Path, new_fill: Callable[..., Fill]
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    upgrade(url)
    with SqlAuditStore(url, venue="binance") as store:

        @event.listens_for(store.engine, "connect")
        def cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")  # a disk with 8 KB free

        stored = []
        with pytest.raises(AuditDbFull) as raised:
            for n in range(10_000):
                store.record_fill(new_fill(f"t{n}", client_order_id=f"order-{n}-" + "x" * 40))
                stored.append(f"t{n}")

    assert stored, "some fills fit before the disk filled"
    message = str(raised.value)
    assert "\n" not in message and "is full" in message and "database or disk is full" in message
    with SqlAuditStore(url, venue="binance") as reopened:
        assert [f.trade_id for f in reopened.fills()] == stored


def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'audit.sqlite'}"
    with pytest.raises(AuditDbUnavailable, match=r"is unavailable \(unable to open database file\)"):
        upgrade(url)


def test_an_unreachable_server_is_unavailable_and_its_password_is_never_shown() -> None:
    url = "postgresql+psycopg://spotbot:s3cret-pw@127.0.0.1:1/audit"  # nobody listens on port 1
    with pytest.raises(AuditDbUnavailable) as raised:
        SqlAuditStore(url, venue="binance", retry=FAST).latest_run_id()

    message = str(raised.value)
    assert "\n" not in message and "s3cret-pw" not in message
    masked = "postgresql+psycopg://spotbot:**********@127.0.0.1:1/audit"
    assert message.startswith(f"audit DB {masked} is unavailable (")
    assert "Connection refused" in message


def _wrapped(error: Exception) -> OperationalError:
    return OperationalError("INSERT INTO fills ...", {}, error)


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (psycopg.errors.DiskFull("could not extend file: No space left on device"), AuditDbFull),
        (
            psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"),
            AuditDbReadOnly,
        ),
        (psycopg.errors.InsufficientPrivilege("permission denied for table fills"), AuditDbReadOnly),
        (
            psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
            AuditDbUnavailable,
        ),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), AuditDbUnavailable),
        (psycopg.errors.ConnectionFailure("connection failure"), AuditDbUnavailable),
        (psycopg.OperationalError("connection failed: Connection refused"), AuditDbUnavailable),
    ],
)
def test_postgresql_errors_are_named_by_what_they_mean(
    driver_error: Exception, expected: type[AuditDbError]
) -> None:
    translated = translate(_wrapped(driver_error), make_url("postgresql+psycopg://bot:pw@db/audit"))

    assert type(translated) is expected
    assert translated.database == "postgresql+psycopg://bot:**********@db/audit"


def test_any_other_database_error_stays_a_bug() -> None:
    url = make_url("postgresql+psycopg://bot@db/audit")
    assert translate(_wrapped(psycopg.errors.UndefinedTable("relation fills does not exist")), url) is None
    unique = IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key"))
    assert translate(unique, url) is None
    assert (
        translate(_wrapped(sqlite3.OperationalError("no such table: fills")), make_url("sqlite://")) is None
    )


def test_a_password_given_as_a_query_parameter_is_masked_too() -> None:
    url = make_url("postgresql+psycopg://bot@db/audit?password=s3cret-pw")
    translated = translate(_wrapped(psycopg.OperationalError("connection failed for s3cret-pw")), url)

    assert translated is not None and "s3cret-pw" not in str(translated)


def test_an_audit_db_error_survives_pickling_between_processes() -> None:
    error = AuditDbFull("sqlite:///x.sqlite", "database or disk is full")

    copy = pickle.loads(pickle.dumps(error))

    assert type(copy) is AuditDbFull and str(copy) == str(error) and copy.exit_code == 5
