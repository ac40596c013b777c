"""The CVaR cap (``[risk] max_cvar``): an entry is approved, resized to the largest size whose 1-day
historical 95 % CVaR fits, or denied, each decision with its figures; checked against the portfolio's
worst outcomes summed and averaged by hand. Exits always pass; what cannot be measured is not bought."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from bot.domain import Verdict
from risk.portfolio_guards import CvarGuard, current_figures
from tests.portfolio_risk.builders import SPEC, context, entry, exit_, history
from tests.portfolio_risk.real_candles import (
    PER_DAY,
    aligned_closes,
    historical_by_hand,
    one_day_returns_by_hand,
    parametric_by_hand,
)

RNG = np.random.default_rng(5)
A = RNG.normal(0.0, 0.05, size=200).tolist()
B = [0.8 * a + e for a, e in zip(A, RNG.normal(0.0, 0.02, size=200).tolist(), strict=True)]
RETURNS = {"A/BTC": A, "B/BTC": B}


def cvar_by_hand(values: dict[str, float], returns: dict[str, list[float]], equity: float = 1.0) -> float:
    """The mean of the worst 5 % of the portfolio's outcomes, replayed outcome by outcome."""
    size = len(next(iter(returns.values())))
    outcomes = [sum(v * returns[s][t] for s, v in values.items()) / equity for t in range(size)]
    return historical_by_hand(outcomes, 0.95)[1]


def test_an_entry_within_max_cvar_is_approved_with_its_figures_in_the_detail():
    ctx = context("B/BTC", {"A/BTC": "0.1"}, history(RETURNS))
    outcome = CvarGuard(Decimal("0.05"), SPEC).check(entry("B/BTC", "0.05"), ctx)
    with_it = cvar_by_hand({"A/BTC": 0.1, "B/BTC": 0.05}, RETURNS)
    without = cvar_by_hand({"A/BTC": 0.1}, RETURNS)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "ok")
    assert (
        f"with this entry {with_it * 100:.3f} % of equity, {without * 100:.3f} % without it" in outcome.detail
    )
    assert "1-day CVaR 95 % (historical, 200 one-day returns over 4d)" in outcome.detail
    assert "max_cvar 5.000 %" in outcome.detail


