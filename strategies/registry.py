"""Every strategy kind the bot can run: its params (declared once, see :mod:`bot.domain.params`) and how
it is built. The one registry: the settings derive each kind's ``[[strategies]] params`` table from it
(``bot.app.settings.strategies``), the bootstrap builds strategies with :func:`build_strategy`, and
``spotbot optimize`` searches the params the settings validated. Adding a kind is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from strategies.base import Strategy
from strategies.bollinger import Bollinger, BollingerParams
from strategies.dca import Dca, DcaParams
from strategies.donchian import Donchian, DonchianParams
from strategies.grid import Grid, GridParams
from strategies.ma_crossover import MaCrossover, MaCrossoverParams
from strategies.macd import Macd, MacdParams
from strategies.rotation import Rotation, RotationParams
from strategies.rsi import Rsi, RsiParams


@dataclass(frozen=True, slots=True)
class StrategyKind:
    params: type[Any]  # a frozen dataclass of declared params (bot.domain.params.param)
    build: Callable[[str, str, Any], Strategy]  # (name, timeframe, params) -> the strategy


STRATEGIES: dict[str, StrategyKind] = {
    "ma_crossover": StrategyKind(MaCrossoverParams, MaCrossover),
    "rsi": StrategyKind(RsiParams, Rsi),
    "bollinger": StrategyKind(BollingerParams, Bollinger),
    "macd": StrategyKind(MacdParams, Macd),
    "donchian": StrategyKind(DonchianParams, Donchian),
    "dca": StrategyKind(DcaParams, Dca),
    "rotation": StrategyKind(RotationParams, Rotation),
    "grid": StrategyKind(GridParams, Grid),
}


def build_strategy(kind: str, name: str, timeframe: str, params: Mapping[str, Any]) -> Strategy:
    """The strategy ``kind`` named ``name``; ``params`` are checked again by the kind's dataclass."""
    declared = STRATEGIES[kind]
    return declared.build(name, timeframe, declared.params(**params))
