"""RiskPositionSizer: a stop-out loses at most risk_per_trade of equity, fees and slippage included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain import Verdict
from risk.sizing import RiskPositionSizer, worst_case_loss_per_unit
from tests.risk.risk_builders import context, entry, exit_, position, rules

ONE_PERCENT = RiskPositionSizer(Decimal("0.01"), Decimal("0.0005"))


def test_sizing_one_percent_of_ten_thousand_with_a_five_percent_stop() -> None:
    # Worked example from the risk.sizing docstring: budget 100 USDT, fee 0.1 %, slippage 0.05 %.
    # per-unit loss = 100 x 1.0005 x 1.001 - 95 x 0.9995 x 0.999 = 5.2925025; 100 / 5.2925025 = 18.8946...
    outcome = ONE_PERCENT.check(entry("100", "95"), context("10000", market=rules(step="0.001", fee="0.001")))

    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "sized")
    assert outcome.quantity == Decimal("18.894")
    assert worst_case_loss_per_unit(
        Decimal(100), Decimal(95), Decimal("0.001"), Decimal("0.0005")
    ) == Decimal("5.2925025")
    assert outcome.detail.startswith("risk 100.00 USDT = 1% of 10000; per-unit loss 5.2925025")
    assert outcome.quantity * Decimal("5.2925025") <= Decimal(100)


def test_a_size_below_the_minimum_notional_is_denied_with_the_numbers() -> None:
    outcome = ONE_PERCENT.check(entry("100", "95"), context("10", market=rules(min_notional="10")))

    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "below_min_notional")
    assert "0.018 x 100 = 1.8 USDT < min notional 10" in outcome.detail


def test_a_size_that_rounds_to_zero_is_denied() -> None:
    outcome = ONE_PERCENT.check(entry("100", "95"), context("10", market=rules(step="1", min_notional="0")))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "below_min_notional")


def test_a_size_below_the_minimum_quantity_is_denied() -> None:
    outcome = ONE_PERCENT.check(entry("100", "95"), context("10000", market=rules(min_quantity="20")))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "below_min_quantity")


def test_a_strategy_may_ask_for_less_than_the_risk_budget_but_never_more() -> None:
    market = context("10000")
    assert ONE_PERCENT.check(entry("100", "95", quantity="5"), market).quantity == Decimal("5")
    assert ONE_PERCENT.check(entry("100", "95", quantity="50"), market).quantity == Decimal("18.894")


def test_an_entry_without_a_stop_cannot_be_sized() -> None:
    assert ONE_PERCENT.check(entry(stop=None), context()).reason == "no_stop"


def test_no_equity_means_no_entry() -> None:
    assert ONE_PERCENT.check(entry(), context("0")).reason == "no_equity"


def test_an_exit_is_capped_at_the_position_and_rounded_down_to_the_step() -> None:
    outcome = ONE_PERCENT.check(exit_("5"), context(held=position("1.23456")))
    assert (outcome.verdict, outcome.quantity) == (Verdict.APPROVED, Decimal("1.234"))


def test_an_exit_without_a_quantity_sells_the_whole_position() -> None:
    assert ONE_PERCENT.check(exit_(None), context(held=position("0.5"))).quantity == Decimal("0.5")


def test_an_exit_without_a_position_is_denied() -> None:
    assert ONE_PERCENT.check(exit_("1"), context()).reason == "no_position"


@pytest.mark.parametrize("risk", ["0", "-0.01", "0.0201", "0.05"])
def test_risk_per_trade_outside_zero_to_two_percent_is_rejected(risk: str) -> None:
    with pytest.raises(ValueError, match=r"risk_per_trade=.*allowed"):
        RiskPositionSizer(Decimal(risk), Decimal(0))


def test_two_percent_is_the_largest_risk_per_trade_allowed() -> None:
    assert RiskPositionSizer(Decimal("0.02"), Decimal(0)).risk_per_trade == Decimal("0.02")
