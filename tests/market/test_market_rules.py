"""Market rules derived from a typical price; explicit overrides win."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.adapters.market import derive_rules, split_symbol


@pytest.mark.parametrize(
    ("price", "min_notional", "tick", "step"),
    [
        (40_000.0, Decimal(10), Decimal("0.1"), Decimal("0.00001")),
        (2_500.0, Decimal(10), Decimal("0.01"), Decimal("0.0001")),
        (0.0984, Decimal("0.0001"), Decimal("1E-7"), Decimal("0.0001")),
        (99_999.0, Decimal(10), Decimal("0.1"), Decimal("0.00001")),
        (100_000.0, Decimal(10), Decimal(1), Decimal("0.00001")),
    ],
)
def test_tick_and_step_follow_the_documented_rule(
    price: float, min_notional: Decimal, tick: Decimal, step: Decimal
) -> None:
    rules = derive_rules("X/Y", price, min_notional=min_notional)
    assert rules.tick_size == tick
    assert rules.step_size == step
    assert rules.min_quantity == step
    assert rules.tick_size <= Decimal(str(price)) * Decimal("1e-5") < rules.tick_size * 10
    assert rules.step_size * Decimal(str(price)) <= min_notional / 10


def test_fees_and_min_notional_come_from_the_caller() -> None:
    rules = derive_rules(
        "BTC/USDT",
        40_000.0,
        min_notional=Decimal(5),
        maker_fee=Decimal("0.0002"),
        taker_fee=Decimal("0.0004"),
    )
    assert (rules.base, rules.quote) == ("BTC", "USDT")
    assert (rules.min_notional, rules.maker_fee, rules.taker_fee) == (
        Decimal(5),
        Decimal("0.0002"),
        Decimal("0.0004"),
    )
    default = derive_rules("BTC/USDT", 40_000.0, min_notional=Decimal(5))
    assert default.maker_fee == default.taker_fee == Decimal("0.001")


def test_overrides_win() -> None:
    rules = derive_rules(
        "BTC/USDT",
        40_000.0,
        min_notional=Decimal(10),
        overrides={"tick_size": Decimal("0.01"), "step_size": "0.001", "min_quantity": Decimal("0.002")},
    )
    assert (rules.tick_size, rules.step_size, rules.min_quantity) == (
        Decimal("0.01"),
        Decimal("0.001"),
        Decimal("0.002"),
    )


def test_unknown_override_key_is_an_error_naming_it_and_the_allowed_keys() -> None:
    with pytest.raises(ValueError, match=r"unknown market rule 'tick'; allowed: tick_size, step_size"):
        derive_rules("BTC/USDT", 40_000.0, min_notional=Decimal(10), overrides={"tick": Decimal(1)})


@pytest.mark.parametrize("bad", ["BTCUSDT", "/USDT", "BTC/", "A/B/C"])
def test_symbols_must_be_base_slash_quote(bad: str) -> None:
    with pytest.raises(ValueError, match="must look like BASE/QUOTE"):
        split_symbol(bad)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="min_notional must be > 0"):
        derive_rules("BTC/USDT", 1.0, min_notional=Decimal(0))
    with pytest.raises(ValueError, match="typical price must be a positive number"):
        derive_rules("BTC/USDT", 0.0, min_notional=Decimal(1))
    with pytest.raises(ValueError, match="taker_fee must be a fraction"):
        derive_rules("BTC/USDT", 1.0, min_notional=Decimal(1), taker_fee=Decimal(1))
