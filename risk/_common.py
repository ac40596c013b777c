"""Small helpers the guards share: which price an intent trades at, and how numbers read in details."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext

from bot.domain import MarketRules, OrderIntent, Position, RiskContext

# Money arithmetic in the guards runs at this many significant digits, so products of exchange-sized
# numbers are exact and comparisons against budgets and balances are never fooled by rounding.
PRECISION = 60


def intended_price(intent: OrderIntent) -> Decimal:
    """The price the intent trades at: its limit price, else (market orders) the reference price."""
    return intent.limit_price if intent.limit_price is not None else intent.reference_price


def open_position(intent: OrderIntent, ctx: RiskContext) -> Position | None:
    """The open long position in the intent's symbol, if any (a zero quantity counts as none)."""
    position = ctx.positions.get(intent.symbol)
    return position if position is not None and position.quantity > 0 else None


def fmt(value: Decimal, places: int | None = None) -> str:
    """A Decimal for a human-readable detail: fixed point, never ``1E+1``; optionally to ``places``."""
    if places is not None:
        with localcontext(prec=100):
            value = value.quantize(Decimal(1).scaleb(-places))
    text = f"{value:f}"
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def floor_to_step(quantity: Decimal, rules: MarketRules) -> Decimal:
    """Round a quantity down to the lot step, exactly (the division itself rounds toward zero)."""
    with localcontext(prec=PRECISION, rounding=ROUND_FLOOR):
        return rules.round_quantity(quantity)
