"""``spotbot export tax-lots`` and ``spotbot export fills`` (registered in :mod:`bot.app.cli`).

Both read the config's audit DB (``bot.database_url``, or ``data_dir/spotbot.sqlite``) like ``spotbot
report``, never creating or migrating it, and write CSV to stdout or ``--out FILE``; what was written is
summed up on stderr, so stdout stays a clean CSV. Exit 0 when written, 1 when the DB has no such run or
bot, 2 for a bad option or config (one line).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from bot.app.command_config import ConfigOption
from bot.app.exits import one_line_errors
from bot.domain.failures import BadInput

if TYPE_CHECKING:
    from bot.app.tax.lots import LotReport, Method
    from bot.app.tax.source import ExportSource

export_app = typer.Typer(
    help="Export trades from the audit DB as CSV, for taxes.", no_args_is_help=True, rich_markup_mode=None
)

RunOption = Annotated[int | None, typer.Option("--run", help="One run's fills only (its own lots).")]
BotOption = Annotated[
    str | None,
    typer.Option("--bot", help="A bot's runs on one exchange venue, lots carried [default: bot.name]."),
]
VenueOption = Annotated[
    str | None, typer.Option("--venue", help="With --bot: the venue, if it traded on several.")
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="From this time (YYYY-MM-DD or ISO, UTC; inclusive).")
]
ToOption = Annotated[str | None, typer.Option("--to", help="Before this time (exclusive, UTC).")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write the CSV here [default: stdout].")]


@export_app.command("tax-lots")
@one_line_errors
def tax_lots(
    method: Annotated[
        str | None, typer.Option("--method", help="Which lots a sale takes first: fifo, lifo or hifo.")
    ] = None,
    config: ConfigOption = None,
    run_id: RunOption = None,
    bot: BotOption = None,
    venue: VenueOption = None,
    start: FromOption = None,
    end: ToOption = None,
    long_term_days: Annotated[
        int,
        typer.Option("--long-term-days", help="Held longer than this is long term (a jurisdiction's rule)."),
    ] = 365,
    out: OutOption = None,
) -> None:
    """One row per disposal: asset, quantity, acquired and disposed at, proceeds, cost basis, fees, gain,
    short/long term; --from/--to select sales, lots bought before still count."""
    from bot.app.tax.csv_files import write_tax_lots
    from bot.app.tax.lots import match_lots

    chosen = _method(method)
    if long_term_days < 1:
        raise BadInput(f"--long-term-days {long_term_days}: a whole number of days, at least 1")
    window = _window(start, end)
    source = _source(config, run_id, bot, venue)
    lots = match_lots(source.fills, chosen, long_term_days=long_term_days, start=window[0], end=window[1])
    _write(out, lambda stream: write_tax_lots(lots.disposals, stream))
    _summarize_lots(lots, source, out)


@export_app.command("fills")
@one_line_errors
def fills(
    config: ConfigOption = None,
    run_id: RunOption = None,
    bot: BotOption = None,
    venue: VenueOption = None,
    start: FromOption = None,
    end: ToOption = None,
    out: OutOption = None,
) -> None:
    """One row per fill, in Koinly's universal CSV format (Date, Sent/Received/Fee Amount, Currency...)."""
    from rich.console import Console

    from bot.app.tax.csv_files import write_fills

    window = _window(start, end)
    source = _source(config, run_id, bot, venue)
    chosen = [
        fill
        for fill in source.fills
        if (window[0] is None or fill.occurred_at >= window[0])
        and (window[1] is None or fill.occurred_at < window[1])
    ]
    _write(out, lambda stream: write_fills(chosen, source.run_of, stream))
    summary = Console(stderr=True, highlight=False, soft_wrap=True)
    summary.print(f"{len(chosen)} fills of {source.what}{_where(out)}")


def _method(method: str | None) -> Method:
    from bot.app.tax.lots import Method

    allowed = ", ".join(m.value for m in Method)
    if method is None:
        raise BadInput(f"--method: required, one of {allowed}")
    try:
        return Method(method.lower())
    except ValueError:
        raise BadInput(f"--method {method!r}: one of {allowed}") from None


def _window(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """``[--from, --to)``, each ``YYYY-MM-DD`` or ISO-8601 (UTC unless it says otherwise)."""
    from bot.app.backtest.data import parse_date

    try:
        first = parse_date(start, "--from") if start is not None else None
        last = parse_date(end, "--to") if end is not None else None
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if first is not None and last is not None and first >= last:
        raise BadInput(f"--from {start} is not before --to {end}: nothing between them")
    return first, last


def _source(config: Path | None, run_id: int | None, bot: str | None, venue: str | None) -> ExportSource:
    from bot.app.command_config import load_config
    from bot.app.tax.source import read_source

    return read_source(load_config(config), run_id=run_id, bot=bot, venue=venue)


def _write(out: Path | None, write: Callable[[TextIO], None]) -> None:
    """The CSV to stdout, or whole to ``out`` (built first: a failed export leaves no half file)."""
    if out is None:
        write(sys.stdout)
        sys.stdout.flush()
        return
    text = io.StringIO()
    write(text)
    try:
        out.write_text(text.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot write it ({exc.strerror})") from None


def _where(out: Path | None) -> str:
    return f", written to {out}" if out is not None else ""


def _summarize_lots(lots: LotReport, source: ExportSource, out: Path | None) -> None:
    """On stderr: rows, gain per currency, lots still open; a warning for sales without a lot."""
    from rich.console import Console

    from bot.app.report_json import decimal_text

    totals: dict[str, Decimal] = {}
    for row in lots.disposals:
        if row.gain is not None:
            totals[row.currency] = totals.get(row.currency, Decimal(0)) + row.gain
    gain = ", ".join(f"{decimal_text(total)} {currency}" for currency, total in sorted(totals.items()))
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    console.print(
        f"{len(lots.disposals)} disposal rows ({lots.method.value}) of {source.what}"
        f"{f', gain {gain}' if gain else ''}; {len(lots.open_lots)} lots still held{_where(out)}"
    )
    for asset, quantity in sorted(lots.unmatched.items()):
        console.print(
            f"warning: {decimal_text(quantity)} {asset} sold without a lot among these fills (bought before "
            "them): those rows have no cost basis, term unknown; --bot carries a bot's lots across its runs"
        )
