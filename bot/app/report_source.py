"""Where ``spotbot report`` reads a run from: the audit DB as it is, never created or migrated by a read.

A report before any run, or of a run the DB does not hold, ends with one line saying what was looked
for and where (the URL with its password masked), exit 1.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url

from bot.adapters.audit.migrate import current_revision
from bot.adapters.audit.store import SqlAuditStore
from bot.app.reporting import RunReport, build_report
from bot.app.settings import Settings
from bot.domain.failures import ExitCode, ExitError


def read_report(settings: Settings, run_id: int | None) -> RunReport:
    """The report of ``run_id`` (default: the latest run) from the settings' audit DB.

    Raises :class:`ExitError` (exit 1) when there is no such run, or no run yet: no DB file, a DB
    without the audit tables, or tables without a run.
    """
    url = settings.effective_database_url
    where = settings.effective_database_url_redacted
    check_has_runs(settings)
    with SqlAuditStore(url, venue=settings.venue) as store:
        latest = store.latest_run_id()
        if latest is None:
            raise ExitError(f"no run yet: the audit DB at {where} has no runs", exit_code=ExitCode.FAILED)
        if run_id is not None and run_id not in {run.id for run in store.runs()}:
            raise ExitError(
                f"no run {run_id} in the audit DB at {where} (the latest is run {latest})",
                exit_code=ExitCode.FAILED,
            )
        return build_report(store, run_id)


def check_has_runs(settings: Settings) -> None:
    """Raise :class:`ExitError` (exit 1) if the settings' audit DB cannot hold a run yet: no DB file, or
    a DB without the audit tables (a read never creates or migrates it)."""
    url = settings.effective_database_url
    where = settings.effective_database_url_redacted
    if _missing_sqlite_file(url):
        raise ExitError(f"no run yet: there is no audit DB at {where}", exit_code=ExitCode.FAILED)
    if current_revision(url) is None:
        raise ExitError(f"no run yet: the audit DB at {where} has no tables", exit_code=ExitCode.FAILED)


def _missing_sqlite_file(url: str) -> bool:
    """Whether ``url`` names an SQLite file that does not exist (connecting would create it)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return False
    return not Path(database).is_file()
