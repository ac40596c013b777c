"""Per-asset concentration resizes entries down to fit; the number of open positions is capped."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from bot.domain import Position, Verdict
from risk.concentration import ConcentrationGuard, MaxOpenPositionsGuard
from tests.risk.risk_builders import NOW, SYMBOL, context, entry, exit_, position, resting_buy


def other(symbol: str) -> Position:
    return Position(symbol, Decimal("1"), Decimal("10"), NOW)


def test_an_entry_over_a_quarter_of_equity_is_resized_down_to_fit() -> None:
    # equity 10000, cap 2500; held 10 @ 110 (last price) = 1100; resting buy 2 @ 100 = 200; room 1200 -> 12
    ctx = dataclasses.replace(
        context("10000", held=position("10", "100")),
        prices={SYMBOL: Decimal("110")},
        open_orders=(resting_buy("2", "100"),),
    )
    outcome = ConcentrationGuard(Decimal("0.25")).check(entry("100", quantity="18.894"), ctx)
    assert (outcome.verdict, outcome.reason, outcome.quantity) == (
        Verdict.RESIZED,
        "fit_to_asset_concentration",
        Decimal("12"),
    )
    assert outcome.detail.startswith("BTC/USDT exposure 1300.00 + order 1889.40 > cap 2500.00")


def test_a_position_without_a_last_price_counts_at_its_average_price() -> None:
    ctx = context("10000", held=position("20", "100"))  # 2000 held, room 500 -> 5
    outcome = ConcentrationGuard(Decimal("0.25")).check(entry("100", quantity="10"), ctx)
    assert outcome.quantity == Decimal("5")


def test_other_symbols_do_not_count_toward_an_assets_concentration() -> None:
    ctx = dataclasses.replace(
        context("10000"), positions={"ETH/USDT": Position("ETH/USDT", Decimal(1), Decimal(5000), NOW)}
    )
    assert ConcentrationGuard(Decimal("0.25")).check(entry(quantity="25"), ctx).verdict is Verdict.APPROVED


def test_an_entry_on_a_full_asset_is_denied() -> None:
    ctx = context("10000", held=position("25", "100"))
    outcome = ConcentrationGuard(Decimal("0.25")).check(entry("100", quantity="1"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "asset_concentration_cap")


def test_an_exit_passes_even_when_the_asset_is_over_its_cap() -> None:
    ctx = context("100", held=position("50", "100"))
    outcome = ConcentrationGuard(Decimal("0.01")).check(exit_("50"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")


def test_a_new_symbol_is_denied_when_positions_and_resting_buys_fill_every_slot() -> None:
    ctx = dataclasses.replace(
        context(),
        positions={"ETH/USDT": other("ETH/USDT"), "SOL/USDT": other("SOL/USDT")},
        open_orders=(resting_buy(symbol="ADA/USDT"),),
    )
    outcome = MaxOpenPositionsGuard(3).check(entry(quantity="1"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "max_open_positions")
    assert outcome.detail == "3 symbols held or being bought (ADA/USDT, ETH/USDT, SOL/USDT); max 3"
    assert MaxOpenPositionsGuard(4).check(entry(quantity="1"), ctx).verdict is Verdict.APPROVED


def test_adding_to_a_held_symbol_does_not_need_a_new_slot() -> None:
    ctx = dataclasses.replace(context(held=position("1")), open_orders=(resting_buy(symbol="ETH/USDT"),))
    assert MaxOpenPositionsGuard(1).check(entry(quantity="1"), ctx).verdict is Verdict.APPROVED


def test_filled_resting_buys_and_empty_positions_do_not_take_a_slot() -> None:
    ctx = dataclasses.replace(
        context(),
        positions={"ETH/USDT": Position("ETH/USDT", Decimal(0), Decimal(10), NOW)},
        open_orders=(resting_buy(symbol="ADA/USDT", quantity="1", filled="1"),),
    )
    assert MaxOpenPositionsGuard(1).check(entry(quantity="1"), ctx).verdict is Verdict.APPROVED


def test_an_exit_passes_when_every_slot_is_taken() -> None:
    ctx = dataclasses.replace(
        context(held=position("1")), positions={SYMBOL: position("1"), "ETH/USDT": other("ETH/USDT")}
    )
    outcome = MaxOpenPositionsGuard(1).check(exit_("1"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")
