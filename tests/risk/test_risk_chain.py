"""The chain's own rules: order, first denial stops, resize down only, errors become denials."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from bot.domain import OrderIntent, RiskContext, Verdict
from risk.balance_guard import SpotBalanceGuard
from risk.base import GuardOutcome
from risk.chain import CHAIN, RiskChain
from risk.exposure_guard import GrossExposureGuard
from risk.factory import build_chain, default_chain
from risk.limits import RiskLimits
from risk.sizing import RiskPositionSizer
from risk.stop_guard import MandatoryStopGuard
from risk.trading_state_guard import TradingStateGuard
from tests.risk.risk_builders import NOW, context, entry, exit_, position, rules


@dataclass
class FakeGuard:
    """Answers with a fixed outcome (or raises) and remembers the quantities it was shown."""

    name: str
    outcome: GuardOutcome = field(default_factory=GuardOutcome.approve)
    error: Exception | None = None
    seen: list[Decimal | None] = field(default_factory=list)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        self.seen.append(intent.quantity)
        if self.error is not None:
            raise self.error
        return self.outcome


def sized(quantity: str) -> FakeGuard:
    return FakeGuard("sizer", GuardOutcome(Verdict.APPROVED, "sized", Decimal(quantity)))


def test_guard_error_becomes_a_denial() -> None:
    after = FakeGuard("after")
    chain = RiskChain([sized("2"), FakeGuard("broken", error=ZeroDivisionError("division by zero")), after])

    result = chain.evaluate(entry(), context())

    assert result.intent is None
    assert [d.guard for d in result.decisions] == ["sizer", "broken"]
    denial = result.decisions[-1]
    assert (denial.verdict, denial.reason) == (Verdict.DENIED, "guard_error")
    assert denial.detail == "ZeroDivisionError: division by zero"
    assert denial.quantity_before == Decimal("2") and denial.quantity_after is None
    assert after.seen == []


def test_chain_stops_at_first_denial() -> None:
    later = FakeGuard("later")
    chain = RiskChain([sized("1"), FakeGuard("no", GuardOutcome.deny("nope", "because")), later])

    result = chain.evaluate(entry(), context())

    assert result.intent is None
    assert [(d.guard, d.verdict, d.reason) for d in result.decisions] == [
        ("sizer", Verdict.APPROVED, "sized"),
        ("no", Verdict.DENIED, "nope"),
    ]
    assert result.denial is result.decisions[-1]
    assert later.seen == []


def test_resize_up_is_refused() -> None:
    chain = RiskChain([sized("1"), FakeGuard("greedy", GuardOutcome.resize(Decimal("1.5"), "more"))])

    result = chain.evaluate(entry(), context())

    assert result.intent is None
    denial = result.decisions[-1]
    assert (denial.guard, denial.verdict, denial.reason) == (
        "greedy",
        Verdict.DENIED,
        "guard_increased_quantity",
    )
    assert "1.5" in denial.detail


def test_a_resize_down_is_what_the_next_guard_sees_and_what_is_approved() -> None:
    last = FakeGuard("last")
    chain = RiskChain([sized("2"), FakeGuard("cap", GuardOutcome.resize(Decimal("0.5"), "capped")), last])

    result = chain.evaluate(entry(), context())

    assert result.intent is not None and result.intent.quantity == Decimal("0.5")
    assert last.seen == [Decimal("0.5")]
    assert [(d.verdict, d.quantity_before, d.quantity_after) for d in result.decisions] == [
        (Verdict.APPROVED, None, Decimal("2")),
        (Verdict.RESIZED, Decimal("2"), Decimal("0.5")),
        (Verdict.APPROVED, Decimal("0.5"), Decimal("0.5")),
    ]


def test_every_decision_records_the_intent_and_the_time_of_the_context() -> None:
    result = RiskChain([sized("1"), FakeGuard("ok")]).evaluate(entry(), context())
    assert {(d.intent_id, d.decided_at) for d in result.decisions} == {("entry-1", NOW)}


def test_a_smaller_quantity_under_an_approval_is_recorded_as_a_resize() -> None:
    quiet = FakeGuard("quiet", GuardOutcome(Verdict.APPROVED, "ok", Decimal("0.25")))
    result = RiskChain([quiet]).evaluate(exit_("1"), context())
    assert result.decisions[0].verdict is Verdict.RESIZED


@pytest.mark.parametrize("quantity", ["0", "-1", "NaN", "sNaN", "Infinity"])
def test_an_approval_with_a_quantity_that_is_not_positive_is_denied(quantity: str) -> None:
    guard = FakeGuard("broken", GuardOutcome.resize(Decimal(quantity), "odd"))
    result = RiskChain([guard]).evaluate(exit_("1"), context())
    assert result.intent is None and result.decisions[-1].reason == "invalid_quantity"


def test_an_intent_nobody_sized_is_not_approved() -> None:
    result = RiskChain([FakeGuard("ok")]).evaluate(entry(), context())
    assert result.intent is None
    assert (result.decisions[-1].guard, result.decisions[-1].reason) == (CHAIN, "unsized")


def test_rules_for_another_symbol_are_denied_before_any_guard_runs() -> None:
    guard = FakeGuard("any")
    result = RiskChain([guard]).evaluate(entry(), context(market=rules(symbol="ETH/USDT")))
    assert result.intent is None and result.decisions[-1].reason == "rules_symbol_mismatch"
    assert guard.seen == []


ORDER = (
    "trading_state",
    "daily_loss",
    "drawdown",
    "loss_streak",
    "trades_per_day",
    "symbol_cooldown",
    "stale_data",
    "price_band",
    "mandatory_stop",
    "position_sizer",
    "volatility_target",
    "max_notional",
    "gross_exposure",
    "concentration",
    "max_open_positions",
    "spot_balance",
)


def test_the_chain_runs_state_breakers_sanity_stop_sizing_caps_then_balance_last() -> None:
    chain = build_chain(RiskLimits())
    assert chain.guard_names == ORDER
    assert isinstance(chain.guards[0], TradingStateGuard)
    assert [type(g) for g in chain.guards[8:10]] == [MandatoryStopGuard, RiskPositionSizer]
    assert isinstance(chain.guards[12], GrossExposureGuard)
    assert isinstance(chain.guards[-1], SpotBalanceGuard)


def test_the_default_chain_is_build_chain_with_the_given_values() -> None:
    chain = default_chain(Decimal("0.01"), Decimal("0.1"), Decimal("0.0005"), Decimal("0.5"))
    assert chain.guard_names == ORDER
    sizer, exposure = chain.guards[9], chain.guards[12]
    assert isinstance(sizer, RiskPositionSizer) and isinstance(exposure, GrossExposureGuard)
    assert (sizer.risk_per_trade, sizer.slippage_allowance) == (Decimal("0.01"), Decimal("0.0005"))
    assert exposure.max_leverage == Decimal("0.5")


def test_the_default_chain_approves_a_sized_entry_end_to_end() -> None:
    chain = default_chain(Decimal("0.01"), Decimal("0.1"), Decimal("0.0005"))

    result = chain.evaluate(entry("100", "95"), context("10000"))

    assert result.intent is not None and result.intent.quantity == Decimal("18.894")
    assert [d.guard for d in result.decisions] == list(ORDER)
    assert all(d.verdict is Verdict.APPROVED for d in result.decisions)


def test_the_default_chain_lets_an_exit_through_with_no_quote_at_all() -> None:
    chain = default_chain(Decimal("0.01"), Decimal("0.1"), Decimal("0.0005"))
    result = chain.evaluate(exit_(None), context("0", free_quote="0", held=position("0.5")))
    assert result.intent is not None and result.intent.quantity == Decimal("0.5")


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("0.03", "0.1", "0"), "risk_per_trade"),
        (("0.01", "0", "0"), "max_stop_distance"),
        (("0.01", "0.1", "-0.001"), "slippage_allowance"),
    ],
)
def test_the_default_chain_rejects_bad_settings_naming_them(args: tuple[str, str, str], name: str) -> None:
    risk, distance, slippage = (Decimal(a) for a in args)
    with pytest.raises(ValueError, match=name):
        default_chain(risk, distance, slippage)
