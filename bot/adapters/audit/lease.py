"""One running daemon per bot name per audit database (DESIGN invariant 12).

Two daemons on one account (systemd plus a manual start, two containers on one volume) each tried to
sell the other's position. A daemon therefore takes its bot's *lease* before it does anything, and holds
it for its whole life:

- PostgreSQL: a session advisory lock on a connection of its own, keyed by the schema and the bot name;
- SQLite: an exclusive file lock (portalocker) on ``<database file>.<bot>.lock`` beside the database.

Both are released by the server or the operating system the moment the process dies, however it dies
(kill -9 included), so a dead daemon's lease is simply free: the next start takes it over, and closes
the runs the dead one left ``running`` (:meth:`bot.adapters.audit.store.SqlAuditStore.close_crashed_runs`).
The ``daemon_leases`` table only says who holds the lease (host, pid, since, run), so a refused start
names the holder. A PostgreSQL lock lives on its connection: :meth:`DaemonLease.still_held` checks it,
and takes it again on a new connection if the old one was dropped and nobody else took it meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Self

import portalocker
from sqlalchemy import URL, Connection, Engine, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.adapters.audit.engine import make_engine, normalize_url
from bot.adapters.audit.models import DaemonLeaseRow, table_of
from bot.adapters.audit.transactions import Transactions
from bot.domain.failures import ExitCode, ExitError
from bot.logs import get_logger

log = get_logger(__name__)


class LeaseHeld(ExitError):
    """Another daemon runs this bot on this database (exit 4)."""

    exit_code = ExitCode.ALREADY_RUNNING


@dataclass(frozen=True, slots=True)
class Holder:
    host: str
    pid: int
    since: datetime
    run_id: int | None

    def __str__(self) -> str:
        run = f", run {self.run_id}" if self.run_id is not None else ""
        return f"host {self.host}, pid {self.pid}, since {self.since.isoformat(timespec='seconds')}{run}"


class DaemonLease:
    """The lease of ``bot_name`` on the audit database at ``url``; :meth:`acquire` it before anything."""

    def __init__(self, url: str, bot_name: str, *, now: datetime) -> None:
        self._url = normalize_url(url)
        self._bot = bot_name
        self._since = now
        self._engine: Engine = make_engine(url)
        self._transactions = Transactions(
            self._engine
        )  # audit DB errors translated, lost connections retried
        self._sqlite = self._url.get_backend_name() == "sqlite"
        self._file: IO[Any] | None = None
        self._connection: Connection | None = None
        self._run_id: int | None = None

    # ----------------------------------------------------------------- life

    def acquire(self) -> Self:
        """Take the lease, or raise :class:`LeaseHeld` naming who holds it."""
        taken = self._lock_file() if self._sqlite else self._lock_advisory()
        if not taken:
            holder = self.holder()
            who = str(holder) if holder is not None else "holder unknown"
            self.close()
            raise LeaseHeld(f"bot {self._bot!r} is already running on this database ({who}); "
                            "stop it first, or give this one another bot.name")  # fmt: skip
        self._write_holder()
        log.info("daemon_lease_taken", bot=self._bot, host=socket.gethostname(), pid=os.getpid())
        return self

    def record_run(self, run_id: int) -> None:
        """Name the run this daemon is running, for whoever is refused the lease."""
        self._run_id = run_id
        self._write_holder()

    def still_held(self) -> bool:
        """Whether this daemon still holds the lease (PostgreSQL: re-taken if its connection was lost)."""
        if self._sqlite:
            return self._file is not None
        try:
            assert self._connection is not None
            self._connection.execute(text("SELECT 1")).scalar_one()
            return True
        except Exception:  # the lock went with the connection: take it again if nobody else has
            log.warning("daemon_lease_connection_lost", bot=self._bot)
            self._connection = None
            if self._lock_advisory():
                self._write_holder()
                return True
            log.critical("daemon_lease_lost", bot=self._bot, holder=str(self.holder()))
            return False

    def close(self) -> None:
        """Give the lease back (the process ending does the same)."""
        if self._connection is not None:
            with contextlib.suppress(Exception):  # already gone: so is its lock
                self._connection.close()
            self._connection = None
        if self._file is not None:
            portalocker.unlock(self._file)
            self._file.close()
            self._file = None
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- who holds it

    def holder(self) -> Holder | None:
        table = table_of(DaemonLeaseRow)
        row = self._transactions.read(
            lambda s: s.execute(select(table).where(table.c.bot_name == self._bot)).first()
        )
        if row is None:
            return None
        return Holder(row.host, row.pid, row.acquired_at, row.run_id)

    def _write_holder(self) -> None:
        table = table_of(DaemonLeaseRow)
        values = {"bot_name": self._bot, "host": socket.gethostname(), "pid": os.getpid(),
                  "run_id": self._run_id, "acquired_at": self._since}  # fmt: skip
        insert = sqlite_insert if self._sqlite else postgresql_insert
        statement = insert(table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["bot_name"], set_={k: statement.excluded[k] for k in values if k != "bot_name"}
        )
        self._transactions.write(lambda s: s.execute(statement))

    # ----------------------------------------------------------------- locks

    def _lock_file(self) -> bool:
        database = sqlite_file(self._url)
        if database is None:
            return True  # an in-memory database: one process only, by construction
        path = Path(f"{database}.{self._bot}.lock")
        handle = path.open("a")
        try:
            portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.LockException:
            handle.close()
            return False
        self._file = handle
        return True

    def _lock_advisory(self) -> bool:
        """Try the advisory lock on a connection of its own (kept while it is held); a connection lost
        on the way is retried like any audit DB call, and its errors are translated the same way."""

        def attempt() -> bool:
            connection = self._engine.execution_options(isolation_level="AUTOCOMMIT").connect()
            try:
                schema = connection.execute(text("SELECT current_schema()")).scalar_one()
                key = _lock_key(f"spotbot-lease|{schema}|{self._bot}")
                taken = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                ).scalar_one()
            except BaseException:
                connection.close()
                raise
            if not taken:
                connection.close()
                return False
            self._connection = connection
            return True

        return self._transactions.run(attempt)


def sqlite_file(url: URL) -> str | None:
    """The file behind a SQLite URL (``sqlite:///path`` or ``sqlite:///file:path?mode=ro&uri=true``), or
    None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    if str(url.query.get("uri", "")).lower() == "true" and database.startswith("file:"):
        return database.removeprefix("file:").split("?", 1)[0]
    return database


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
