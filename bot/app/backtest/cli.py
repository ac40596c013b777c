"""The ``spotbot backtest`` command (registered in :mod:`bot.app.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.app.candle_options import DataOption, FromOption, ToOption
from bot.domain.failures import BadInput


def backtest_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="TOML config file of the strategy to test.")],
    data: DataOption = None,
    start: FromOption = None,
    end: ToOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default: backtests/<config stem>-<UTC timestamp>)."),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level",
            help="Level of backtest.log (DEBUG, INFO, WARNING, ERROR); INFO logs every intent, order and "
            "fill like the daemon (the audit DB holds them either way).",
        ),
    ] = "WARNING",
) -> None:
    """Replay history through the real engine as fast as possible; print metrics, write JSON + chart."""
    from rich.console import Console

    from bot.app.backtest.command import BacktestRequest, execute, print_backtest, report_paths
    from bot.app.settings import ConfigError

    console = Console()
    request = BacktestRequest(
        config=config, data=tuple(data or ()), start=start, end=end, out=out, log_level=log_level
    )
    try:
        run_, result, out_dir = execute(request, console)
    except ConfigError:
        raise  # a BadInput: one_line_errors ends the command with it (exit 2)
    except ValueError as exc:  # a data file, a date, a log level
        raise BadInput(f"backtest: {exc}") from None
    print_backtest(console, result)
    report_paths(console, out_dir)
    raise typer.Exit(1 if run_.outcome == "failed" else 0)
