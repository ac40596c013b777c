"""The candle options every offline command shares (backtest, optimize, check-strategy): one wording,
one meaning, as :func:`bot.app.backtest.runner.data_overrides` reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--data",
        help="A directory of BASE_QUOTE-TF.csv files (the config's symbols) or candle files "
        "(repeatable); replaces market.source with csv.",
    ),
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="First candle open time (YYYY-MM-DD or ISO, UTC).")
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Only candles opening before this (exclusive, UTC).")
]
