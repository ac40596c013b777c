"""Spot never borrows, and what is sent is exchange-valid (DESIGN invariants 4 and 5).

This guard is the last in the chain: it certifies the final quantity.

- An entry must be a buy, and may not cost more than the free quote balance. Its cost is counted
  conservatively as ``quantity x price x (1 + taker fee)``; for a market buy the price is the reference
  price raised by the slippage allowance, since a market order has no price cap. A buy that does not fit
  is resized down (to the step); if the fitting size falls below the exchange minimums it is denied
  (``insufficient_quote_balance``).
- An exit must be a sell of no more than the position (resized down to it). Exits never need quote
  balance: a spot sell pays its fee from the proceeds.
- Both must be exchange-valid: prices on the tick, the quantity on the step and at least the minimum
  quantity, the notional at least the minimum notional. An invalid entry is denied (``invalid_precision``,
  ``below_min_notional``): earlier guards produce valid numbers, so an invalid one is a bug to look at, not
  to paper over. An exit's quantity is rounded down to the step instead, so a position can always be sold
  if the exchange would take the order at all.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext

from bot.domain import IntentKind, MarketRules, OrderIntent, OrderType, RiskContext, Side, Verdict
from risk._common import PRECISION, floor_to_step, fmt, intended_price, open_position
from risk.base import GuardOutcome

_LIMIT_TYPES = (OrderType.LIMIT, OrderType.STOP_LIMIT)


class SpotBalanceGuard:
    """Fits entries to the free quote balance and keeps every order exchange-valid.

    ``market_slippage`` (a fraction in [0, 0.1)) is added to the price of market buys when counting their
    cost; ``default_chain`` passes the sizer's slippage allowance.
    """

    name = "spot_balance"

    def __init__(self, market_slippage: Decimal = Decimal(0)) -> None:
        if not isinstance(market_slippage, Decimal) or not Decimal(0) <= market_slippage < Decimal("0.1"):
            raise ValueError(
                f"market_slippage={market_slippage!r} is invalid: allowed a Decimal fraction 0 <= x < 0.1"
            )
        self.market_slippage = market_slippage

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        invalid = _invalid_prices(intent, ctx.rules)
        if invalid:
            return GuardOutcome.deny("invalid_precision", invalid)
        if intent.kind is IntentKind.EXIT:
            return self._check_exit(intent, ctx)
        return self._check_entry(intent, ctx)

    def unit_cost(self, intent: OrderIntent, rules: MarketRules) -> Decimal:
        """Quote spent per unit bought, at worst: price (slipped for market buys) plus the taker fee."""
        slippage = self.market_slippage if intent.limit_price is None else Decimal(0)
        with localcontext(prec=PRECISION):
            return intended_price(intent) * (1 + slippage) * (1 + rules.taker_fee)

    def _check_entry(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        rules = ctx.rules
        if intent.side is not Side.BUY:
            return GuardOutcome.deny("spot_entry_must_buy", "spot never borrows: an entry cannot sell short")
        quantity = intent.quantity
        if quantity is None:
            return GuardOutcome.deny("unsized", "an entry reached the balance check without a quantity")
        price = intended_price(intent)
        unit_cost = self.unit_cost(intent, rules)
        resized = False
        if _exceeds(quantity, unit_cost, ctx.free_quote):
            fitting = _fit(unit_cost, ctx.free_quote, rules)
            if not _tradeable(fitting, price, rules):
                detail = (
                    f"{fmt(quantity)} x {fmt(unit_cost)} > free {fmt(ctx.free_quote)} {ctx.quote_currency}; "
                    f"{fmt(fitting)} would fit, below min notional {fmt(rules.min_notional)} "
                    f"or min quantity {fmt(rules.min_quantity)}"
                )
                return GuardOutcome.deny("insufficient_quote_balance", detail)
            quantity, resized = fitting, True
        invalid = _invalid_quantity(quantity, price, rules)
        if invalid is not None:
            return GuardOutcome.deny(*invalid)
        cost = f"cost {fmt(quantity * unit_cost)} of free {fmt(ctx.free_quote)} {ctx.quote_currency}"
        if resized:
            return GuardOutcome.resize(quantity, "fit_to_free_quote", cost)
        return GuardOutcome.approve(cost)

    def _check_exit(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        rules = ctx.rules
        if intent.side is not Side.SELL:
            return GuardOutcome.deny("spot_exit_must_sell", "a long-only spot exit is a sell")
        position = open_position(intent, ctx)
        if position is None:
            return GuardOutcome.deny("no_position", f"no open position in {intent.symbol} to sell")
        wanted = intent.quantity if intent.quantity is not None else position.quantity
        quantity = floor_to_step(min(wanted, position.quantity), rules)
        invalid = _invalid_quantity(quantity, intended_price(intent), rules)
        if invalid is not None:
            return GuardOutcome.deny(*invalid)
        detail = f"sell {fmt(quantity)} of position {fmt(position.quantity)}"
        if intent.quantity is not None and quantity < intent.quantity:
            return GuardOutcome.resize(quantity, "capped_to_position", detail)
        return GuardOutcome(Verdict.APPROVED, "ok", quantity, detail)


def _exceeds(quantity: Decimal, unit_cost: Decimal, free_quote: Decimal) -> bool:
    with localcontext(prec=PRECISION):
        return quantity * unit_cost > free_quote


def _fit(unit_cost: Decimal, free_quote: Decimal, rules: MarketRules) -> Decimal:
    """The largest step-valid quantity whose cost is within ``free_quote`` (0 if none)."""
    if free_quote <= 0:
        return Decimal(0)
    with localcontext(prec=PRECISION, rounding=ROUND_FLOOR):
        fitting = floor_to_step(free_quote / unit_cost, rules)
    if fitting > 0 and _exceeds(fitting, unit_cost, free_quote):  # cannot happen at this precision
        fitting = floor_to_step(fitting - rules.step_size, rules)
    return fitting


def _tradeable(quantity: Decimal, price: Decimal, rules: MarketRules) -> bool:
    return quantity > 0 and quantity >= rules.min_quantity and rules.meets_min_notional(price, quantity)


def _invalid_prices(intent: OrderIntent, rules: MarketRules) -> str:
    """Why the intent's prices could not be sent as they are ('' if they can)."""
    if intent.order_type in _LIMIT_TYPES and intent.limit_price is None:
        return f"a {intent.order_type} order needs a limit price"
    if intent.limit_price is not None and not rules.is_tick_valid(intent.limit_price):
        return (
            f"limit price {fmt(intent.limit_price)} is not a positive multiple of tick {fmt(rules.tick_size)}"
        )
    if intent.stop_price is not None and not rules.is_tick_valid(intent.stop_price):
        return (
            f"stop price {fmt(intent.stop_price)} is not a positive multiple of tick {fmt(rules.tick_size)}"
        )
    if intent.reference_price <= 0:
        return f"reference price {fmt(intent.reference_price)} is not positive"
    return ""


def _invalid_quantity(quantity: Decimal, price: Decimal, rules: MarketRules) -> tuple[str, str] | None:
    """(reason, detail) if the exchange would refuse ``quantity`` at ``price``, else None."""
    if not rules.is_step_valid(quantity):
        detail = (
            f"quantity {fmt(quantity)} is not a positive multiple of step {fmt(rules.step_size)} "
            f"of at least {fmt(rules.min_quantity)}"
        )
        return "invalid_precision", detail
    if not rules.meets_min_notional(price, quantity):
        notional = f"{fmt(quantity)} x {fmt(price)} = {fmt(quantity * price)}"
        detail = f"{notional} < min notional {fmt(rules.min_notional)}"
        return "below_min_notional", detail
    return None