def test_an_entry_above_max_cvar_is_resized_to_the_largest_size_that_fits():
    ctx = context("B/BTC", {"A/BTC": "0.1"}, history(RETURNS))
    cap = 0.02
    outcome = CvarGuard(Decimal(str(cap)), SPEC).check(entry("B/BTC", "0.5"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.RESIZED, "fit_to_cvar_limit")
    fitted = outcome.quantity
    assert fitted is not None and fitted == fitted.quantize(Decimal("0.001"))  # on the lot step
    assert cvar_by_hand({"A/BTC": 0.1, "B/BTC": float(fitted)}, RETURNS) <= cap
    assert cvar_by_hand({"A/BTC": 0.1, "B/BTC": float(fitted) + 0.001}, RETURNS) > cap  # one step more: over
    assert f"resized to {fitted}" in outcome.detail


def test_the_largest_size_is_found_even_when_the_entry_first_lowers_the_portfolio_cvar():
    """A coin moving against what is held: CVaR falls with the first units, then rises (not monotone).
    The guard's answer is the largest size found by trying every lot by hand."""
    hedge = {"A/BTC": A, "H/BTC": [-a + 0.01 * (i % 3 - 1) for i, a in enumerate(A)]}
    ctx = context("H/BTC", {"A/BTC": "0.3"}, history(hedge), step="0.01")
    cap = cvar_by_hand({"A/BTC": 0.3}, hedge)  # exactly what is held now: any fitting size lies below 2x
    assert cvar_by_hand({"A/BTC": 0.3, "H/BTC": 0.15}, hedge) < cap  # the first units hedge
    outcome = CvarGuard(Decimal(repr(cap)), SPEC).check(entry("H/BTC", "2"), ctx)
    by_hand = max(
        q / 100 for q in range(0, 201) if cvar_by_hand({"A/BTC": 0.3, "H/BTC": q / 100}, hedge) <= cap
    )
    assert outcome.verdict is Verdict.RESIZED and outcome.quantity == Decimal(str(by_hand))
    assert 0.5 < by_hand < 0.7  # about twice the holding: past the hedge, back at the same risk


def test_an_entry_is_denied_while_the_portfolio_is_already_above_max_cvar():
    ctx = context("B/BTC", {"A/BTC": "0.5"}, history(RETURNS))
    outcome = CvarGuard(Decimal("0.02"), SPEC).check(entry("B/BTC", "0.1"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "cvar_limit")
    without = cvar_by_hand({"A/BTC": 0.5}, RETURNS)
    assert f"{without * 100:.3f} % without it" in outcome.detail and "already above the cap" in outcome.detail


def test_what_fits_below_the_exchange_minimum_is_denied():
    ctx = context("B/BTC", {"A/BTC": "0.1"}, history(RETURNS), min_notional="0.1")
    cap = cvar_by_hand({"A/BTC": 0.1, "B/BTC": 0.05}, RETURNS)  # room for about 0.05 BTC, minimum 0.1
    outcome = CvarGuard(Decimal(repr(cap)), SPEC).check(entry("B/BTC", "0.5"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "cvar_limit")
    assert "below the exchange minimums" in outcome.detail


def test_a_symbol_without_enough_history_is_not_bought():
    short = history({"A/BTC": A}, short={"B/BTC": 12}, needed=576)
    outcome = CvarGuard(Decimal("0.05"), SPEC).check(entry("B/BTC", "0.1"), context("B/BTC", {}, short))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "cvar_no_history")
    assert outcome.detail == "B/BTC has 12 of the 576 one-day returns needed"


def test_a_held_symbol_without_history_blocks_entries_too():
    short = history({"B/BTC": B}, short={"A/BTC": 0}, needed=576)
    outcome = CvarGuard(Decimal("0.05"), SPEC).check(
        entry("B/BTC", "0.1"), context("B/BTC", {"A/BTC": "1"}, short)
    )
    assert (outcome.verdict, outcome.reason, outcome.detail) == (
        Verdict.DENIED, "cvar_no_history", "A/BTC has 0 of the 576 one-day returns needed"
    )  # fmt: skip


def test_candles_that_could_not_be_read_deny_with_the_reason():
    unread = replace(history({}), note="returns not read (RetryLater: busy)")
    outcome = CvarGuard(Decimal("0.05"), SPEC).check(entry("B/BTC", "0.1"), context("B/BTC", {}, unread))
    assert (outcome.verdict, outcome.reason, outcome.detail) == (
        Verdict.DENIED, "cvar_no_history", "returns not read (RetryLater: busy)"
    )  # fmt: skip
    nothing = CvarGuard(Decimal("0.05"), SPEC).check(entry("B/BTC", "0.1"), context("B/BTC", {}, None))
    assert (nothing.reason, nothing.detail) == ("cvar_no_history", "no returns computed")


def test_exits_always_pass_even_without_any_history():
    outcome = CvarGuard(Decimal("0.0001"), SPEC).check(
        exit_("A/BTC", "0.5"), context("A/BTC", {"A/BTC": "0.5"}, None)
    )
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")


def test_on_the_real_candles_the_guard_reports_the_portfolio_cvar_computed_by_hand(shared_data: Path):
    """30 % of equity in ETH/BTC held, LTC/BTC bought for 20 %: the 20 days' one-day windows."""
    closes = aligned_closes(shared_data, ("ETH", "LTC"))
    returns = {f"{b}/BTC": one_day_returns_by_hand(c) for b, c in closes.items()}
    assert len(returns["ETH/BTC"]) == 5760 - PER_DAY
    ctx = context("LTC/BTC", {"ETH/BTC": "0.3"}, history(returns))
    outcome = CvarGuard(Decimal("0.05"), SPEC).check(entry("LTC/BTC", "0.2"), ctx)
    with_it = cvar_by_hand({"ETH/BTC": 0.3, "LTC/BTC": 0.2}, returns)
    assert outcome.verdict is Verdict.APPROVED
    assert round(with_it, 4) == 0.0304  # 3.04 % of equity on a bad day (the mean of the worst 5 %)
    assert f"with this entry {with_it * 100:.3f} %" in outcome.detail


def test_the_held_portfolios_figures_are_its_worst_outcomes_and_its_normal_tail():
    """What the status shows: the portfolio held now (no entry), both methods at both levels."""
    ctx = context("B/BTC", {"A/BTC": "0.2", "B/BTC": "0.1"}, history(RETURNS), prices={"B/BTC": "2"})
    figures = current_figures(ctx)
    outcomes = [0.2 * a + 0.2 * b for a, b in zip(A, B, strict=True)]  # B: 0.1 at 2 = 0.2 of equity 1
    assert figures is not None and figures.samples == 200
    assert figures.historical_95 == pytest.approx(historical_by_hand(outcomes, 0.95))
    assert figures.historical_99 == pytest.approx(historical_by_hand(outcomes, 0.99))
    assert figures.parametric_95 == pytest.approx(parametric_by_hand(outcomes, 0.95), rel=1e-5)
    assert figures.parametric_99 == pytest.approx(parametric_by_hand(outcomes, 0.99), rel=1e-5)
    flat = current_figures(context("B/BTC", {}, history(RETURNS)))
    assert flat is not None and flat.historical_95 == (0.0, 0.0)  # nothing held, nothing at risk
    assert current_figures(context("B/BTC", {"C/BTC": "1"}, history(RETURNS, short={"C/BTC": 1}))) is None
