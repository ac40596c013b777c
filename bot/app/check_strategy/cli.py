"""The ``spotbot check-strategy`` command (registered in :mod:`bot.app.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.app.candle_options import DataOption, FromOption, ToOption
from bot.app.check_strategy import DEFAULT_SAMPLES
from bot.domain.failures import BadInput


def check_strategy_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="TOML config of the strategies to check.")],
    data: DataOption = None,
    start: FromOption = None,
    end: ToOption = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            min=1,
            help="Look-ahead: closes where the strategy decided asked again (at most), and as many others.",
        ),
    ] = DEFAULT_SAMPLES,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (fields in README).")
    ] = False,
) -> None:
    """Check each strategy for look-ahead, dependence on where the data starts, and a scan that misses
    decisions; exit 1 if a check finds a problem."""
    import json
    import sys

    from rich.console import Console

    from bot.app.check_strategy.command import CheckRequest, execute
    from bot.app.check_strategy.console import print_checks
    from bot.app.logging_setup import configure_logging
    from bot.app.settings import ConfigError

    configure_logging("WARNING", "console", stream=sys.stderr)  # stdout is the table or the JSON
    request = CheckRequest(config=config, data=tuple(data or ()), start=start, end=end, samples=samples)
    status = Console(stderr=True)
    try:
        with status.status("checking") as spinner:
            result = execute(request, lambda name, symbol: spinner.update(f"checking {name} on {symbol}"))
    except ConfigError:
        raise  # a BadInput: one_line_errors ends the command with it (exit 2)
    except ValueError as exc:  # a data file, a date, too few candles for a strategy's warm-up
        raise BadInput(f"check-strategy: {exc}") from None
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        print_checks(Console(), result)
    raise typer.Exit(0 if result["ok"] else 1)
