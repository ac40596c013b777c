"""The ``spotbot stress`` command (registered in :mod:`bot.app.cli`); the heavy imports load inside it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.app.settings import Settings
    from bot.app.stress.candles import Closes
    from bot.app.stress.portfolio import BacktestDir, Portfolio
    from bot.app.stress.scenarios import ScenarioFile


def stress_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="TOML config file of the bot (its limits).")],
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run id [default: the bot's latest run in its audit DB].")
    ] = None,
    backtest: Annotated[
        Path | None, typer.Option("--backtest", help="A backtest's --out directory: its last portfolio.")
    ] = None,
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            help="Candle files, or a directory of BASE_QUOTE-TF.csv files, for the holdings and the "
            "reference (betas, worst moves) [default: the backtest's files, or the config's market].",
        ),
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option("--scenarios", help="A TOML file of scenarios added to (or replacing) the built-ins."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (fields in README).")
    ] = False,
) -> None:
    """Shock the current or last portfolio: the loss with and without stops, and whether the breakers
    would halt entries."""
    import json

    from rich.console import Console

    from bot.app.settings import load_settings
    from bot.app.stress.model import stress
    from bot.app.stress.output import print_stress, stress_json
    from bot.app.stress.portfolio import read_backtest_dir, read_portfolio
    from bot.app.stress.scenarios import load_scenarios
    from bot.domain.failures import BadInput
    from bot.domain.secrets import register_secrets

    if run_id is not None and backtest is not None:
        raise BadInput(
            "--run and --backtest: give one of them (a run in the config's audit DB, or a backtest)"
        )
    settings = load_settings(config)
    register_secrets(*settings.secret_values())
    file = load_scenarios(scenarios)
    source = read_backtest_dir(backtest) if backtest is not None else None
    portfolio = read_portfolio(settings, run_id=run_id, backtest=source)
    closes = candles_for(settings, portfolio, file, tuple(data or ()), source)
    results = [stress(portfolio, s, file.reference_of(s), closes) for s in file.scenarios]
    if as_json:
        typer.echo(json.dumps(stress_json(portfolio, file, closes, results), indent=2))
    else:
        print_stress(Console(), portfolio, results)


def candles_for(
    settings: Settings,
    portfolio: Portfolio,
    file: ScenarioFile,
    data: tuple[Path, ...],
    source: BacktestDir | None,
) -> dict[str, Closes]:
    """The closes of the ``lookback`` before the portfolio's time, per symbol: from ``--data``, else the
    backtest's files, else the config's market (csv files, or its seeded sim); none for an exchange."""
    from bot.app.backtest.data import DataError
    from bot.app.bootstrap import build_market
    from bot.app.stress.candles import Closes, candle_files, load_closes
    from bot.domain.failures import BadInput

    wanted = {h.symbol for h in portfolio.holdings} | set(settings.market.symbols)
    wanted |= {ref for s in file.scenarios if (ref := file.reference_of(s)) is not None}
    try:
        if data:
            closes = load_closes(candle_files(data, sorted(wanted), settings.market.timeframe))
        elif source is not None and source.data_files:
            closes = load_closes(source.data_files)
        elif settings.market.source in ("csv", "sim"):
            market = build_market(settings)
            closes = {s: Closes.of(market.series(s)) for s in market.symbols()}
        else:
            closes = {}
    except DataError as exc:
        raise BadInput(f"--data: {exc}") from None
    return {symbol: c.before(portfolio.at, file.lookback) for symbol, c in closes.items()}
