"""Each risk limit and each strategy parameter is defined once, in the pure core (``risk.limits``,
``strategies.*``, with ``bot.domain.params.param``), and the settings tables are derived from it.

These tests fail if a limit or a param gets a second definition: a settings field added by hand, a
default, description or bound that differs from the declaration, a second params model or registry,
or a settings table elsewhere that takes a risk limit's name.
"""

from __future__ import annotations

import ast
import typing
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pydantic
import pytest

from bot.app.settings import RiskSettings, Settings
from bot.app.settings.strategies import STRATEGY_MODELS, STRATEGY_PARAMS, StrategyParams
from bot.app.settings.types import is_model, unwrap
from bot.domain.params import Param, params_of
from risk.factory import build_chain
from risk.limits import RiskLimits, check_limit
from strategies.registry import STRATEGIES

REPO = Path(__file__).resolve().parents[2]
# (dataclass of declared params, the settings table derived from it)
TABLES: list[tuple[type[Any], type[pydantic.BaseModel]]] = [
    (RiskLimits, RiskSettings),
    *((kind.params, STRATEGY_PARAMS[name]) for name, kind in STRATEGIES.items()),
]
IDS = [declared.__name__ for declared, _ in TABLES]
PARAMS = [(declared, model, item) for declared, model in TABLES for item in params_of(declared)]
PARAM_IDS = [f"{declared.__name__}.{item.name}" for declared, _, item in PARAMS]
_STEP: dict[type, Any] = {int: 1, float: 1e-6, Decimal: Decimal("0.0001"), timedelta: timedelta(seconds=1)}


@pytest.mark.parametrize(("declared", "model"), TABLES, ids=IDS)
def test_the_settings_table_has_exactly_the_declared_fields_in_order(
    declared: type[Any], model: type[pydantic.BaseModel]
) -> None:
    assert list(model.model_fields) == [item.name for item in params_of(declared)]


@pytest.mark.parametrize(("declared", "model", "item"), PARAMS, ids=PARAM_IDS)
def test_a_setting_has_the_declared_default_description_and_type(
    declared: type[Any], model: type[pydantic.BaseModel], item: Param
) -> None:
    field = model.model_fields[item.name]
    assert field.default == item.default and type(field.default) is type(item.default)
    assert field.description == item.spec.description
    annotation = unwrap(field.annotation)
    if item.choices:
        assert typing.get_args(annotation) == item.choices
    else:
        assert annotation is item.type
    assert (type(None) in typing.get_args(field.annotation)) is item.optional


def _candidates(item: Param) -> list[tuple[Any, bool]]:
    """(value, must be refused) at each declared bound: the bound itself and one step beyond it."""
    step = _STEP.get(item.type)
    found: list[tuple[Any, bool]] = []
    for name, bound in item.spec.bounds().items():
        beyond = bound - step if name in ("gt", "ge") else bound + step
        found += [(bound, name in ("gt", "lt")), (beyond, True)]
    return found


def _settings_accept(model: type[pydantic.BaseModel], name: str, value: Any) -> bool:
    try:
        model(**{name: value})
    except pydantic.ValidationError:
        return False
    return True


def _dataclass_accepts(declared: type[Any], name: str, value: Any) -> bool:
    try:
        declared(**{name: value})
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("declared", "model", "item"), PARAMS, ids=PARAM_IDS)
def test_the_settings_and_the_pure_core_agree_at_every_declared_bound(
    declared: type[Any], model: type[pydantic.BaseModel], item: Param
) -> None:
    for value, refused in _candidates(item):
        settings_ok = _settings_accept(model, item.name, value)
        assert settings_ok == _dataclass_accepts(declared, item.name, value), (item.name, value)
        if refused:
            assert not settings_ok, (item.name, value)


@pytest.mark.parametrize("item", params_of(RiskLimits), ids=lambda item: item.name)
def test_each_guard_is_held_to_the_declared_limit(item: Param) -> None:
    for value, refused in _candidates(item):
        if refused:
            with pytest.raises(ValueError, match=item.name):
                check_limit(item.name, value)


@pytest.mark.parametrize("item", params_of(RiskLimits), ids=lambda item: item.name)
def test_no_guard_is_stricter_than_the_declared_limit(item: Param) -> None:
    for value, refused in _candidates(item):
        if not refused:
            build_chain(RiskLimits(**{item.name: value}))  # a guard with its own bound would raise


def test_a_ceiling_names_its_reason_in_the_settings_and_in_the_pure_core() -> None:
    ceilings = [item for item in params_of(RiskLimits) if item.spec.why]
    assert {item.name for item in ceilings} == {"risk_per_trade", "max_leverage"}
    for item in ceilings:
        above = item.spec.le + _STEP[item.type]  # type: ignore[operator]
        with pytest.raises(pydantic.ValidationError, match=item.spec.why):
            RiskSettings(**{item.name: above})
        with pytest.raises(ValueError, match=item.spec.why):
            RiskLimits(**{item.name: above})


def test_there_is_one_registry_of_strategy_kinds() -> None:
    assert list(STRATEGY_PARAMS) == list(STRATEGIES) == list(STRATEGY_MODELS)
    for name, kind in STRATEGIES.items():
        assert STRATEGY_MODELS[name].model_fields["params"].annotation is STRATEGY_PARAMS[name]
        assert STRATEGY_PARAMS[name].__name__ == kind.params.__name__


def test_no_params_model_is_written_by_hand() -> None:
    assert set(_subclasses(StrategyParams)) == set(STRATEGY_PARAMS.values())


def test_no_other_settings_table_takes_a_risk_limit_or_strategy_param_name() -> None:
    names = set(RiskLimits.field_names())
    derived = {RiskSettings, *STRATEGY_PARAMS.values()}
    tables = _tables(Settings)
    assert derived <= set(tables)  # the walk reaches them, so it reaches every other table too
    for model in tables:
        if model not in derived:
            assert not names & set(model.model_fields), model.__name__


def test_no_settings_class_declares_a_limit_or_param_by_hand() -> None:
    declared = {item.name for table, _ in TABLES for item in params_of(table)}
    for path in sorted((REPO / "bot" / "settings").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                written = {
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                }
                assert not written & declared, f"{path.name}: {node.name} declares {written & declared}"


def test_each_description_is_written_once_in_the_source() -> None:
    constants = [
        node.value
        for package in ("bot", "risk", "strategies")
        for path in sorted((REPO / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    for declared, _, item in PARAMS:
        assert constants.count(item.spec.description) == 1, (declared.__name__, item.name)


@pytest.mark.parametrize("package", ["risk", "strategies"])
def test_the_pure_core_imports_neither_pydantic_nor_the_settings(package: str) -> None:
    for path in sorted((REPO / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert not module.startswith(("pydantic", "bot.app.settings")), f"{path}: imports {module}"


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def _tables(model: type[pydantic.BaseModel]) -> list[type[pydantic.BaseModel]]:
    """``model`` and every settings table below it (strategy union members included)."""
    found = [model]
    for field in model.model_fields.values():
        for candidate in _models_in(field.annotation):
            if candidate not in found:
                found += [table for table in _tables(candidate) if table not in found]
    return found


def _models_in(annotation: Any) -> list[type[pydantic.BaseModel]]:
    target = unwrap(annotation)
    if is_model(target):
        return [target]
    return [model for arg in typing.get_args(target) for model in _models_in(arg)]
