"""Declared parameters: dataclass fields that carry their own description and bounds.

The risk limits (:class:`risk.limits.RiskLimits`) and each strategy's parameters (e.g.
:class:`strategies.ma_crossover.MaCrossoverParams`) are declared once, as dataclass fields made with
:func:`param`. The dataclass checks itself with :func:`check_params`; the settings layer derives its
pydantic tables from the same fields (``bot.app.settings.declared``). A default, a bound or a description
is therefore written in exactly one place.

Standard library only: the pure core (risk, strategies) imports this, never pydantic.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal, TypeVar

Bound = Decimal | int | float | timedelta
ParamType = type[bool] | type[int] | type[float] | type[Decimal] | type[timedelta] | type[str]

_SPEC = "spotbot_param"
_DECLARED: dict[type[Any], tuple[Param, ...]] = {}
_T = TypeVar("_T")
_TYPE_WORDS: dict[type, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    Decimal: "a Decimal",
    timedelta: "a duration",
}


@dataclass(frozen=True, slots=True)
class Spec:
    """What one parameter is for and what it may be (``gt``/``ge``/``lt``/``le`` as in pydantic)."""

    description: str
    gt: Bound | None = None
    ge: Bound | None = None
    lt: Bound | None = None
    le: Bound | None = None
    why: str = ""  # why ``le`` exists: a hard ceiling of policy, named in every refusal
    money: bool = False  # an amount of money: the settings also cap it at what the audit DB carries

    def bounds(self) -> dict[str, Bound]:
        """The bounds that are set, by pydantic's names."""
        found = {"gt": self.gt, "ge": self.ge, "lt": self.lt, "le": self.le}
        return {name: bound for name, bound in found.items() if bound is not None}


@dataclass(frozen=True, slots=True)
class Param:
    """One declared field: its name, value type, default and :class:`Spec`."""

    name: str
    type: ParamType  # str for a Literal (``choices`` then holds its values)
    default: Any
    spec: Spec
    optional: bool = False  # None is allowed too
    choices: tuple[Any, ...] = ()

    def allowed(self) -> str:
        """What a valid value looks like, e.g. ``a Decimal > 0 and <= 0.02 (why)``."""
        if self.choices:
            text = "one of " + ", ".join(repr(choice) for choice in self.choices)
        else:
            symbols = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
            ranges = [f"{symbols[name]} {_show(bound)}" for name, bound in self.spec.bounds().items()]
            text = " and ".join([_TYPE_WORDS[self.type] + (" " + ranges[0] if ranges else ""), *ranges[1:]])
        text += f" ({self.spec.why})" if self.spec.why else ""
        return text + (", or None" if self.optional else "")

    def accepts(self, value: object) -> bool:
        if value is None:
            return self.optional
        if self.choices:
            return any(value == choice and type(value) is type(choice) for choice in self.choices)
        if not _has_type(value, self.type):
            return False
        return all(_holds(name, value, bound) for name, bound in self.spec.bounds().items())

    def check(self, value: object, prefix: str = "") -> None:
        """ValueError naming the parameter, the value and what is allowed."""
        if not self.accepts(value):
            raise invalid(f"{prefix}{self.name}", value, self.allowed())


def invalid(name: str, value: object, allowed: str) -> ValueError:
    return ValueError(f"{name}={value!r} is invalid: allowed {allowed}")


def param(
    default: _T,
    description: str,
    *,
    gt: Bound | None = None,
    ge: Bound | None = None,
    lt: Bound | None = None,
    le: Bound | None = None,
    why: str = "",
    money: bool = False,
) -> _T:
    """A dataclass field with its default, description and bounds: the one definition of a parameter."""
    spec = Spec(description, gt=gt, ge=ge, lt=lt, le=le, why=why, money=money)
    declared: _T = field(default=default, metadata={_SPEC: spec})
    return declared


def params_of(cls: type[Any]) -> tuple[Param, ...]:
    """Every field of a dataclass declared with :func:`param`, in declaration order."""
    found = _DECLARED.get(cls)
    if found is None:
        found = _DECLARED[cls] = _declared(cls)
    return found


def _declared(cls: type[Any]) -> tuple[Param, ...]:
    hints = typing.get_type_hints(cls)
    found = []
    for item in fields(cls):
        if _SPEC not in item.metadata:
            raise TypeError(f"{cls.__name__}.{item.name} is not declared with param()")
        value_type, optional, choices = _value_type(hints[item.name])
        found.append(Param(item.name, value_type, item.default, item.metadata[_SPEC], optional, choices))
    return tuple(found)


def param_of(cls: type[Any], name: str) -> Param:
    return next(item for item in params_of(cls) if item.name == name)


def check_params(instance: object, prefix: str = "") -> None:
    """Check every declared field of a dataclass instance, then the class's ``conflicts`` (if any):
    the relations between fields, e.g. ``slow`` greater than ``fast``."""
    cls: type[Any] = type(instance)
    for item in params_of(cls):
        item.check(getattr(instance, item.name), prefix)
    values = {item.name: getattr(instance, item.name) for item in params_of(cls)}
    for name, allowed in conflicts_of(cls, values):
        raise invalid(f"{prefix}{name}", values[name], allowed)


def conflicts_of(cls: type[Any], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, what is allowed) for each relation between valid values that does not hold."""
    conflicts = getattr(cls, "conflicts", None)
    return list(conflicts(values)) if conflicts is not None else []


def _value_type(annotation: Any) -> tuple[ParamType, bool, tuple[Any, ...]]:
    args = typing.get_args(annotation)
    if type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        value_type, _, choices = _value_type(rest[0])
        return value_type, True, choices
    if typing.get_origin(annotation) is Literal:
        return str, False, args
    if annotation in _TYPE_WORDS:
        return typing.cast(ParamType, annotation), False, ()
    raise TypeError(f"a declared parameter cannot be of type {annotation!r}")


def _has_type(value: object, value_type: ParamType) -> bool:
    if value_type is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):  # True is an int to Python, never to us
        return False
    if value_type is float:
        return isinstance(value, int | float) and math.isfinite(value)
    if value_type is Decimal:
        return isinstance(value, Decimal) and value.is_finite()
    return isinstance(value, value_type)


def _show(bound: Bound) -> str:
    return "0" if isinstance(bound, timedelta) and not bound else str(bound)


def _holds(name: str, value: Any, bound: Bound) -> bool:
    if name == "gt":
        return bool(value > bound)
    if name == "ge":
        return bool(value >= bound)
    if name == "lt":
        return bool(value < bound)
    return bool(value <= bound)
