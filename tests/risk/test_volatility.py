"""Volatility targeting: volatility doubled -> size halved; never scaled up; exits pass."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

import numpy as np

from bot.domain import Verdict
from risk.volatility import VolatilityScaler, volatility_ratio
from tests.risk.risk_builders import context, entry, exit_, position


def test_when_volatility_doubles_the_size_is_halved() -> None:
    ctx = replace(context(), volatility_ratio=Decimal(2))
    outcome = VolatilityScaler(enabled=True).check(entry(quantity="10"), ctx)
    assert outcome.verdict is Verdict.RESIZED and outcome.reason == "volatility_scaled"
    assert outcome.quantity == Decimal(5)


def test_a_calm_market_never_scales_the_size_up() -> None:
    ctx = replace(context(), volatility_ratio=Decimal("0.5"))
    assert VolatilityScaler(enabled=True).check(entry(quantity="10"), ctx).verdict is Verdict.APPROVED


def test_switched_off_it_changes_nothing() -> None:
    ctx = replace(context(), volatility_ratio=Decimal(3))
    assert VolatilityScaler(enabled=False).check(entry(quantity="10"), ctx).verdict is Verdict.APPROVED


def test_exits_pass_whatever_the_volatility() -> None:
    ctx = replace(context(held=position("1")), volatility_ratio=Decimal(10))
    assert VolatilityScaler(enabled=True).check(exit_("1"), ctx).verdict is Verdict.APPROVED


def test_the_ratio_is_recent_over_usual_volatility() -> None:
    rng = np.random.default_rng(1)
    calm = rng.normal(0, 0.001, 100)
    wild = rng.normal(0, 0.004, 20)
    closes = 100 * np.exp(np.cumsum(np.concatenate([calm, wild])))
    ratio = volatility_ratio(list(closes))
    assert ratio is not None and ratio > 1.5
    assert volatility_ratio([100.0] * 10) is None  # too little history
    steady = [100 * math.exp(0.001 * i) for i in range(100)]
    assert volatility_ratio(steady) is None  # no movement around the trend: nothing to compare
