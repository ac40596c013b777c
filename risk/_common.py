"""Small helpers the guards share: which price an intent trades at, exposure, and how numbers read."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext

from bot.domain import IntentKind, MarketRules, Order, OrderIntent, OrderPurpose, Position, RiskContext, Side

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


def is_exit(intent: OrderIntent) -> bool:
    """Exits always pass the guards that could trap a position (DESIGN invariant 8)."""
    return intent.kind is IntentKind.EXIT


def exposure(ctx: RiskContext, symbol: str | None = None) -> Decimal:
    """Positions at market plus what resting entry buys will add, in the quote currency.

    Positions count at the last price in ``ctx.prices`` (their average price if none is known); resting
    entry buys count their unfilled part at their limit price. ``symbol`` limits the sum to one symbol.
    """
    total = Decimal(0)
    with localcontext(prec=PRECISION):
        for held_symbol, position in ctx.positions.items():
            if symbol is None or held_symbol == symbol:
                total += position.quantity * ctx.prices.get(held_symbol, position.average_price)
        for order in resting_entry_buys(ctx):
            if order.price is not None and (symbol is None or order.symbol == symbol):
                total += order.remaining_quantity * order.price
    return total


def resting_entry_buys(ctx: RiskContext) -> tuple[Order, ...]:
    """Open orders that are entry buys with something left to fill."""
    return tuple(
        order
        for order in ctx.open_orders
        if order.side is Side.BUY and order.purpose is OrderPurpose.ENTRY and order.remaining_quantity > 0
    )


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


def fit_to_budget(budget: Decimal, price: Decimal, rules: MarketRules) -> Decimal | None:
    """The largest step-valid quantity costing at most ``budget`` at ``price``, or None below the minimums."""
    if budget <= 0 or price <= 0:
        return None
    with localcontext(prec=PRECISION, rounding=ROUND_FLOOR):
        fitting = floor_to_step(budget / price, rules)
        if fitting > 0 and fitting * price > budget:  # cannot happen at this precision; belt and braces
            fitting = floor_to_step(fitting - rules.step_size, rules)
    if fitting <= 0 or fitting < rules.min_quantity or not rules.meets_min_notional(price, fitting):
        return None
    return fitting
