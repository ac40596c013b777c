"""SpotBalanceGuard: never spend more quote than is free, never sell more than is held, send valid numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import OrderType, Side, Verdict
from risk.balance_guard import SpotBalanceGuard
from tests.risk.risk_builders import context, entry, exit_, position, rules

GUARD = SpotBalanceGuard()


def test_an_entry_that_fits_the_free_quote_is_approved() -> None:
    outcome = GUARD.check(entry("100", quantity="10"), context(free_quote="1001"))  # 10 x 100 x 1.001
    assert (outcome.verdict, outcome.quantity) == (Verdict.APPROVED, None)


def test_an_entry_costing_more_than_the_free_quote_is_resized_down_to_the_step() -> None:
    outcome = GUARD.check(entry("100", quantity="10"), context(free_quote="500"))

    assert (outcome.verdict, outcome.reason) == (Verdict.RESIZED, "fit_to_free_quote")
    assert outcome.quantity == Decimal("4.995")  # 500 / 100.1 = 4.99500499...
    assert outcome.quantity * Decimal("100.1") <= Decimal(500)


def test_an_entry_that_would_fit_only_below_the_minimum_notional_is_denied() -> None:
    outcome = GUARD.check(
        entry("100", quantity="10"),
        context(free_quote="4"),
    )
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "insufficient_quote_balance")


def test_an_entry_with_no_free_quote_is_denied() -> None:
    assert GUARD.check(entry(quantity="1"), context(free_quote="0")).reason == "insufficient_quote_balance"


def test_a_market_buy_counts_the_slippage_allowance_in_its_cost() -> None:
    guard = SpotBalanceGuard(market_slippage=Decimal("0.01"))
    market_buy = entry("100", quantity="10", order_type=OrderType.MARKET)
    outcome = guard.check(market_buy, context(free_quote="1001"))
    assert outcome.verdict is Verdict.RESIZED and outcome.quantity == Decimal("9.9")  # 1001 / 101.101


@pytest.mark.parametrize(("price", "stop"), [("100.005", "95"), ("100", "95.001")])
def test_a_price_off_the_tick_is_denied(price: str, stop: str) -> None:
    outcome = GUARD.check(entry(price, stop, quantity="1"), context())
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "invalid_precision")


def test_a_quantity_off_the_step_is_denied() -> None:
    outcome = GUARD.check(entry(quantity="1.0005"), context())
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "invalid_precision")


def test_an_entry_below_the_minimum_notional_is_denied() -> None:
    outcome = GUARD.check(entry("100", quantity="0.04"), context(market=rules(min_notional="5")))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "below_min_notional")
    assert "0.04 x 100 = 4" in outcome.detail


def test_an_unsized_entry_is_denied() -> None:
    assert GUARD.check(entry(), context()).reason == "unsized"


def test_spot_never_sells_short() -> None:
    outcome = GUARD.check(entry(quantity="1", side=Side.SELL), context())
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "spot_entry_must_buy")


def test_an_exit_larger_than_the_position_is_resized_down_to_it() -> None:
    outcome = GUARD.check(exit_("3"), context(held=position("2")))
    assert (outcome.verdict, outcome.reason, outcome.quantity) == (
        Verdict.RESIZED,
        "capped_to_position",
        Decimal("2"),
    )


def test_an_exit_needs_no_free_quote() -> None:
    outcome = GUARD.check(exit_("1"), context(equity="0", free_quote="0", held=position("1")))
    assert outcome.verdict is Verdict.APPROVED


def test_an_exit_without_a_position_is_denied() -> None:
    assert GUARD.check(exit_("1"), context()).reason == "no_position"


def test_a_dust_position_below_the_minimum_notional_cannot_be_sold() -> None:
    outcome = GUARD.check(exit_("0.01"), context(held=position("0.01")))  # 1 USDT < 5
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "below_min_notional")
