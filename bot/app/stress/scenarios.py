"""Stress scenarios: built-in ones in ``config/stress.toml``, more (or replacements) from ``--scenarios``.

A file holds defaults and ``[[scenarios]]``::

    reference = "BTC/USDT"      # the asset a `shock` moves (a scenario may name its own)
    lookback = "30d"            # candles before the portfolio's time used for betas and worst moves
    replace_builtins = false    # in a --scenarios file: true drops the built-in scenarios

    [[scenarios]]
    name = "btc-20"
    description = "BTC -20 %, every holding by its beta to BTC"
    shock = -0.20               # the reference's move; each holding moves by beta x shock
    moves = {"ETH/BTC" = -0.3}  # explicit moves per symbol (win over the shock and `move`)
    move = -0.2                 # every other holding's move against the quote
    gap_through_stops = false   # true: the price opens below the stops, which fill there
    venue_down_hours = 0        # > 0: stops cannot act for N hours (without a move: each symbol's
                                #   worst historical N-hour return)
    depth_factor = 1.0          # 0.5: half the book depth, exits pay twice the slippage

Unknown keys are errors, and every error names its key (``scenarios[2].depth_factor: 0 — ...``), as
for the settings. A ``--scenarios`` scenario with a built-in's name replaces it; others are added.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, ValidationError, model_validator

from bot.app.settings.errors import ConfigError, ConfigProblem, problems_error
from bot.app.settings.explain import problems_from
from bot.app.settings.loader import _read_toml as read_toml
from bot.app.settings.types import Duration, Section, Symbol
from bot.domain.failures import BadInput

BUILTIN_FILE = Path("config") / "stress.toml"
_REPOSITORY = Path(__file__).resolve().parents[3]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("a finite number")
    return value


Move = Annotated[float, Field(strict=False, gt=-1, le=10), AfterValidator(_finite)]
Name = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,64}$")]


class Scenario(Section):
    """One shock (see the module docstring for each key)."""

    name: Name
    description: str = ""
    reference: Symbol | None = None
    shock: Move | None = None
    move: Move | None = None
    moves: dict[Symbol, Move] = Field(default_factory=dict)
    gap_through_stops: bool = False
    venue_down_hours: Annotated[float, Field(ge=0, le=24 * 30)] = 0.0
    depth_factor: Annotated[float, Field(gt=0, le=1)] = 1.0

    @model_validator(mode="after")
    def _moves_something(self) -> Self:
        if self.shock is None and self.move is None and not self.moves and self.venue_down_hours == 0:
            raise problems_error([ConfigProblem(
                "shock", "(missing)", "a scenario needs shock, move, moves or venue_down_hours > 0"
            )])  # fmt: skip
        return self

    @property
    def stops_can_act(self) -> bool:
        """False when the price gaps through the stops, or the venue is down while it moves."""
        return not self.gap_through_stops and self.venue_down_hours == 0


class ScenarioFile(Section):
    reference: Symbol | None = None
    lookback: Duration = timedelta(days=30)
    replace_builtins: bool = False
    scenarios: list[Scenario] = Field(default_factory=list)

    @model_validator(mode="after")
    def _named_once_with_a_reference(self) -> Self:
        problems: list[ConfigProblem] = []
        seen: set[str] = set()
        for i, scenario in enumerate(self.scenarios):
            if scenario.name in seen:
                problems.append(
                    ConfigProblem(f"scenarios[{i}].name", repr(scenario.name), "a name used once")
                )
            seen.add(scenario.name)
            if scenario.shock is not None and scenario.reference is None and self.reference is None:
                problems.append(ConfigProblem(
                    f"scenarios[{i}].reference", "(missing)",
                    "a shock moves a reference asset: set reference here or at the top of the file",
                ))  # fmt: skip
        if problems:
            raise problems_error(problems)
        return self

    def reference_of(self, scenario: Scenario) -> str | None:
        return scenario.reference or self.reference


def read_scenario_file(path: Path) -> ScenarioFile:
    """The file validated; a :class:`ConfigError` (exit 2) names each bad key."""
    data: dict[str, Any] = read_toml(path)
    try:
        return ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError.from_problems(problems_from(exc, {}), path=path) from None


def builtin_path() -> Path:
    """``config/stress.toml`` under the working directory (the Docker image's /app), else the
    repository's."""
    return BUILTIN_FILE if BUILTIN_FILE.is_file() else _REPOSITORY / BUILTIN_FILE


def load_scenarios(extra: Path | None) -> ScenarioFile:
    """The built-in scenarios, with ``extra``'s added (same name: replaced; ``replace_builtins``: only
    ``extra``'s). ``extra``'s top-level keys win over the built-in file's."""
    path = builtin_path()
    if not path.is_file() and extra is None:
        raise BadInput(f"no built-in scenarios: {path} not found; give --scenarios FILE")
    builtins = read_scenario_file(path) if path.is_file() else ScenarioFile()
    if extra is None:
        return builtins
    added = read_scenario_file(extra)
    kept = [] if added.replace_builtins else builtins.scenarios
    names = {s.name for s in added.scenarios}
    given = added.model_fields_set
    return ScenarioFile(
        reference=added.reference if "reference" in given else builtins.reference,
        lookback=added.lookback if "lookback" in given else builtins.lookback,
        scenarios=[s for s in kept if s.name not in names] + added.scenarios,
    )
