"""[[strategies]]: which strategy kinds exist and how each kind's ``params`` table is validated.

The kinds and their params come from the one registry, :data:`strategies.registry.STRATEGIES`: each
kind's params are declared once, in its strategy's dataclass (default, bounds, description), and
:data:`STRATEGY_PARAMS` derives the pydantic table of each (``bot.app.settings.declared``). The tagged union
that validates ``[[strategies]]`` entries is derived from that, so each entry's ``params`` is checked
against the right model and an error names ``strategies[0].params.fast``. The bootstrap builds the
strategy from ``params.model_dump()`` (``strategies.registry.build_strategy``).

An entry's optional ``search`` table (``[strategies.search] fast = {low = 5, high = 50}``) declares the
ranges ``spotbot optimize`` may try (:class:`SearchRange`); :func:`search_problems` checks each against
the kind's params model: the key must be a param, the bounds valid values of it, the config's value
inside. The engine never reads it.
"""

from __future__ import annotations

import math
import typing
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)

from bot.app.settings.declared import settings_model
from bot.app.settings.errors import ConfigProblem, problems_error, show_value
from bot.app.settings.types import Section, StrategyName, Symbol, Timeframe
from strategies.registry import STRATEGIES

DEFAULT_KIND = "ma_crossover"
STRATEGY_KIND_ERROR = "spotbot_strategy_kind"


class StrategyParams(Section):
    """Base of every strategy kind's parameters."""


Number = StrictInt | StrictFloat
Choice = StrictBool | StrictInt | StrictFloat | StrictStr


class SearchRange(Section):
    """``spotbot optimize``: the values one param may take, ``{low, high[, step][, log]}`` or ``{choices}``.

    ``low``/``high`` are inclusive; an int param searches ints (``step`` an int, default 1), a float
    param floats (``step`` optional; ``log = true`` samples on a log scale, low > 0, without step).
    """

    low: Number | None = Field(None, description="Smallest value tried (inclusive).")
    high: Number | None = Field(None, description="Largest value tried (inclusive).")
    step: Number | None = Field(None, gt=0, description="Grid step from low (optional).")
    log: bool = Field(False, description="Sample on a log scale (low > 0; not with step).")
    choices: tuple[Choice, ...] | None = Field(None, min_length=1, description="Values tried, as a list.")


@cache
def _field_adapter(model: type[StrategyParams], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]  # type + bounds


def _kind_of_param(model: type[StrategyParams], name: str) -> str:
    annotation = model.model_fields[name].annotation
    if typing.get_origin(annotation) is Literal or annotation is bool:
        return "choice"
    return "int" if annotation is int else "float"


def _range_problems(
    model: type[StrategyParams], name: str, rng: SearchRange, current: Any
) -> list[ConfigProblem]:
    where = f"search.{name}"
    kind = _kind_of_param(model, name)
    if rng.choices is not None:
        if rng.low is not None or rng.high is not None or rng.step is not None or rng.log:
            return [ConfigProblem(where, "(a table)", "either choices = [...] or low/high, not both")]
        return _choice_problems(model, name, rng.choices, current)
    if kind == "choice":
        return [ConfigProblem(where, "(a table)", "choices = [...] (a categorical param)")]
    if rng.low is None or rng.high is None:
        missing = "low" if rng.low is None else "high"
        return [ConfigProblem(f"{where}.{missing}", "(missing)", "required with a numeric range")]
    if kind == "int":
        not_ints = [
            ConfigProblem(f"{where}.{key}", show_value(value), f"an integer ({name} is)")
            for key, value in (("low", rng.low), ("high", rng.high), ("step", rng.step))
            if value is not None and not isinstance(value, int)
        ]
        if not_ints:
            return not_ints
    problems = _bound_problems(model, name, {f"{where}.low": rng.low, f"{where}.high": rng.high})
    return problems or _numeric_problems(name, rng, rng.low, rng.high, current)


def _bound_problems(model: type[StrategyParams], name: str, values: dict[str, Any]) -> list[ConfigProblem]:
    """Each value must itself be a valid value of the param (its type and bounds)."""
    adapter = _field_adapter(model, name)
    problems = []
    for key, value in values.items():
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            message = exc.errors(include_url=False)[0]["msg"]
            allowed = f"a valid {name}: {message[:1].lower()}{message[1:]}"
            problems.append(ConfigProblem(key, show_value(value), allowed))
    return problems


def _choice_problems(
    model: type[StrategyParams], name: str, choices: tuple[Any, ...], current: Any
) -> list[ConfigProblem]:
    keys = {f"search.{name}.choices[{i}]": value for i, value in enumerate(choices)}
    problems = _bound_problems(model, name, keys)
    if not problems and current not in choices:
        problems.append(ConfigProblem(f"params.{name}", show_value(current), f"one of search.{name}.choices"))
    return problems


