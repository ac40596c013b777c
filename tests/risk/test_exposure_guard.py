"""Gross exposure cap: holdings plus resting buys plus the new entry stay within max_leverage x equity."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Order, OrderPurpose, OrderType, Side, Verdict
from risk.exposure_guard import GrossExposureGuard, gross_exposure
from tests.risk.risk_builders import NOW, SYMBOL, context, entry, exit_, position


def test_an_entry_within_the_cap_is_approved() -> None:
    outcome = GrossExposureGuard(Decimal("0.5")).check(entry(quantity="40"), context(equity="10000"))
    assert outcome.verdict is Verdict.APPROVED  # 4000 <= 5000


def test_an_entry_over_the_cap_is_resized_down_to_fit() -> None:
    ctx = replace(context(equity="10000", held=position("20", "100")), prices={SYMBOL: Decimal(100)})
    outcome = GrossExposureGuard(Decimal("0.5")).check(entry(quantity="40"), ctx)
    assert outcome.verdict is Verdict.RESIZED and outcome.reason == "fit_to_gross_exposure"
    assert outcome.quantity == Decimal(30)  # 2000 held + 3000 new = the 5000 cap


def test_resting_entry_buys_count_towards_exposure() -> None:
    resting = Order(
        "c1",
        "i0",
        SYMBOL,
        Side.BUY,
        OrderType.LIMIT,
        OrderPurpose.ENTRY,
        Decimal(50),
        NOW,
        price=Decimal(100),
    )
    ctx = replace(context(equity="10000"), open_orders=(resting,))
    outcome = GrossExposureGuard(Decimal("0.5")).check(entry(quantity="10"), ctx)
    assert outcome.verdict is Verdict.DENIED and outcome.reason == "gross_exposure_cap"


def test_exits_always_pass_even_above_the_cap() -> None:
    ctx = context(equity="1000", held=position("50", "100"))
    assert GrossExposureGuard(Decimal("0.1")).check(exit_("50"), ctx).verdict is Verdict.APPROVED


@pytest.mark.parametrize("bad", ["0", "1.01", "2", "-0.5"])
def test_leverage_above_one_or_not_positive_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="spot never borrows"):
        GrossExposureGuard(Decimal(bad))


@given(
    equity=st.decimals(min_value=100, max_value=1_000_000, places=2),
    leverage=st.decimals(min_value="0.05", max_value=1, places=2),
    held_qty=st.decimals(min_value=0, max_value=500, places=3),
    price=st.decimals(min_value=1, max_value=5000, places=2),
    wanted=st.decimals(min_value="0.001", max_value=10_000, places=3),
)
def test_no_approved_entry_takes_gross_exposure_over_the_cap(
    equity: Decimal, leverage: Decimal, held_qty: Decimal, price: Decimal, wanted: Decimal
) -> None:
    held = position(held_qty, price) if held_qty > 0 else None
    ctx = replace(context(equity=equity, held=held), prices={SYMBOL: price})
    intent = entry(price=price, stop=price * Decimal("0.95"), quantity=wanted)
    outcome = GrossExposureGuard(leverage).check(intent, ctx)
    if outcome.verdict is Verdict.DENIED:
        return
    quantity = outcome.quantity if outcome.quantity is not None else wanted
    assert quantity <= wanted
    assert gross_exposure(ctx) + quantity * price <= equity * leverage
