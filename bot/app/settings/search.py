"""``[strategies.search]``: the values ``spotbot optimize`` may try for a strategy's params.

An entry's optional ``search`` table (``[strategies.search] fast = {low = 5, high = 50}``) declares the
ranges ``spotbot optimize`` may try (:class:`SearchRange`); :func:`search_problems` checks each against
the kind's params model: the key must be a param, the bounds valid values of it, the config's value
inside. Works for any pydantic params model: a built-in's derived table or a user strategy's ``Params``.
The engine never reads it.
"""

from __future__ import annotations

import math
import typing
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from bot.app.settings.errors import ConfigProblem, show_value
from bot.app.settings.types import Section

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
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]  # type + bounds


def _kind_of_param(model: type[BaseModel], name: str) -> str:
    annotation = model.model_fields[name].annotation
    if typing.get_origin(annotation) is Literal or annotation is bool:
        return "choice"
    return "int" if annotation is int else "float"


def _range_problems(model: type[BaseModel], name: str, rng: SearchRange, current: Any) -> list[ConfigProblem]:
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


def _bound_problems(model: type[BaseModel], name: str, values: dict[str, Any]) -> list[ConfigProblem]:
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
    model: type[BaseModel], name: str, choices: tuple[Any, ...], current: Any
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


def search_problems(kind: str, params: BaseModel, search: dict[str, SearchRange]) -> list[ConfigProblem]:
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
