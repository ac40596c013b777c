"""MandatoryStopGuard: every entry carries a stop below its price, not too far away; exits always pass."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import OrderType, Verdict
from risk.stop_guard import MandatoryStopGuard
from tests.risk.risk_builders import context, entry, exit_, position

GUARD = MandatoryStopGuard(Decimal("0.10"))


def test_entry_without_stop_is_denied() -> None:
    outcome = GUARD.check(entry(stop=None), context())
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "no_stop")


def test_entry_with_a_zero_stop_is_denied() -> None:
    assert GUARD.check(entry(stop="0"), context()).reason == "no_stop"


@pytest.mark.parametrize("stop", ["100", "101"])
def test_a_stop_at_or_above_the_entry_is_denied(stop: str) -> None:
    outcome = GUARD.check(entry("100", stop), context())
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "stop_not_below_entry")


def test_a_stop_further_than_the_maximum_distance_is_denied() -> None:
    outcome = GUARD.check(entry("100", "89.99"), context())
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "stop_too_far")
    assert "10.01%" in outcome.detail


def test_a_stop_exactly_at_the_maximum_distance_is_approved() -> None:
    assert GUARD.check(entry("100", "90"), context()).verdict is Verdict.APPROVED


def test_a_market_entry_is_measured_from_its_reference_price() -> None:
    assert GUARD.check(entry("100", "95", order_type=OrderType.MARKET), context()).verdict is Verdict.APPROVED
    assert GUARD.check(entry("100", "85", order_type=OrderType.MARKET), context()).reason == "stop_too_far"


def test_exits_always_pass_even_without_a_stop() -> None:
    outcome = GUARD.check(exit_("1"), context(held=position("1")))
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")


@pytest.mark.parametrize("distance", ["0", "1", "-0.1"])
def test_a_maximum_distance_outside_zero_to_one_is_rejected(distance: str) -> None:
    with pytest.raises(ValueError, match="max_stop_distance"):
        MandatoryStopGuard(Decimal(distance))
