"""Which fills an export reads: one run, or one bot's runs on one venue (its lots carried across them).

Read from the config's audit DB as it is, like ``spotbot report``: never created or migrated by a read.

- ``--run ID``: that run's fills only. Lots bought in an earlier run of the bot are not there: a sale of
  them has no lot (term ``unknown``); export the bot with ``--bot`` to carry them.
- ``--bot NAME`` (default: the config's ``bot.name``): the bot's daemon runs on one exchange venue (live
  ``binance``, or paper trading on its data, ``paper-binance``): the runs ``spotbot report`` carries
  positions across (:func:`bot.core.run_books.earlier_runs`), oldest first. Backtests and offline
  simulations each start fresh, so they are exported one at a time with ``--run``. A bot that traded on
  several venues (paper first, then live) needs ``--venue``: each venue is its own account.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.adapters.audit.reader import SqlAuditReader
from bot.app.report_source import check_has_runs
from bot.app.settings import Settings
from bot.core.positions import in_venue_order
from bot.core.run_books import BACKTEST, OFFLINE_VENUE, earlier_runs
from bot.domain import Fill
from bot.domain.failures import BadInput, ExitCode, ExitError
from bot.domain.records import RunRecord


@dataclass(frozen=True, slots=True)
class ExportSource:
    what: str  # e.g. "run 3" or "bot btc-pairs on binance (runs 1, 4)": for messages
    fills: list[Fill]  # every fill of those runs, in venue order
    run_of: dict[tuple[str, str], int]  # (venue, trade id) -> the run whose order it filled


def read_source(
    settings: Settings, *, run_id: int | None, bot: str | None, venue: str | None
) -> ExportSource:
    """The fills of ``run_id``, or of ``bot``'s runs (on ``venue``). Raises :class:`ExitError`: exit 1
    when the DB has no such run, 2 for options that do not fit together."""
    if run_id is not None and (bot is not None or venue is not None):
        raise BadInput("--run goes alone: give --run ID (one run) or --bot NAME [--venue V] (a bot's runs)")
    check_has_runs(settings)
    where = settings.effective_database_url_redacted
    with SqlAuditReader(settings.effective_database_url) as reader:
        runs = reader.runs()
        if not runs:
            raise ExitError(f"no run yet: the audit DB at {where} has no runs", exit_code=ExitCode.FAILED)
        if run_id is not None:
            chosen, what = _one_run(runs, run_id, where)
        else:
            chosen, what = _bot_runs(runs, bot or settings.bot.name, venue, where)
        run_of: dict[tuple[str, str], int] = {}
        fills: list[Fill] = []
        for run in chosen:
            for fill in reader.fills(run.id):
                run_of[(fill.venue, fill.trade_id)] = run.id
                fills.append(fill)
    return ExportSource(what, in_venue_order(fills), run_of)


def _one_run(runs: list[RunRecord], run_id: int, where: str) -> tuple[tuple[RunRecord, ...], str]:
    found = [run for run in runs if run.id == run_id]
    if not found:
        raise ExitError(
            f"no run {run_id} in the audit DB at {where} (the latest is run {runs[-1].id})",
            exit_code=ExitCode.FAILED,
        )
    return (found[0],), f"run {run_id}"


def _bot_runs(
    runs: list[RunRecord], name: str, venue: str | None, where: str
) -> tuple[tuple[RunRecord, ...], str]:
    on_venues = [r for r in runs if r.bot_name == name and r.kind != BACKTEST and r.venue != OFFLINE_VENUE]
    if not on_venues:
        raise ExitError(
            f"bot {name!r} has no run on an exchange in the audit DB at {where}: backtests and offline "
            "simulations each start fresh, export one with --run ID",
            exit_code=ExitCode.FAILED,
        )
    venues = sorted({r.venue for r in on_venues})
    if venue is None and len(venues) > 1:
        raise BadInput(f"--venue: bot {name!r} traded on {', '.join(venues)}; choose one (one account each)")
    if venue is not None and venue not in venues:
        raise BadInput(f"--venue {venue!r}: bot {name!r} traded on {', '.join(venues)} only")
    chosen_venue = venue or venues[0]
    last = max((r for r in on_venues if r.venue == chosen_venue), key=lambda r: r.id)
    ids = (*earlier_runs(runs, last), last.id)
    chosen = tuple(r for r in runs if r.id in ids)
    listed = ", ".join(str(r.id) for r in chosen)
    return chosen, f"bot {name} on {chosen_venue} (run{'s' if len(chosen) > 1 else ''} {listed})"
