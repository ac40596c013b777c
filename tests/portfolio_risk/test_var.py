"""Historical and parametric VaR/CVaR, of one series and of a portfolio, checked against figures computed
by hand: the worst outcomes sorted and averaged in Python, the normal tail integrated numerically, on
hand-made series and on the shared real candles (1-day windows of 5-minute closes)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from risk.var import (
    RiskFigures,
    candles_per_day,
    historical_var_cvar,
    one_day_returns,
    parametric_var_cvar,
    portfolio_returns,
    portfolio_var_cvar,
    tail_count,
)
from tests.portfolio_risk.real_candles import (
    ALTS,
    PER_DAY,
    closes_by_open_time,
    historical_by_hand,
    one_day_returns_by_hand,
    parametric_by_hand,
)


def test_historical_figures_of_a_hundred_outcomes_are_the_fifth_worst_loss_and_the_mean_of_the_five():
    returns = [i / 1000 for i in range(-50, 50)]  # -5.0 % ... +4.9 %, shuffled below
    shuffled = list(np.random.default_rng(7).permutation(returns))
    var, cvar = historical_var_cvar(shuffled, 0.95)
    assert var == pytest.approx(0.046)  # losses 5.0, 4.9, 4.8, 4.7, 4.6 %
    assert cvar == pytest.approx((0.050 + 0.049 + 0.048 + 0.047 + 0.046) / 5)
    var99, cvar99 = historical_var_cvar(shuffled, 0.99)
    assert var99 == cvar99 == pytest.approx(0.050)  # the one worst outcome


def test_the_tail_holds_at_least_one_outcome_and_is_rounded_up():
    assert tail_count(100, 0.95) == 5  # not 6 from 100 * 0.050000000000000044
    assert tail_count(101, 0.95) == 6
    assert tail_count(10, 0.99) == 1


def test_a_tail_of_gains_is_a_negative_loss_not_zero():
    var, cvar = historical_var_cvar([0.01, 0.02, 0.03], 0.95)
    assert var == cvar == pytest.approx(-0.01)


def test_a_flat_curve_risks_nothing_and_says_zero_not_minus_zero():
    var, cvar = historical_var_cvar([0.0] * 95 + [0.001] * 5, 0.95)
    assert (f"{var:.2%}", f"{cvar:.2%}") == ("0.00%", "0.00%")  # as a report prints them


def test_parametric_figures_match_the_normal_formula_with_a_numerically_integrated_tail():
    rng = np.random.default_rng(3)
    returns = list(rng.normal(0.001, 0.02, size=500))
    for level in (0.95, 0.99):
        var, cvar = parametric_var_cvar(returns, level)
        expected_var, expected_cvar = parametric_by_hand(returns, level)
        assert var == pytest.approx(expected_var, rel=1e-6)
        assert cvar == pytest.approx(expected_cvar, rel=1e-5)
        assert cvar > var


def test_standard_normal_constants():
    """A series with mean 0 and sample std 1: VaR is z, CVaR phi(z) / (1 - level) (tabulated values)."""
    series = np.array([-1.0, 1.0]) / math.sqrt(2)  # mean 0, sample std 1
    assert parametric_var_cvar(series, 0.95) == pytest.approx((1.6448536, 2.0627128), rel=1e-6)
    assert parametric_var_cvar(series, 0.99) == pytest.approx((2.3263479, 2.6652142), rel=1e-6)


@pytest.mark.parametrize("bad", [[], [float("nan"), 0.01], [[0.01, 0.02]]])
def test_unusable_returns_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="returns"):
        historical_var_cvar(bad, 0.95)


@pytest.mark.parametrize("level", [0, 1, 95, -0.5])
def test_a_level_outside_zero_to_one_is_refused_by_name(level):
    with pytest.raises(ValueError, match="level: strictly between 0 and 1"):
        historical_var_cvar([0.01, -0.02], level)


def test_candles_per_day_by_timeframe():
    assert candles_per_day(300_000) == PER_DAY
    assert candles_per_day(3_600_000) == 24
    assert candles_per_day(86_400_000) == 1
    assert candles_per_day(7 * 86_400_000) == 1  # longer than a day: one-candle figures
    with pytest.raises(ValueError, match="divides a day"):
        candles_per_day(7 * 60_000)


@pytest.mark.parametrize("base", ALTS)
def test_one_day_figures_of_each_real_pair_match_a_computation_by_hand(shared_data: Path, base: str):
    closes = [close for _, close in sorted(closes_by_open_time(shared_data, base).items())]
    by_hand = one_day_returns_by_hand(closes)
    returns = one_day_returns(closes, PER_DAY)
    assert returns.tolist() == pytest.approx(by_hand, rel=1e-12)
    assert len(returns) == len(closes) - PER_DAY  # 5472 returns from 20 days of 5-minute candles
    for level in (0.95, 0.99):
        assert historical_var_cvar(returns, level) == pytest.approx(historical_by_hand(by_hand, level))
        assert parametric_var_cvar(returns, level) == pytest.approx(
            parametric_by_hand(by_hand, level), rel=1e-5
        )


@pytest.mark.parametrize(
    ("base", "expected"),
    [("ETH", (5.63, 7.50)), ("LTC", (4.03, 5.54)), ("ETC", (9.55, 12.60)), ("XLM", (10.62, 14.19))],
)
def test_measured_one_day_figures_of_each_pair(shared_data: Path, base: str, expected: tuple[float, float]):
    """The figures the README quotes: each pair over the 20 days, 1-day historical 95 % VaR / CVaR, in %."""
    closes = [close for _, close in sorted(closes_by_open_time(shared_data, base).items())]
    var, cvar = historical_var_cvar(one_day_returns(closes, PER_DAY), 0.95)
    assert (round(var * 100, 2), round(cvar * 100, 2)) == expected


def test_portfolio_returns_weigh_each_asset_by_its_value_over_equity(shared_data: Path):
    """30 % of equity in ETH, 20 % in LTC, the rest in BTC: replayed candle by candle in a loop."""
    eth = [c for _, c in sorted(closes_by_open_time(shared_data, "ETH").items())]
    ltc = [c for _, c in sorted(closes_by_open_time(shared_data, "LTC").items())]
    eth_r, ltc_r = one_day_returns_by_hand(eth), one_day_returns_by_hand(ltc)
    by_hand = [(3.0 * e + 2.0 * lt) / 10.0 for e, lt in zip(eth_r, ltc_r, strict=True)]
    returns = {"ETH/BTC": one_day_returns(eth, PER_DAY), "LTC/BTC": one_day_returns(ltc, PER_DAY)}
    holdings = {"ETH/BTC": 3.0, "LTC/BTC": 2.0}
    assert portfolio_returns(returns, holdings, 10.0).tolist() == pytest.approx(by_hand, rel=1e-12)
    for level in (0.95, 0.99):
        assert portfolio_var_cvar(returns, holdings, 10.0, level) == pytest.approx(
            historical_by_hand(by_hand, level)
        )
        assert portfolio_var_cvar(returns, holdings, 10.0, level, parametric=True) == pytest.approx(
            parametric_by_hand(by_hand, level), rel=1e-5
        )


def test_diversification_the_portfolio_cvar_is_at_most_the_sum_of_its_parts(shared_data: Path):
    series = {}
    for base in ALTS[:2]:
        closes = [c for _, c in sorted(closes_by_open_time(shared_data, base).items())]
        series[base] = one_day_returns(closes, PER_DAY)
    together = portfolio_var_cvar(series, {"ETH": 1.0, "LTC": 1.0}, 4.0, 0.95).cvar
    apart = sum(portfolio_var_cvar({b: s}, {b: 1.0}, 4.0, 0.95).cvar for b, s in series.items())
    assert together <= apart  # CVaR is subadditive (a coherent measure)


def test_portfolio_inputs_that_cannot_be_replayed_are_refused():
    with pytest.raises(ValueError, match="no series for the holdings ETH"):
        portfolio_returns({}, {"ETH": 1.0}, 10.0)
    with pytest.raises(ValueError, match="one length"):
        portfolio_returns({"A": [0.1, 0.2], "B": [0.1]}, {"A": 1.0, "B": 1.0}, 10.0)
    with pytest.raises(ValueError, match="equity: above zero"):
        portfolio_returns({"A": [0.1]}, {"A": 1.0}, 0.0)


def test_the_figures_summary_holds_both_methods_at_both_levels():
    returns = list(np.random.default_rng(11).normal(0, 0.03, size=400))
    figures = RiskFigures.of(returns)
    assert figures.historical_95 == pytest.approx(historical_by_hand(returns, 0.95))
    assert figures.historical_99 == pytest.approx(historical_by_hand(returns, 0.99))
    assert figures.parametric_99 == pytest.approx(parametric_by_hand(returns, 0.99), rel=1e-5)
    assert figures.samples == 400
    assert figures.as_dict()["historical_95_cvar"] == round(historical_by_hand(returns, 0.95)[1], 6)
