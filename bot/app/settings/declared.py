"""Settings tables derived from declared parameters (:mod:`bot.domain.params`).

The risk limits and each strategy's params are declared once, in the pure core, as dataclass fields
with a default, bounds and a description. :func:`settings_model` turns such a dataclass into the
pydantic table that validates the user's config: the same keys, defaults and descriptions, each bound
as the pydantic constraint (so ``config check`` says e.g. ``less than 1``), a ceiling with its reason,
and the settings' own value types (a number is never ``true``; a duration is ``'4h'``; money fits the
audit DB).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, create_model, model_validator

from bot.app.settings.errors import ConfigProblem, problems_error, show_value
from bot.app.settings.numeric import Amount, DecimalSetting, FloatSetting, IntSetting
from bot.app.settings.types import Duration, ceiling
from bot.domain.params import Param, conflicts_of, params_of

_Model = TypeVar("_Model", bound=BaseModel)
_SETTING_TYPES: dict[type, Any] = {
    bool: bool,
    int: IntSetting,
    float: FloatSetting,
    Decimal: DecimalSetting,
    timedelta: Duration,
}


def setting_field(item: Param) -> tuple[Any, Any]:
    """``(annotation, Field(...))`` of one declared parameter, as ``create_model`` takes it."""
    spec = item.spec
    bounds: dict[str, Any] = dict(spec.bounds())
    if item.choices:
        annotation: Any = Literal[item.choices]
    elif spec.money:
        annotation = Amount
    else:
        annotation = _SETTING_TYPES[item.type]
    if item.type is timedelta:
        if bounds != {"ge": timedelta(0)}:  # Duration reads 0 to 365d: another bound would be lost
            raise TypeError(f"{item.name}: a duration setting is bounded by its format (>= 0) only")
        bounds = {}
    if spec.why:
        annotation = Annotated[annotation, ceiling(bounds.pop("le"), spec.why)]
    if item.optional:
        annotation = annotation | None
    return annotation, Field(item.default, description=spec.description, **bounds)


def settings_model(
    name: str, declared: type[Any], *, base: type[_Model], module: str, doc: str
) -> type[_Model]:
    """The pydantic table ``module.name`` of a dataclass of declared parameters, with its relations
    (``conflicts``) checked after the fields, each a problem naming its key."""
    fields = {item.name: setting_field(item) for item in params_of(declared)}
    validators = {"_conflicts": model_validator(mode="after")(_conflict_check(declared))}
    return create_model(  # type: ignore[call-overload,no-any-return]
        name, __base__=base, __doc__=doc, __module__=module, __validators__=validators, **fields
    )


def _conflict_check(declared: type[Any]) -> Any:
    def check(model: BaseModel) -> BaseModel:
        values = model.model_dump()
        problems = [
            ConfigProblem(key, show_value(values[key]), allowed)
            for key, allowed in conflicts_of(declared, values)
        ]
        if problems:
            raise problems_error(problems)
        return model

    return check
