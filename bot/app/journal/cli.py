"""``spotbot journal note TRADE_ID "text"``: a human's note on one trade, kept append-only in the audit DB
and shown with the trade by ``spotbot report`` (plain and ``--json``) and the API. Registered in
:mod:`bot.app.cli`; everything heavy is imported inside the command (``spotbot --help`` stays quick)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app.command_config import ConfigOption
from bot.app.exits import one_line_errors

journal_app = typer.Typer(
    help="The trade journal: notes on trades (the journal itself is in spotbot report).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@journal_app.command("note")
@one_line_errors
def note(
    trade_id: Annotated[str, typer.Argument(help="The trade, RUN-N as spotbot report shows it (e.g. 3-2).")],
    text: Annotated[str, typer.Argument(help="The note (quote it).")],
    config: ConfigOption = None,
) -> None:
    """Add a note to a trade. Notes are kept for good: never changed or removed (add another)."""
    from rich.console import Console

    from bot.adapters.audit.migrate import upgrade
    from bot.adapters.audit.store import SqlAuditStore
    from bot.app.command_config import cli_actor, load_config
    from bot.app.journal.notes import add_note
    from bot.app.report_source import check_has_runs
    from bot.domain.clock import SystemClock

    settings = load_config(config)
    check_has_runs(settings)  # a note needs a trade: never creates a database
    url = settings.effective_database_url
    upgrade(url)  # the notes table arrived with revision 0004
    where = settings.effective_database_url_redacted
    with SqlAuditStore(url, venue=settings.venue) as store:
        stored = add_note(store, trade_id, text, actor=cli_actor(), now=SystemClock().now(), where=where)
    Console(highlight=False).print(
        f"note {stored.id} added to trade {stored.trade_id} by {stored.actor} "
        f"at {stored.created_at:%Y-%m-%d %H:%M:%S} UTC (spotbot report --run {stored.run_id} shows it)",
        markup=False,
    )
