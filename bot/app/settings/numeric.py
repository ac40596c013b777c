"""Numeric settings types: a number is a number (never ``true``/``false``), finite, and within what the bot
can carry (the audit DB stores ``Numeric(38, 18)``: 20 integer digits, 18 decimals).

Every numeric field of every settings table uses one of these, so each rule is written once:
:data:`IntSetting`, :data:`FloatSetting`, :data:`DecimalSetting`, and on top of them :data:`Amount` (money
in quote or base units), :data:`Increment` (a tick or lot step) and :data:`Price`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field

from bot.app.settings.errors import allowed_error
from bot.domain import MAX_PRICE, MIN_PRICE

MAX_AMOUNT = Decimal("999999999999999")
"""10^15 − 1: the audit DB carries 20 integer digits; the other five are room for gains and sums."""
MIN_INCREMENT = Decimal("1E-18")
"""The audit DB keeps 18 decimals: a finer tick or lot step would be stored as another number."""
NUMBER_ALLOWED = "a number, not true or false"

_Value = TypeVar("_Value", int, float, Decimal)


def _not_a_bool(value: Any) -> Any:
    """TOML's and JSON's true/false are not numbers (pydantic's lax mode would read true as 1)."""
    if isinstance(value, bool):
        raise allowed_error(NUMBER_ALLOWED)
    return value


def between(low: _Value, high: _Value, allowed: str) -> AfterValidator:
    """``low <= value <= high``, else the error says ``allowed`` (a range with its reason)."""

    def check(value: _Value) -> _Value:
        if not low <= value <= high:
            raise allowed_error(allowed)
        return value

    return AfterValidator(check)


_NUMBER = BeforeValidator(_not_a_bool)

IntSetting = Annotated[int, _NUMBER]
# allow_inf_nan before the validator: after it, a bound such as le=300 would judge NaN first
FloatSetting = Annotated[float, Field(allow_inf_nan=False), _NUMBER]
DecimalSetting = Annotated[Decimal, _NUMBER]  # pydantic refuses NaN and infinities for Decimal itself

Amount = Annotated[
    DecimalSetting,
    between(
        Decimal(0),
        MAX_AMOUNT,
        f"from 0 to {MAX_AMOUNT} (the audit DB carries 20 integer digits; the rest is room for gains)",
    ),
]
MIN_NOTIONAL = Decimal("0.00000001")
"""Lot steps are derived from a tenth of the minimum notional's worth: below one satoshi's they outgrow
Decimal's 28 digits (every sizing would fail)."""
MinNotional = Annotated[
    DecimalSetting,
    between(MIN_NOTIONAL, MAX_AMOUNT, f"from {MIN_NOTIONAL:f} to {MAX_AMOUNT} (quote units per order)"),
]
Increment = Annotated[
    DecimalSetting,
    between(
        MIN_INCREMENT,
        Decimal(repr(MAX_PRICE)),
        f"from {MIN_INCREMENT} (the audit DB keeps 18 decimals) to {MAX_PRICE:g}",
    ),
]
Price = Annotated[
    FloatSetting,
    between(
        MIN_PRICE,
        MAX_PRICE,
        f"a price from {MIN_PRICE:g} to {MAX_PRICE:g} (what a tick and the audit DB can carry)",
    ),
]
