"""Clusters of assets that move as one: correlations checked against Pearson's formula summed by hand,
single linkage on hand-made series, the clusters of the four real BTC pairs over several lookbacks, and
the cluster cap (``[risk] max_cluster_fraction``) resizing or denying with the members in its detail."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from bot.domain import Verdict
from risk.clusters import cluster_of, clusters, correlations
from risk.portfolio_guards import ClusterGuard
from tests.portfolio_risk.builders import SPEC, context, entry, exit_, history
from tests.portfolio_risk.real_candles import (
    ALTS,
    PER_DAY,
    aligned_closes,
    one_day_returns_by_hand,
    pearson_by_hand,
)

RNG = np.random.default_rng(9)
BASE = RNG.normal(0, 0.03, size=300).tolist()
NOISE = [RNG.normal(0, 0.03, size=300).tolist() for _ in range(3)]
# A and B move together (about 0.95), B and C less so but still linked (about 0.85 at 0.8), A and C
# below 0.8: single linkage puts all three in one cluster; D moves on its own.
A = BASE
B = [b + 0.3 * n for b, n in zip(BASE, NOISE[0], strict=True)]
C = [b + 0.45 * n + 0.45 * m for b, n, m in zip(B, NOISE[1], NOISE[0], strict=True)]
D = NOISE[2]
SERIES = {"A/BTC": A, "B/BTC": B, "C/BTC": C, "D/BTC": D}


def test_correlations_match_pearsons_formula_summed_by_hand():
    found = correlations(SERIES)
    for (a, b), corr in found.items():
        assert a < b and corr == pytest.approx(pearson_by_hand(SERIES[a], SERIES[b]), abs=1e-12)
    assert len(found) == 6


def test_single_linkage_joins_two_coins_through_a_third():
    corr = correlations(SERIES)
    assert corr[("A/BTC", "B/BTC")] > 0.8 and corr[("B/BTC", "C/BTC")] > 0.8
    assert corr[("A/BTC", "C/BTC")] < 0.8  # not linked directly
    assert clusters(SERIES, 0.8) == [frozenset({"A/BTC", "B/BTC", "C/BTC"}), frozenset({"D/BTC"})]
    found = cluster_of("C/BTC", SERIES, 0.8)
    assert found.members == ("C/BTC", "A/BTC", "B/BTC")
    assert set(found.links) == {("A/BTC", "B/BTC"), ("B/BTC", "C/BTC")}  # the links that join them


def test_a_series_that_does_not_move_links_to_nothing():
    flat = {"A/BTC": A, "F/BTC": [0.0] * len(A)}
    assert correlations(flat) == {}
    assert clusters(flat, 0.0) == [frozenset({"A/BTC"}), frozenset({"F/BTC"})]


def test_a_symbol_without_returns_is_a_cluster_of_its_own():
    assert cluster_of("N/BTC", SERIES, 0.8).members == ("N/BTC",)


@pytest.mark.parametrize(
    ("days", "threshold", "expected"),
    [
        # the whole 20 days: ETH, LTC and ETC correlate 0.61 to 0.70, XLM 0.15 to 0.30 with them
        (None, 0.5, [{"ETC", "ETH", "LTC"}, {"XLM"}]),
        (None, 0.8, [{"ETC"}, {"ETH"}, {"LTC"}, {"XLM"}]),
        # the last 4 days: ETH and ETC move as one (0.81)
        (4, 0.8, [{"ETC", "ETH"}, {"LTC"}, {"XLM"}]),
        # the last 14 days: XLM joins through ETC (0.55) and LTC (0.53)
        (14, 0.5, [{"ETC", "ETH", "LTC", "XLM"}]),
    ],
)
def test_clusters_of_the_real_pairs_over_a_lookback(shared_data: Path, days, threshold, expected):
    closes = aligned_closes(shared_data)
    returns = {b: one_day_returns_by_hand(c) for b, c in closes.items()}
    if days is not None:
        returns = {b: r[-days * PER_DAY :] for b, r in returns.items()}
    found = correlations(returns)
    for a, b in found:
        assert found[(a, b)] == pytest.approx(pearson_by_hand(returns[a], returns[b]), abs=1e-9)
    assert [set(c) for c in clusters(returns, threshold)] == expected
    assert set(ALTS) == set(returns)


# --- the cluster cap -----------------------------------------------------------------------------

LINKED = history(SERIES)


def test_an_entry_in_a_cluster_is_resized_to_what_the_cluster_has_left():
    """A and B held at 0.2 each: their cluster (with C) may hold 0.5 of equity, so C may add 0.1."""
    ctx = context("C/BTC", {"A/BTC": "0.2", "B/BTC": "0.2"}, LINKED)
    outcome = ClusterGuard(Decimal("0.5"), Decimal("0.8"), SPEC).check(entry("C/BTC", "0.3"), ctx)
    assert (outcome.verdict, outcome.reason, outcome.quantity) == (
        Verdict.RESIZED, "fit_to_cluster_limit", Decimal("0.1")
    )  # fmt: skip
    corr = correlations(SERIES)
    assert outcome.detail.startswith(
        f"cluster C/BTC, A/BTC, B/BTC (A/BTC~B/BTC {corr[('A/BTC', 'B/BTC')]:.2f}, "
        f"B/BTC~C/BTC {corr[('B/BTC', 'C/BTC')]:.2f}) (correlation > 0.8 over 4d): "
        "exposure 0.40000000 + order 0.30000000, cap 0.50000000"
    )


def test_a_full_cluster_denies_the_entry():
    ctx = context("B/BTC", {"A/BTC": "0.3", "C/BTC": "0.2"}, LINKED)
    outcome = ClusterGuard(Decimal("0.5"), Decimal("0.8"), SPEC).check(entry("B/BTC", "0.1"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "cluster_limit")


def test_an_entry_outside_the_cluster_counts_alone():
    ctx = context("D/BTC", {"A/BTC": "0.3", "B/BTC": "0.2"}, LINKED)
    outcome = ClusterGuard(Decimal("0.5"), Decimal("0.8"), SPEC).check(entry("D/BTC", "0.3"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "ok")
    assert outcome.detail.startswith("cluster D/BTC (correlation > 0.8 over 4d): exposure 0.00000000 + order")


def test_the_cluster_is_valued_at_the_last_prices():
    ctx = context("B/BTC", {"A/BTC": "0.2"}, LINKED, prices={"A/BTC": "2"})  # A doubled: 0.4 at market
    outcome = ClusterGuard(Decimal("0.5"), Decimal("0.8"), SPEC).check(entry("B/BTC", "0.3"), ctx)
    assert (outcome.verdict, outcome.quantity) == (Verdict.RESIZED, Decimal("0.1"))


def test_a_symbol_with_too_little_history_is_its_own_cluster():
    short = history({s: r for s, r in SERIES.items() if s != "C/BTC"}, short={"C/BTC": 3}, needed=576)
    ctx = context("C/BTC", {"A/BTC": "0.2", "B/BTC": "0.2"}, short)
    outcome = ClusterGuard(Decimal("0.5"), Decimal("0.8"), SPEC).check(entry("C/BTC", "0.3"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "ok")
    assert "C/BTC has 3 of the 576 one-day returns needed: its own cluster" in outcome.detail


def test_exits_pass_the_cluster_cap():
    ctx = context("A/BTC", {"A/BTC": "0.9"}, LINKED)
    outcome = ClusterGuard(Decimal("0.1"), Decimal("0.8"), SPEC).check(exit_("A/BTC", "0.9"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")