def _numeric_problems(
    name: str, rng: SearchRange, low: float, high: float, current: Any
) -> list[ConfigProblem]:
    where = f"search.{name}"
    if not low < high:
        return [ConfigProblem(f"{where}.high", show_value(high), f"greater than low ({low})")]
    if rng.log and (rng.step is not None or low <= 0):
        return [ConfigProblem(f"{where}.log", "true", "only with low > 0 and without step")]
    if not low <= current <= high:
        allowed = f"within search.{name} [{low}, {high}] (the search starts from the config's value)"
        return [ConfigProblem(f"params.{name}", show_value(current), allowed)]
    if rng.step is not None and not _on_grid(current - low, float(rng.step)):
        allowed = f"on the search grid low + k × step ({low} + k × {rng.step})"
        return [ConfigProblem(f"params.{name}", show_value(current), allowed)]
    return []


def _on_grid(offset: float, step: float) -> bool:
    k = round(offset / step)
    return math.isclose(k * step, offset, rel_tol=1e-9, abs_tol=1e-12)


def search_problems(kind: str, params: StrategyParams, search: dict[str, SearchRange]) -> list[ConfigProblem]:
    """What is wrong with a strategy's ``search`` table: unknown params, bad bounds, the value outside."""
    model = type(params)
    problems: list[ConfigProblem] = []
    for name, rng in search.items():
        if name not in model.model_fields:
            allowed = f"a parameter of {kind}: {', '.join(model.model_fields)}"
            problems.append(ConfigProblem(f"search.{name}", "(a table)", allowed))
            continue
        problems.extend(_range_problems(model, name, rng, getattr(params, name)))
    return problems


def _params_model(kind: str, declared: type[Any]) -> type[StrategyParams]:
    name = declared.__name__  # e.g. MaCrossoverParams, like the strategy's dataclass
    doc = f"params of {kind}: derived from {declared.__module__}.{name}."
    return settings_model(name, declared, base=StrategyParams, module=__name__, doc=doc)


# kind -> params model, one per kind of the strategies' registry.
STRATEGY_PARAMS: dict[str, type[StrategyParams]] = {
    kind: _params_model(kind, declared.params) for kind, declared in STRATEGIES.items()
}
MaCrossoverParams = STRATEGY_PARAMS["ma_crossover"]  # the settings' view of ma_crossover's params


class StrategySettings(Section):
    """One [[strategies]] entry. ``symbols`` and ``timeframe`` default to the market's (see the root)."""

    name: StrategyName = Field(description="Unique name; appears in logs, intents and the audit DB.")
    kind: str = Field(DEFAULT_KIND, description=f"Strategy kind: one of {', '.join(STRATEGY_PARAMS)}.")
    symbols: tuple[Symbol, ...] = Field(
        min_length=1, description="Symbols traded; default: all market symbols."
    )
    timeframe: Timeframe = Field(
        description="Candle timeframe; default and, offline, required: market.timeframe."
    )
    params: StrategyParams = Field(description="The kind's parameters.")
    search: dict[str, SearchRange] = Field(
        default_factory=dict,
        description="spotbot optimize: search ranges of params, e.g. fast = {low = 5, high = 50}.",
    )

    @model_validator(mode="after")
    def _search_fits_params(self) -> StrategySettings:
        problems = search_problems(self.kind, self.params, self.search)
        if problems:
            raise problems_error(problems)
        return self


def _strategy_model(kind: str, params: type[StrategyParams]) -> type[StrategySettings]:
    name = "".join(part.title() for part in kind.split("_")) + "Strategy"
    return create_model(
        name,
        __base__=StrategySettings,
        params=(params, Field(default_factory=params, description=f"Parameters of {kind}.")),
    )


STRATEGY_MODELS: dict[str, type[StrategySettings]] = {
    kind: _strategy_model(kind, params) for kind, params in STRATEGY_PARAMS.items()
}


def _kind_of(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("kind", DEFAULT_KIND)
        return kind if isinstance(kind, str) else None
    return getattr(value, "kind", None)


if TYPE_CHECKING:
    AnyStrategy = StrategySettings
else:
    AnyStrategy = Annotated[
        Union[tuple(Annotated[model, Tag(kind)] for kind, model in STRATEGY_MODELS.items())],  # noqa: UP007
        Discriminator(
            _kind_of,
            custom_error_type=STRATEGY_KIND_ERROR,
            custom_error_message="one of {kinds}",
            custom_error_context={"kinds": ", ".join(STRATEGY_PARAMS)},
        ),
    ]
