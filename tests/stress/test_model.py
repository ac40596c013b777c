"""Each built-in scenario on a hand-made portfolio, against losses worked out by hand.

The portfolio (USDT): cash 5000; A/USDT 10 at 100 with a stop at 95 for all 10; B/USDT 100 at 20 with a
stop at 18 for all 100; C/USDT 50 at 2 without a stop. Equity 5000 + 1000 + 2000 + 100 = 8100, the
day started at 8200, the peak was 8500. Limits: daily loss 3 %, drawdown 10 %; the sizer's slippage
allowance 0.1 %, taker fee 0.1 %.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import numpy as np
import pytest

from bot.app.stress.candles import Closes
from bot.app.stress.model import ScenarioResult, stress
from bot.app.stress.portfolio import Holding, Portfolio, Stop
from bot.app.stress.scenarios import Scenario, load_scenarios

AT = datetime(2024, 3, 1, tzinfo=UTC)
HOUR_MS = 3_600_000
PORTFOLIO = Portfolio(
    source="hand-made",
    run_id=1,
    at=AT,
    quote="USDT",
    cash=D(5000),
    equity=D(8100),
    peak_equity=D(8500),
    day_start_equity=D(8200),
    holdings=(
        Holding("A/USDT", D(10), D(90), D(100), Stop(D(95), D(10))),
        Holding("B/USDT", D(100), D(21), D(20), Stop(D(18), D(100))),
        Holding("C/USDT", D(50), D(2), D(2)),
    ),
    daily_loss_limit=D("0.03"),
    max_drawdown=D("0.10"),
    slippage=D("0.001"),
    taker_fee=D("0.001"),
)
BUILTIN = {s.name: s for s in load_scenarios(None).scenarios}


def run(name: str, closes: dict[str, Closes] | None = None, reference: str | None = None) -> ScenarioResult:
    return stress(PORTFOLIO, BUILTIN[name], reference, closes or {})


def by_symbol(result: ScenarioResult) -> dict[str, D]:
    return {h.holding.symbol: h.loss_with_stops for h in result.holdings}


def hourly(symbol: str, prices: list[float]) -> Closes:
    times = np.array([i * HOUR_MS for i in range(len(prices))], dtype=np.int64)
    return Closes(symbol, times, np.array(prices, dtype=np.float64))


# a stop sells its quantity at price x (1 - slippage), paying the taker fee on what it gets
A_STOPPED = 10 * (100 - D("94.905")) + 10 * D("94.905") * D("0.001")  # 95 x 0.999 = 94.905
B_STOPPED = 100 * (20 - D("17.982")) + 100 * D("17.982") * D("0.001")  # 18 x 0.999 = 17.982


def test_all_holdings_down_20_percent_stop_a_and_b_at_their_stops_and_c_loses_the_full_move() -> None:
    result = run("all-20")
    assert result.loss_without_stops == 10 * 20 + 100 * 4 + 50 * D("0.4") == 620
    assert by_symbol(result) == {"A/USDT": A_STOPPED, "B/USDT": B_STOPPED, "C/USDT": D(20)}
    assert result.loss_with_stops == D("51.89905") + D("203.5982") + 20 == D("275.49725")
    assert result.of_equity(result.loss_with_stops) == pytest.approx(275.49725 / 8100)


def test_all_holdings_down_20_percent_trip_the_daily_loss_breaker_but_not_the_drawdown_one() -> None:
    daily, drawdown = run("all-20").breakers
    after = 8100 - D("275.49725")
    assert (daily.name, daily.limit, daily.breached) == ("daily_loss", D("0.03"), True)
    assert float(daily.figure) == pytest.approx(float((8200 - after) / 8200))  # 4.58 %
    assert (drawdown.name, drawdown.limit, drawdown.breached) == ("max_drawdown", D("0.10"), False)
    assert float(drawdown.figure) == pytest.approx(float((8500 - after) / 8500))  # 8.88 %


def test_a_40_percent_fall_loses_twice_as_much_without_stops_and_the_same_with_them() -> None:
    result = run("all-40")
    assert result.loss_without_stops == 10 * 40 + 100 * 8 + 50 * D("0.8") == 1240
    assert by_symbol(result) == {"A/USDT": A_STOPPED, "B/USDT": B_STOPPED, "C/USDT": D(40)}


def test_a_gap_through_the_stops_sells_at_the_shocked_price_and_breaches_the_drawdown() -> None:
    result = run("gap-20")
    a = 10 * (100 - D("79.92")) + 10 * D("79.92") * D("0.001")  # 80 x 0.999
    b = 100 * (20 - D("15.984")) + 100 * D("15.984") * D("0.001")  # 16 x 0.999
    assert by_symbol(result) == {"A/USDT": a, "B/USDT": b, "C/USDT": D(20)}
    assert result.loss_with_stops == D("201.5992") + D("403.1984") + 20 == D("624.7976")
    assert [h.stop_outcome for h in result.holdings] == ["gapped through", "gapped through", "no stop"]
    assert [b.breached for b in result.breakers] == [True, True]  # (8500 - 7475.2) / 8500 = 12.06 %


def test_half_the_depth_doubles_the_stops_slippage() -> None:
    result = run("half-depth-20")
    a = 10 * (100 - D("94.81")) + 10 * D("94.81") * D("0.001")  # 95 x (1 - 0.001 / 0.5)
    b = 100 * (20 - D("17.964")) + 100 * D("17.964") * D("0.001")  # 18 x 0.998
    assert by_symbol(result) == {"A/USDT": a, "B/USDT": b, "C/USDT": D(20)}


def test_six_hours_of_outage_move_each_holding_by_its_worst_six_hours_and_stops_fill_after() -> None:
    closes = {
        "A/USDT": hourly("A/USDT", [100, 104, 100, 96, 94, 92, 90, 91, 88.4, 95]),  # worst: 104 -> 91
        "B/USDT": hourly("B/USDT", [20, 20, 19.5, 19.4, 19.6, 19.8, 19, 20, 20, 20]),  # worst: 20 -> 19
        "C/USDT": hourly("C/USDT", [2, 2, 2, 2, 2, 2, 2, 2, 2, 2.2]),  # never falls over 6 h
    }
    result = run("venue-down-6h", closes)
    moves = {h.holding.symbol: h.move.fraction for h in result.holdings}
    assert moves == pytest.approx({"A/USDT": -0.125, "B/USDT": -0.05, "C/USDT": 0.0})
    a_price = D("87.5")  # -12.5 %: through the stop at 95, sold after the outage
    a = 10 * (100 - a_price * D("0.999")) + 10 * a_price * D("0.999") * D("0.001")
    losses = by_symbol(result)
    assert (losses["A/USDT"], losses["C/USDT"]) == (a, 0)
    assert float(losses["B/USDT"]) == pytest.approx(100 * 20 * 0.05)  # 19 stays above the stop at 18
    assert [h.stop_outcome for h in result.holdings] == ["gapped through", "not reached", "no stop"]


def test_a_btc_shock_moves_each_holding_by_its_beta_to_the_reference() -> None:
    reference = [100.0, 102.0, 99.0, 101.0, 98.0, 100.0]
    r = np.diff(reference) / reference[:-1]

    def with_beta(b: float, start: float) -> list[float]:
        return list(start * np.cumprod(np.concatenate([[1.0], 1 + b * r])))

    closes = {
        "BTC/USDT": hourly("BTC/USDT", reference),
        "A/USDT": hourly("A/USDT", with_beta(2.0, 100)),
        "B/USDT": hourly("B/USDT", with_beta(0.25, 20)),
        "C/USDT": hourly("C/USDT", with_beta(-1.0, 2)),
    }
    result = run("btc-20", closes, "BTC/USDT")
    moves = {h.holding.symbol: h.move.fraction for h in result.holdings}
    assert moves == pytest.approx({"A/USDT": -0.40, "B/USDT": -0.05, "C/USDT": 0.20}, rel=1e-9)
    losses = by_symbol(result)
    assert losses["A/USDT"] == A_STOPPED  # 60 is through the stop at 95: sold at the stop
    assert float(losses["B/USDT"]) == pytest.approx(100 * 20 * 0.05)  # 19 is above the stop at 18
    assert float(losses["C/USDT"]) == pytest.approx(-50 * 2 * 0.20)  # a negative beta gains


def test_a_shock_without_the_references_candles_is_skipped_with_the_reason() -> None:
    result = run("btc-20", {"A/USDT": hourly("A/USDT", [1, 2, 3])}, "BTC/USDT")
    assert result.skipped == "no candles for the reference BTC/USDT (give its file with --data)"
    assert result.holdings == ()


def test_explicit_moves_win_over_the_uniform_one_for_the_symbols_they_name() -> None:
    scenario = Scenario(name="mixed", move=-0.1, moves={"A/USDT": -0.02})
    result = stress(PORTFOLIO, scenario, None, {})
    assert {h.holding.symbol: h.move.fraction for h in result.holdings} == {
        "A/USDT": -0.02, "B/USDT": -0.1, "C/USDT": -0.1}  # fmt: skip
    assert by_symbol(result)["A/USDT"] == 10 * 2  # 98 stays above the stop at 95
