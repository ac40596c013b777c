"""The audit store's transactions: one per unit of work, retried on a fresh connection after a drop.

Every read and write of :class:`~bot.adapters.audit.reader.SqlAuditReader` and
:class:`~bot.adapters.audit.store.SqlAuditStore` is a function of a session run here, in one transaction that
commits whole or rolls back whole. Errors leave as :class:`~bot.adapters.audit.errors.AuditDbError` when they
mean one (read-only, full, unavailable) and unchanged otherwise (a bug).

**Reconnecting (PostgreSQL).** When the connection fails or is lost (a server restart, a failover,
``pg_terminate_backend``, a network cut) the unit of work is run again on a new connection, up to
:attr:`RetryPolicy.attempts` times with a doubling pause (about 3.5 s in all by default), then it fails
as :class:`~bot.adapters.audit.errors.AuditDbUnavailable`. Only such connection errors are retried, never a
constraint violation or any other error. SQLite is a local file: nothing there is retried.

**A COMMIT cut off in flight.** A connection lost while its COMMIT was on the way leaves the write's
outcome unknown: the server may have committed it and lost only the answer. Each write on PostgreSQL
therefore first asks for its transaction id (``txid_current()``), and after losing the connection asks a
new one what became of that transaction (``txid_status``): committed means done (the write is not
repeated, and returns what it returned the first time), aborted means run it again, still in progress
(the old server process has not noticed the loss yet, and still holds its locks) means ask again after
the pause. So every write,
idempotent or not (an order's update and its event row, an equity snapshot, a run's start, a trading
state change), is stored exactly once, and an insert reports "new" exactly once: a fill is applied to
the positions once, an intent decided and an order sent once. If the database stays away longer than
the retries, the write fails as ``AuditDbUnavailable`` and says its outcome is unknown; the bot then
treats it as not stored: the order was not sent (it is saved before sending), and a restart takes
positions from the fills that are stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.adapters.audit.engine import BEGIN_IMMEDIATE
from bot.adapters.audit.errors import (
    AuditDbError,
    AuditDbUnavailable,
    describe_url,
    is_connection_error,
    translate,
)
from bot.logs import get_logger

T = TypeVar("T")

log = get_logger(__name__)

_TXID_CURRENT = text("SELECT txid_current()")
_TXID_STATUS = text("SELECT txid_status(:txid)")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to try to reconnect: ``attempts`` in all, pausing ``first_wait`` seconds after the
    first failure, doubling up to ``max_wait`` (defaults: 8 attempts over about 3.5 s)."""

    attempts: int = 8
    first_wait: float = 0.05
    max_wait: float = 1.0


class _CommitStillRunning(Exception):
    """The server still runs the transaction of a write whose COMMIT answer was lost: ask again later."""


@dataclass(frozen=True, slots=True)
class _InDoubt:
    """A write whose connection was lost with its transaction open or committing: the transaction id,
    and the work's result if it had returned (then the COMMIT may have been sent)."""

    txid: int
    result: list[Any]


class Transactions:
    """Runs units of work on ``engine`` (see the module docstring)."""

    def __init__(self, engine: Engine, policy: RetryPolicy | None = None) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**BEGIN_IMMEDIATE)
        self._policy = policy or RetryPolicy()
        self._reconnects = engine.dialect.name == "postgresql"
        self.database = describe_url(engine.url)

    def read(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in a transaction of its own; run again on a new connection if it is lost."""

        def once() -> T:
            with Session(self._engine) as session, session.begin():
                return work(session)

        return self.run(once)

    def write(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` committed exactly once (see the module docstring); returns its result."""
        doubt: list[_InDoubt] = []

        def once() -> T:
            if doubt:
                if self._committed(doubt[0].txid):
                    result: T = doubt.pop().result[0]  # a COMMIT is sent only after work returned
                    return result
                doubt.clear()  # rolled back: run it again
            return self._write_once(work, doubt)

        return self.run(once, doubt)

    def run(self, once: Callable[[], T], doubt: Sequence[_InDoubt] = ()) -> T:
        """``once()``, retried after connection errors on PostgreSQL; errors translated on the way out."""
        try:
            if not self._reconnects:
                return once()
            retrying = self._retrying()
            result = retrying(once)
            if retrying.statistics.get("attempt_number", 1) > 1:
                log.info("audit_db_reconnected", database=self.database)
            return result
        except DBAPIError as error:
            translated = translate(error, self._engine.url)
            if translated is None:
                raise
            raise self._unknown_outcome(translated, doubt) from error
        except _CommitStillRunning as error:
            raise self._unknown_outcome(AuditDbUnavailable(self.database, str(error)), doubt) from error

    def _write_once(self, work: Callable[[Session], T], doubt: list[_InDoubt]) -> T:
        txid: int | None = None
        done: list[T] = []  # work's result, once it returned (the COMMIT comes after)
        try:
            with Session(self._writer) as session, session.begin():
                if self._reconnects:
                    txid = session.scalar(_TXID_CURRENT)
                done.append(work(session))
        except DBAPIError as error:
            # Even before its COMMIT the transaction may live on in a server process that has not
            # noticed the loss yet, holding its locks: a rerun would wait on them. Ask first.
            if txid is not None and is_connection_error(error):
                doubt.append(_InDoubt(txid, done))
            raise
        return done[0]

    def _committed(self, txid: int) -> bool:
        """Whether transaction ``txid`` committed, asked on a new connection."""
        with self._engine.connect() as connection:
            status = connection.scalar(_TXID_STATUS, {"txid": txid})
        log.info("audit_db_commit_outcome", txid=txid, status=status)
        if status == "in progress":
            raise _CommitStillRunning(f"transaction {txid} is still in progress on the server")
        return bool(status == "committed")

    def _retrying(self) -> Retrying:
        policy = self._policy
        return Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _CommitStillRunning) or is_connection_error(e)),
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential(multiplier=policy.first_wait, max=policy.max_wait),
            before_sleep=self._log_retry,
            reraise=True,
        )

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        log.warning(
            "audit_db_connection_lost",
            database=self.database,
            attempt=state.attempt_number,
            of=self._policy.attempts,
            error=str(error).strip().splitlines()[0] if error is not None and str(error).strip() else None,
        )

    @staticmethod
    def _unknown_outcome(error: AuditDbError, doubt: Sequence[_InDoubt]) -> AuditDbError:
        """``error``, saying so when the last write's COMMIT may have gone through (it was sent: the
        work had returned; a transaction lost before that is rolled back by the server)."""
        if not (doubt and doubt[0].result):
            return error
        return type(error)(error.database, f"{error.reason}; the last write may or may not be stored")
