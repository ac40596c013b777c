"""The search space: every ``[strategies.search]`` range of a config, as Optuna distributions.

A dimension is named ``<strategy name>.<param>`` (strategy names are unique), e.g. ``ma_cross.fast``.
Int params stay ints, float params floats (optionally on a ``step`` grid or a log scale); a
``choices`` list is categorical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import BaseTrial

from bot.app.settings import Settings
from bot.app.settings.search import SearchRange


class SearchSpaceError(ValueError):
    """The config declares nothing to search."""


@dataclass(frozen=True, slots=True)
class Dimension:
    strategy: str
    param: str
    distribution: BaseDistribution
    current: Any  # the config's own value: the baseline trial

    @property
    def name(self) -> str:
        return f"{self.strategy}.{self.param}"


def _distribution(rng: SearchRange, current: Any) -> BaseDistribution:
    if rng.choices is not None:
        return CategoricalDistribution(rng.choices)
    assert rng.low is not None and rng.high is not None  # validated by the settings
    if isinstance(current, int) and not isinstance(current, bool):
        int_step = int(rng.step) if rng.step is not None else 1
        return IntDistribution(int(rng.low), int(rng.high), log=rng.log, step=int_step)
    float_step = float(rng.step) if rng.step is not None else None
    return FloatDistribution(float(rng.low), float(rng.high), log=rng.log, step=float_step)


def search_space(settings: Settings) -> list[Dimension]:
    """Every search range of every strategy, in config order."""
    dimensions = [
        Dimension(
            strategy.name,
            param,
            _distribution(rng, getattr(strategy.params, param)),
            getattr(strategy.params, param),
        )
        for strategy in settings.strategies
        for param, rng in strategy.search.items()
    ]
    if not dimensions:
        raise SearchSpaceError(
            "nothing to optimize: add search ranges next to a strategy's params, e.g. "
            "[strategies.search] fast = {low = 5, high = 50}"
        )
    return dimensions


def _suggest_one(trial: BaseTrial, name: str, dist: BaseDistribution) -> Any:
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, dist.choices)


def suggest(trial: BaseTrial, dimensions: list[Dimension]) -> dict[str, Any]:
    """The trial's value of every dimension, by dimension name."""
    return {d.name: _suggest_one(trial, d.name, d.distribution) for d in dimensions}


def baseline(dimensions: list[Dimension]) -> dict[str, Any]:
    """The config's own values: enqueued as a new study's first trial."""
    return {d.name: d.current for d in dimensions}


def describe(dimensions: list[Dimension]) -> dict[str, str]:
    """Each dimension's distribution as text (part of the study's setup fingerprint)."""
    return {d.name: repr(d.distribution) for d in dimensions}


def strategy_params(values: dict[str, Any], dimensions: list[Dimension]) -> dict[str, dict[str, Any]]:
    """``{"ma_cross.fast": 7}`` -> ``{"ma_cross": {"fast": 7}}``."""
    by_strategy: dict[str, dict[str, Any]] = {}
    for d in dimensions:
        if d.name in values:
            by_strategy.setdefault(d.strategy, {})[d.param] = values[d.name]
    return by_strategy
