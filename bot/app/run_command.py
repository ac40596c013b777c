"""``spotbot run``: the daemon's command (registered in :mod:`bot.app.cli`): logging set up, signals
turned into a clean stop, the daemon opened under its lease, run with a live status block on a console,
and the run's summary at the end."""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from bot import __version__
from bot.app.command_config import ConfigOption, load_config

if TYPE_CHECKING:  # the heavy modules load when the command runs: `spotbot --help` stays quick
    from bot.adapters.audit.lease import DaemonLease
    from bot.app.bootstrap import App
    from bot.app.reporting import RunReport
    from bot.app.settings import Settings


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


def run_command(
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
        structlog.get_logger(__name__).info("stop_requested", signal=signal.Signals(signum).name)
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
        structlog.get_logger(__name__).info("run_summary", **report_to_json(report)["summary"])
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
