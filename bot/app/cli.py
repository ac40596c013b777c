"""The ``spotbot`` command line: run, status, report, halt, resume, backtest, check-strategy, optimize,
download, stress, config check, db upgrade, strategies list/new, journal note, export tax-lots/fills."""

from __future__ import annotations

import json
import signal
import sys
import threading
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from bot import __version__
from bot.app.backtest.cli import backtest_command
from bot.app.check_strategy.cli import check_strategy_command
from bot.app.command_config import ConfigOption, cli_actor, load_config
from bot.app.exits import one_line_errors
from bot.app.journal.cli import journal_app
from bot.app.optimize.cli import optimize_command
from bot.app.strategies_cli import strategies_app
from bot.app.stress.cli import stress_command
from bot.app.tax.cli import export_app

if TYPE_CHECKING:  # the heavy modules load in the command that needs them: `spotbot --help` stays quick
    from bot.adapters.audit.lease import DaemonLease
    from bot.app.bootstrap import App
    from bot.app.reporting import RunReport
    from bot.app.settings import Settings
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


def _start_logging(settings: Settings, fmt: str) -> Path | None:
    """Where a run logs. console: to a file only (the status line owns the terminal), ``logging.file`` or
    ``data_dir/spotbot.log``; json: on stdout and, when set, to ``logging.file`` too (for a log shipper).
    The file always gets JSON lines. Returns the file, if any."""
    from bot.app.logging_setup import configure_logging
    from bot.domain.failures import BadInput

    log_file = settings.logging.file
    if fmt == "console" and log_file is None:
        log_file = settings.bot.data_dir / "spotbot.log"
    try:
        settings.bot.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"bot.data_dir: cannot create {settings.bot.data_dir}: {exc.strerror}") from None
    stream = sys.stdout if fmt == "json" else None
    try:
        configure_logging(settings.logging.level, "json", stream=stream, file=log_file)
    except OSError as exc:
        key = "logging.file" if settings.logging.file is not None else "bot.data_dir"
        raise BadInput(f"{key}: cannot write the log file {log_file}: {exc.strerror}") from None
    return log_file


@app.command()
@one_line_errors
def run(
    config: ConfigOption = None,
    max_ticks: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many candle closes (sim).")
    ] = None,
    log_format: Annotated[
        Literal["console", "json"] | None,
        typer.Option(
            help="console: a live status block, logs to a file; json: logs on stdout "
            "[default: logging.format of the config].",
        ),
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Required, with mode = live, to send real orders.")
    ] = False,
) -> None:
    """Run the trading daemon until the replay ends (sim) or Ctrl-C / SIGTERM."""
    import structlog
    from rich.console import Console

    from bot.adapters.audit.lease import LeaseHeld
    from bot.app.console import print_report
    from bot.app.daemon_start import open_daemon
    from bot.app.report_json import report_to_json
    from bot.app.watching import watched
    from bot.domain.failures import ExitCode

    settings = load_config(config)
    fmt = log_format or settings.logging.format
    if settings.bot.mode == "live" and not live:
        Console(stderr=True).print(
            "[bold red]refusing to trade live[/]: mode = live also needs --live on the command line"
        )
        raise typer.Exit(2)
    log_file = _start_logging(settings, fmt)
    stop = threading.Event()

    def _request_stop(signum: int, _frame: object) -> None:
        structlog.get_logger("bot.app.cli").info("stop_requested", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    application, lease = open_daemon(settings, max_ticks=max_ticks)  # an ExitError ends it: one line
    with closing(lease), watched(application, fmt) as api:  # the lease is given back however it ends
        outcome, report = _run_until_done(application, lease, stop, fmt, log_file, api)
    console = Console()
    quote = settings.bot.quote_currency
    if fmt == "console":
        print_report(console, report, quote, with_trades=False)
        console.print(f"details: spotbot report{' --config ' + str(config) if config else ''}")
    else:
        structlog.get_logger("bot.app.cli").info("run_summary", **report_to_json(report)["summary"])
    if outcome == "lease_lost":
        raise LeaseHeld("another daemon took this bot's lease while it ran: stopped")
    raise typer.Exit(ExitCode.FAILED if outcome == "failed" else ExitCode.OK)


def _run_until_done(
    application: App,
    lease: DaemonLease,
    stop: threading.Event,
    fmt: str,
    log_file: Path | None,
    api: str | None = None,
) -> tuple[str, RunReport]:
    """Run the daemon (with the live status line on a console) until it ends; close the run."""
    from rich.console import Console
    from rich.live import Live

    from bot.app.bootstrap import finish_app
    from bot.app.console import status_line
    from bot.app.daemon import WallClockDaemon

    settings = application.settings
    if isinstance(application.daemon, WallClockDaemon):
        application.daemon.watch_lease(lease.still_held)
    console = Console()
    quote = settings.bot.quote_currency
    if fmt == "console":
        console.print(
            f"spotbot {__version__}: run {application.run_id}, {settings.bot.mode} on "
            f"{settings.market.source} market {', '.join(settings.market.symbols)}; "
            f"audit DB {settings.effective_database_url_redacted}; log {log_file}"
        )
        if api is not None:
            console.print(f"API: {api}/api/v1/status, every endpoint at {api}/docs")
        with Live(console=console, refresh_per_second=8, transient=True) as display:

            def refresh() -> None:
                display.update(status_line(application.engine.status, application.daemon.progress, quote))

            outcome = application.daemon.run(stop, on_idle=refresh)
    else:
        outcome = application.daemon.run(stop)
    return outcome, finish_app(application, outcome)


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
