"""Prices and amounts the domain computes never carry exponent notation: 65000 is ``65000``, not ``6.5E+4``
(``normalize()``'s spelling, which ``str()`` shows as is in logs, JSON and the stored config)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.market.rules import derive_rules
from bot.domain import MarketRules, plain_decimal

RULES = MarketRules(
    symbol="BTC/USDT",
    base="BTC",
    quote="USDT",
    tick_size=Decimal("0.1"),
    step_size=Decimal("0.00001"),
    min_notional=Decimal(10),
    maker_fee=Decimal("0.001"),
    taker_fee=Decimal("0.001"),
)


def test_a_price_of_65000_rounded_to_its_tick_reads_65000() -> None:
    assert str(RULES.round_price_down(Decimal("65000.04"))) == "65000"
    assert str(RULES.round_price_up(Decimal("64999.96"))) == "65000"
    assert str(RULES.price_from_float(65000.0, is_buy=True)) == "65000"


def test_a_whole_amount_rounded_to_its_step_reads_as_a_whole_number() -> None:
    rules = derive_rules("DOGE/USDT", 0.01, min_notional=Decimal(100))  # lot step 1000

    assert str(rules.round_quantity(Decimal("1234567.8"))) == "1234000"


def test_derived_ticks_and_steps_of_ten_and_more_read_without_exponent() -> None:
    rules = derive_rules("BTC/USDT", 5_000_000.0, min_notional=Decimal(1_000_000_000))

    assert (str(rules.tick_size), str(rules.step_size)) == ("10", "10")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("6.5E+4", "65000"),
        ("65000.00", "65000"),
        ("1.50", "1.5"),
        ("0E-8", "0"),
        ("-0", "0"),
        ("0.125", "0.125"),
    ],
)
def test_plain_decimal_strips_zeros_and_exponents(value: str, shown: str) -> None:
    assert str(plain_decimal(Decimal(value))) == shown


@given(st.decimals(min_value=Decimal("1e-12"), max_value=Decimal("1e12"), allow_nan=False, places=12))
def test_plain_decimal_keeps_the_value_and_never_shows_a_positive_exponent(value: Decimal) -> None:
    plain = plain_decimal(value)

    assert plain == value
    assert "E+" not in str(plain)
