"""The ``spotbot`` command line: run, status, report, halt, resume, backtest, check-strategy, optimize,
download, stress, config check, db upgrade, strategies list/new, journal note, export tax-lots/fills."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot import __version__
from bot.app.backtest.cli import backtest_command
from bot.app.check_strategy.cli import check_strategy_command
from bot.app.command_config import ConfigOption, cli_actor, load_config
from bot.app.exits import one_line_errors
from bot.app.journal.cli import journal_app
from bot.app.optimize.cli import optimize_command
from bot.app.run_command import run_command
from bot.app.strategies_cli import strategies_app
from bot.app.stress.cli import stress_command
from bot.app.tax.cli import export_app

if TYPE_CHECKING:  # the heavy modules load in the command that needs them: `spotbot --help` stays quick
    from bot.domain import TradingState

# Plain help (no rich markup): rich swallowed "[default: ...]" as a markup tag and showed every flag
# as taking a "<bool>" value.
app = typer.Typer(
    help="spotbot: an automated crypto spot-trading daemon with risk guards.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Inspect configuration files.", no_args_is_help=True, rich_markup_mode=None)
db_app = typer.Typer(help="Manage the audit database.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(strategies_app, name="strategies")
app.add_typer(journal_app, name="journal")
app.add_typer(export_app, name="export")
app.command("run")(one_line_errors(run_command))


@app.command()
@one_line_errors
def report(
    config: ConfigOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (fields in README).")
    ] = False,
    run_id: Annotated[int | None, typer.Option("--run", help="Run id [default: the latest run].")] = None,
) -> None:
    """Print a run's trades, fills, fees, P&L and risk decisions, read from the audit DB only."""
    from rich.console import Console

    from bot.app.console import print_report
    from bot.app.report_json import report_to_json
    from bot.app.report_source import read_report

    settings = load_config(config)
    result = read_report(settings, run_id)
    if as_json:
        sys.stdout.write(json.dumps(report_to_json(result), indent=2) + "\n")
    else:
        print_report(Console(), result, settings.bot.quote_currency)


@app.command()
@one_line_errors
def status(
    config: ConfigOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (fields in README).")
    ] = False,
) -> None:
    """Show the bot now: trading state, equity and drawdown at the last tick, positions, working orders."""
    from rich.console import Console

    from bot.app.status import current_status, print_status

    settings = load_config(config)
    found = current_status(settings)
    if as_json:
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
    else:
        print_status(Console(), found, settings.bot.quote_currency)


ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why, for the audit trail.")]


def _set_trading_state(config: Path | None, state: TradingState, reason: str, *, flatten: bool) -> None:
    """Append a trading state event for this config's bot; a running daemon picks it up on its next tick."""
    from rich.console import Console

    from bot.adapters.audit.migrate import upgrade
    from bot.adapters.audit.store import SqlAuditStore
    from bot.app.console import print_trading_state
    from bot.app.human_commands import record_command
    from bot.domain.clock import SystemClock

    settings = load_config(config)
    settings.bot.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    upgrade(url)
    with SqlAuditStore(url, venue=settings.venue) as store:
        event = record_command(store, settings.bot.name, state, reason, cli_actor(), flatten=flatten,
                               now=SystemClock().now())  # fmt: skip
    console = Console()
    print_trading_state(console, settings.bot.name, event)
    event_id, run_id = event.id, event.run_id
    run = f"run {run_id}" if run_id is not None else "no run yet"
    console.print(
        f"recorded as event {event_id} ({run}) in {settings.effective_database_url_redacted}; "
        "a running daemon applies it on its next tick",
        highlight=False,
    )


@app.command()
@one_line_errors
def halt(
    config: ConfigOption = None,
    flatten: Annotated[
        bool, typer.Option("--flatten", help="Also close open positions (limit-first exits).")
    ] = False,
    reason: ReasonOption = None,
) -> None:
    """Kill switch: stop new entries (open entry orders are cancelled; stops and exits keep working)."""
    from bot.domain import TradingState

    _set_trading_state(config, TradingState.HALTED, reason or "kill_switch", flatten=flatten)


@app.command()
@one_line_errors
def resume(config: ConfigOption = None, reason: ReasonOption = None) -> None:
    """Let the bot enter new trades again after a halt (or a max-drawdown stop)."""
    from bot.domain import TradingState

    _set_trading_state(config, TradingState.ACTIVE, reason or "resumed", flatten=False)


@config_app.command("check")
@one_line_errors
def config_check(path: Annotated[Path, typer.Argument(help="The TOML config file to validate.")]) -> None:
    """Validate a config file and print the effective settings, secrets redacted."""
    from rich.console import Console

    from bot.app.settings import config_hash, redacted_dict

    settings = load_config(path)
    console = Console()
    console.print_json(json.dumps(redacted_dict(settings)))
    console.print(f"[green]ok[/]: {path} is valid (config hash {config_hash(settings)[:12]})")


@db_app.command("upgrade")
@one_line_errors
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the audit DB migrations (the daemon also does this on start)."""
    from rich.console import Console

    from bot.adapters.audit.migrate import upgrade

    settings = load_config(config)
    settings.bot.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    Console().print(f"[green]audit DB at head[/]: {settings.effective_database_url_redacted}")


app.command("backtest")(one_line_errors(backtest_command))
app.command("check-strategy")(one_line_errors(check_strategy_command))
app.command("optimize")(one_line_errors(optimize_command))
app.command("stress")(one_line_errors(stress_command))


@app.command()
@one_line_errors
def download(
    symbols: Annotated[str, typer.Option("--symbols", help="Comma-separated, e.g. BTC/USDT,ETH/USDT.")],
    since: Annotated[str, typer.Option("--since", help="First candle open time (YYYY-MM-DD or ISO, UTC).")],
    exchange: Annotated[str, typer.Option("--exchange", help="ccxt exchange id.")] = "binance",
    timeframe: Annotated[str, typer.Option("--timeframe", help="Candle timeframe, e.g. 1m, 5m, 1h.")] = "5m",
    to: Annotated[
        str | None, typer.Option("--to", help="Only candles opening before this (exclusive, UTC).")
    ] = None,
    directory: Annotated[Path, typer.Option("--dir", help="Where the CSV files go.")] = Path("data/candles"),
    url: Annotated[str | None, typer.Option("--url", hidden=True, help="Exchange base URL (tests).")] = None,
) -> None:
    """Fetch closed OHLCV candles into BASE_QUOTE-TF.csv files, only what is missing; report gaps."""
    from rich.console import Console

    from bot.app.download import run_download

    raise typer.Exit(
        run_download(
            exchange=exchange,
            symbols=[s.strip() for s in symbols.split(",") if s.strip()],
            timeframe=timeframe,
            since=since,
            to=to,
            directory=directory,
            url=url,
            console=Console(),
        )
    )


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """spotbot: an automated crypto spot-trading daemon with risk guards."""


def main() -> None:
    """The ``spotbot`` entry point. Every command is wrapped in :func:`bot.app.exits.one_line_errors`: an
    :class:`~bot.domain.failures.ExitError` (bad input, a refused start, an audit DB fault) ends it with
    ``error: <one line>`` on stderr and its documented exit code, never a traceback."""
    app()
