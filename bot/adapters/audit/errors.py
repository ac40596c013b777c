"""Audit DB failures a human can act on, translated from SQLAlchemy/DBAPI errors by what they mean.

A read-only database, a full disk, a server that cannot be reached: each is an :class:`AuditDbError`
(exit code 5, see :mod:`bot.app.exits`) with one line naming the database (password masked) and what to do.
Every other database error is a bug and keeps its own type and traceback.

The rule is written once, here: :func:`translate` (what an error means) and :func:`is_connection_error`
(whether a fresh connection could succeed, the only errors :mod:`bot.adapters.audit.transactions` retries).
"""

from __future__ import annotations

from sqlalchemy import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.domain.failures import ExitCode, ExitError
from bot.domain.secrets import MASK

# SQLite primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the low byte.
_SQLITE_IOERR, _SQLITE_READONLY, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 8, 13, 14
# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_READ_ONLY = {"25006", "42501"}  # read-only transaction, insufficient privilege
_PG_FULL = {"53100"}  # disk_full
_PG_GONE = {"57P01", "57P02", "57P03"}  # admin shutdown, crash shutdown, cannot connect now
_PG_CONNECTION_CLASS = "08"  # connection exception


class AuditDbError(ExitError):
    """The audit DB cannot be used; ``str()`` is one line: which database, what is wrong, what to do."""

    exit_code = ExitCode.AUDIT_DB
    problem = "cannot be used"
    remedy = "check the database and bot.database_url"

    def __init__(self, database: str, reason: str) -> None:
        self.database = database
        self.reason = reason
        super().__init__(f"audit DB {database} {self.problem} ({reason}); {self.remedy}")

    def __reduce__(self) -> tuple[type[AuditDbError], tuple[str, str]]:
        return type(self), (self.database, self.reason)  # survives pickling (worker processes)


class AuditDbReadOnly(AuditDbError):
    """The database (or this user's access to it) does not allow writes."""

    problem = "is read-only"
    remedy = (
        "make it writable (file mode, a read-only open, the database user's privileges) "
        "or point bot.database_url at a writable database"
    )


class AuditDbFull(AuditDbError):
    """The database could not grow: disk, quota or file-size limit full (or the disk failing)."""

    problem = "is full: no room left to write it"
    remedy = "free disk space (or raise the quota or file-size limit); what was committed before is kept"


class AuditDbUnavailable(AuditDbError):
    """The database cannot be reached: it cannot be opened, or its server refused or dropped the
    connection and was not back within the retries."""

    problem = "is unavailable"
    remedy = "check that the database (server) is running and reachable at that address"


def describe_url(url: URL) -> str:
    """``url`` for messages and logs: the password masked, wherever it is given; a SQLite path as typed."""
    if url.get_backend_name() == "sqlite":
        query = "&".join(f"{key}={value}" for key, value in url.query.items())
        return f"{url.drivername}:///{url.database or ''}" + (f"?{query}" if query else "")
    if "password" in url.query:
        url = url.update_query_dict({"password": MASK})
    return url.render_as_string(hide_password=True).replace(":***@", f":{MASK}@")  # one mask everywhere


def _first_line(error: DBAPIError, url: URL) -> str:
    lines = str(error.orig).strip().splitlines()
    reason = lines[0].strip() if lines else type(error.orig).__name__
    secret = url.password or url.query.get("password")
    return reason.replace(secret, MASK) if isinstance(secret, str) and secret else reason


def _sqlite_code(error: DBAPIError) -> int | None:
    code = getattr(error.orig, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _sqlstate(error: DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_connection_error(error: BaseException) -> bool:
    """The connection failed or was lost (not the statement): a new connection may well succeed.

    SQLAlchemy marks a lost connection (``connection_invalidated``); a PostgreSQL driver error without a
    SQLSTATE comes from the client library itself (connection refused, server closed the connection).
    """
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    state = _sqlstate(error)
    if hasattr(error.orig, "sqlstate") and state is None:
        return isinstance(error, OperationalError)
    return state is not None and (state.startswith(_PG_CONNECTION_CLASS) or state in _PG_GONE)


def translate(error: DBAPIError, url: URL) -> AuditDbError | None:
    """The :class:`AuditDbError` ``error`` means, or None if it means a bug (keep it as it is)."""
    database, reason = describe_url(url), _first_line(error, url)
    sqlite_code, state = _sqlite_code(error), _sqlstate(error)
    if sqlite_code == _SQLITE_READONLY or state in _PG_READ_ONLY:
        return AuditDbReadOnly(database, reason)
    if sqlite_code == _SQLITE_IOERR:  # how a write past the disk's (or quota's) end fails, like a bad disk
        return AuditDbFull(database, f"{reason}: a full or failing disk")
    if sqlite_code == _SQLITE_FULL or state in _PG_FULL:
        return AuditDbFull(database, reason)
    if sqlite_code == _SQLITE_CANTOPEN or is_connection_error(error):
        return AuditDbUnavailable(database, reason)
    return None
