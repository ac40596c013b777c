"""The ``regime`` guard: a gated strategy's entries pass only in the regime its gate allows; exits and
ungated strategies always pass; every decision carries the regime, and a denial its reason."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.domain import OrderIntent, Regime, RiskContext, Season, Trend, Verdict
from risk.base import GuardOutcome
from risk.factory import build_chain
from risk.limits import RiskLimits
from risk.regime_guard import RegimeGate, RegimeGuard
from tests.regime.markets import spec
from tests.risk.risk_builders import NOW, context, entry, exit_

ALTS = RegimeGate(frozenset({Season.ALT_SEASON, Season.NEUTRAL}))
TREND_UP = RegimeGate(btc_trend=Trend.UP)
GUARD = RegimeGuard(spec(["ETH/BTC", "LTC/BTC", "ETC/BTC", "XLM/BTC"]), {"alts": ALTS, "up": TREND_UP})


def regime(season: Season, beating: int = 3, counted: int = 4, trend: Trend | None = Trend.UP) -> Regime:
    known = season is not Season.UNKNOWN
    return Regime(season, beating / counted if known else None, counted, beating, 4, 2, trend,
                  timedelta(days=3), NOW)  # fmt: skip


def of(strategy: str, intent: OrderIntent | None = None) -> OrderIntent:
    return dataclasses.replace(intent or entry(), strategy=strategy)


def judge(intent: OrderIntent, seen: Regime | None) -> GuardOutcome:
    ctx: RiskContext = dataclasses.replace(context(), regime=seen)
    return GUARD.check(intent, ctx)


def test_a_gated_entry_outside_its_seasons_is_denied_naming_the_regime_and_the_gate() -> None:
    outcome = judge(of("alts"), regime(Season.BTC_SEASON, beating=1))

    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "regime_not_allowed")
    assert outcome.detail == (
        "btc_season: index 0.25 (1 of 4 alts beat BTC over 3d), BTC trend up, as of 2024-01-01 12:00 UTC; "
        "the alts gate allows seasons alt_season, neutral and BTC trend any"
    )


@pytest.mark.parametrize("season", [Season.ALT_SEASON, Season.NEUTRAL])
def test_a_gated_entry_in_an_allowed_season_passes_with_the_regime_in_its_detail(season: Season) -> None:
    outcome = judge(of("alts"), regime(season))

    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "ok")
    assert outcome.detail.startswith(f"{season.value}: index ") and "the alts gate allows" in outcome.detail


def test_a_gated_entry_in_an_unknown_season_is_denied_as_unknown() -> None:
    outcome = judge(of("alts"), regime(Season.UNKNOWN, beating=0, counted=1))

    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "regime_unknown")
    assert outcome.detail.startswith("unknown: 1 of 4 alts have 3d of history (2 needed)")


def test_a_gated_entry_without_a_regime_is_denied_as_unknown() -> None:
    outcome = judge(of("alts"), None)

    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "regime_unknown")
    assert outcome.detail.startswith("no regime computed; the alts gate allows")


@pytest.mark.parametrize(
    ("trend", "verdict", "reason"),
    [
        (Trend.UP, Verdict.APPROVED, "ok"),
        (Trend.DOWN, Verdict.DENIED, "regime_not_allowed"),
        (None, Verdict.DENIED, "regime_unknown"),
    ],
)
def test_a_gate_on_btc_trend_needs_that_trend(trend: Trend | None, verdict: Verdict, reason: str) -> None:
    outcome = judge(of("up"), regime(Season.BTC_SEASON, beating=0, trend=trend))

    assert (outcome.verdict, outcome.reason) == (verdict, reason)


def test_a_gate_on_the_trend_alone_passes_in_an_unknown_season() -> None:
    outcome = judge(of("up"), regime(Season.UNKNOWN, beating=0, counted=0))

    assert outcome.verdict is Verdict.APPROVED


@pytest.mark.parametrize("seen", [regime(Season.BTC_SEASON, beating=0), regime(Season.UNKNOWN), None])
def test_exits_always_pass(seen: Regime | None) -> None:
    outcome = judge(of("alts", exit_()), seen)

    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")


def test_a_strategy_without_a_gate_is_not_affected() -> None:
    for seen in (regime(Season.BTC_SEASON, beating=0), regime(Season.UNKNOWN), None):
        outcome = judge(of("ungated"), seen)

        assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "ok")
        assert outcome.detail.startswith("no regime gate; ")


def test_the_chain_runs_the_regime_guard_right_after_the_breakers_and_records_its_denial() -> None:
    chain = build_chain(RiskLimits(), regime=GUARD)
    names = chain.guard_names
    assert names[names.index("symbol_cooldown") + 1] == "regime"
    assert names[names.index("regime") + 1] == "stale_data"
    assert "regime" not in build_chain(RiskLimits()).guard_names  # only with [regime]

    ctx = dataclasses.replace(context(), regime=regime(Season.BTC_SEASON, beating=0))
    result = chain.evaluate(of("alts"), ctx)

    denial = result.denial
    assert denial is not None and (denial.guard, denial.reason) == ("regime", "regime_not_allowed")
    assert "btc_season: index 0.00 (0 of 4 alts beat BTC over 3d)" in denial.detail
    assert [d.guard for d in result.decisions][-1] == "regime"


def test_a_gate_needs_one_or_more_known_seasons() -> None:
    with pytest.raises(ValueError, match="seasons"):
        RegimeGate(frozenset())
    with pytest.raises(ValueError, match="seasons"):
        RegimeGate(frozenset({Season.UNKNOWN}))
