"""Stale data, the price band and the notional cap stop fat-finger entries; exits always pass."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain import OrderType, RiskContext, Verdict
from risk.base import RiskGuard
from risk.sanity import MaxNotionalGuard, PriceBandGuard, StaleDataGuard
from tests.risk.risk_builders import NOW, context, entry, exit_, position, rules


def hourly(candle_age: timedelta | None) -> RiskContext:
    ctx = context(held=position("1"))
    close = None if candle_age is None else NOW - candle_age
    return dataclasses.replace(ctx, last_candle_close=close, timeframe_seconds=3600)


def test_an_entry_on_a_candle_older_than_two_timeframes_is_denied() -> None:
    outcome = StaleDataGuard(2).check(entry(), hourly(timedelta(hours=2, seconds=1)))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "stale_market_data")
    assert "7201s ago; allowed 7200s" in outcome.detail


def test_an_entry_on_a_candle_exactly_two_timeframes_old_is_approved() -> None:
    outcome = StaleDataGuard(2).check(entry(), hourly(timedelta(hours=2)))
    assert outcome.verdict is Verdict.APPROVED


def test_an_entry_with_no_candle_known_is_denied_as_stale() -> None:
    outcome = StaleDataGuard(2).check(entry(), hourly(None))
    assert outcome.reason == "stale_market_data"


def test_staleness_is_not_checked_when_the_timeframe_is_unknown() -> None:
    assert StaleDataGuard(2).check(entry(), context()).verdict is Verdict.APPROVED


def test_a_limit_entry_three_percent_above_the_last_price_is_outside_a_two_percent_band() -> None:
    outcome = PriceBandGuard(Decimal("0.02")).check(entry("103", "98"), context(last_price="100"))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "price_outside_band")
    assert outcome.detail == "price 103 is 3.00% from last 100; allowed 98..102 (+-2%)"


def test_entries_at_the_edges_of_the_band_are_approved() -> None:
    guard = PriceBandGuard(Decimal("0.02"))
    assert guard.check(entry("102", "97"), context(last_price="100")).verdict is Verdict.APPROVED
    assert guard.check(entry("98", "94"), context(last_price="100")).verdict is Verdict.APPROVED


def test_a_market_entry_is_banded_by_its_reference_price() -> None:
    intent = entry("90", "85", order_type=OrderType.MARKET)
    outcome = PriceBandGuard(Decimal("0.02")).check(intent, context(last_price="100"))
    assert outcome.reason == "price_outside_band"


def test_an_entry_with_no_last_price_is_denied() -> None:
    outcome = PriceBandGuard(Decimal("0.02")).check(entry(), context(last_price="0"))
    assert outcome.reason == "no_last_price"


def test_an_order_over_max_notional_is_resized_down_to_the_step() -> None:
    outcome = MaxNotionalGuard(Decimal("1000")).check(entry("100", quantity="18.894"), context())
    assert (outcome.verdict, outcome.reason, outcome.quantity) == (
        Verdict.RESIZED,
        "fit_to_max_notional",
        Decimal("10"),
    )
    assert outcome.detail == "18.894 x 100 = 1889.40 > max 1000"


def test_an_order_within_max_notional_is_approved_and_no_cap_approves_anything() -> None:
    assert (
        MaxNotionalGuard(Decimal("1000")).check(entry(quantity="10"), context()).verdict is Verdict.APPROVED
    )
    assert MaxNotionalGuard(None).check(entry(quantity="1000000"), context()).verdict is Verdict.APPROVED


def test_an_order_whose_capped_size_is_below_min_notional_is_denied() -> None:
    ctx = context(market=rules(min_notional="10", step="1"))
    outcome = MaxNotionalGuard(Decimal("9")).check(entry("100", quantity="5"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "below_min_notional")


@pytest.mark.parametrize(
    "guard", [StaleDataGuard(1), PriceBandGuard(Decimal("0.01")), MaxNotionalGuard(Decimal("1"))]
)
def test_exits_pass_even_on_stale_data_a_gapped_price_and_a_tiny_notional_cap(guard: RiskGuard) -> None:
    ctx = dataclasses.replace(
        context(held=position("50"), last_price="50"), last_candle_close=None, timeframe_seconds=60
    )
    outcome = guard.check(exit_("50", price="100", order_type=OrderType.LIMIT), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: StaleDataGuard(0), "stale_after_candles"),
        (lambda: PriceBandGuard(Decimal(0)), "price_band"),
        (lambda: MaxNotionalGuard(Decimal(-1)), "max_order_notional"),
    ],
)
def test_sanity_guards_reject_bad_limits_naming_them(make: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make()
