"""The ``spotbot optimize`` command (registered in :mod:`bot.app.cli`); Optuna is imported only when it
runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from bot.app.candle_options import DataOption, FromOption, ToOption
from bot.domain.failures import BadInput, ExitError


def optimize_command(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="TOML config with [strategies.search] ranges.")
    ],
    trials: Annotated[int, typer.Option("--trials", min=1, help="Trials this command runs (all workers).")],
    data: DataOption = None,
    start: FromOption = None,
    end: ToOption = None,
    objective: Annotated[
        Literal["sharpe", "calmar", "return_dd"],
        typer.Option("--objective", help="What a trial is scored on, out of sample."),
    ] = "sharpe",
    windows: Annotated[
        int, typer.Option("--windows", min=1, help="Walk-forward folds K (the data cut into K+1 windows).")
    ] = 3,
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Worker processes.")] = 1,
    storage: Annotated[
        str | None,
        typer.Option("--storage", help="Optuna RDB URL [default: sqlite:///<out stem>.study.db]."),
    ] = None,
    study: Annotated[
        str | None, typer.Option("--study", help="Study name [default: <config stem>-<objective>-<hash>].")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Optimized config [default: <config stem>.optimized.toml].")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the TPE sampler.")] = None,
) -> None:
    """Search the config's [strategies.search] ranges (Optuna TPE, walk-forward, out of sample); write the
    best params as a ready config."""
    from rich.console import Console

    from bot.app.optimize.command import OptimizeRequest, execute
    from bot.app.optimize.console import print_summary
    from bot.app.optimize.evaluate import OptimizeSetup
    from bot.app.settings import ConfigError

    console = Console()
    setup = OptimizeSetup(
        config=config, data=tuple(data or ()), start=start, end=end, folds=windows, objective=objective
    )
    request = OptimizeRequest(
        setup=setup, trials=trials, jobs=jobs, storage=storage, study=study, out=out, seed=seed
    )
    try:
        summary = execute(request, console)
    except ConfigError:
        raise  # a BadInput: one_line_errors ends the command with it (exit 2)
    except RuntimeError as exc:  # OptimizeError, BacktestFailed, a worker process failed
        raise ExitError(f"optimize failed: {exc}") from None
    except ValueError as exc:  # a search range, a data file, a date, a study name
        raise BadInput(f"optimize: {exc}") from None
    print_summary(console, summary)
    console.print(f"wrote {request.out_path} and {request.out_path.with_suffix('.json')}", highlight=False)
