"""Position sizing from the stop: a stopped-out trade loses at most ``risk_per_trade`` of equity.

The loss per unit is taken at its worst case (DESIGN invariant 2): we buy at ``entry x (1 + s)`` and pay
the taker fee ``f`` on it, and the stop sells at ``stop x (1 - s)`` and pays the fee again, ``s`` being
the slippage allowance::

    per_unit_loss = entry x (1 + s) x (1 + f) - stop x (1 - s) x (1 - f)
    quantity      = equity x risk_per_trade / per_unit_loss, rounded DOWN to the lot step

Worked example (``test_sizing_one_percent_of_ten_thousand_with_a_five_percent_stop``): equity 10000 USDT,
risk 1 % -> budget 100 USDT; entry 100, stop 95 (5 %), taker fee 0.1 %, slippage allowance 0.05 %::

    per_unit_loss = 100 x 1.0005 x 1.001 - 95 x 0.9995 x 0.999 = 100.15005 - 94.8575475 = 5.2925025
    quantity      = 100 / 5.2925025 = 18.8946... -> 18.894 (step 0.001)
    realized risk = 18.894 x 5.2925025 = 99.9965 USDT <= 100; notional 1889.40 USDT

Arithmetic runs at 60 significant digits with division rounded toward zero, and the result is checked
against the budget exactly, so rounding can never push the realized risk over the budget.

Exits are sized to what is held: ``min(intent quantity, position quantity)``, rounded down to the step.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext

from bot.domain import IntentKind, OrderIntent, RiskContext, Verdict
from risk._common import PRECISION, floor_to_step, fmt, intended_price, open_position
from risk.base import GuardOutcome
from risk.limits import check_limit


def worst_case_loss_per_unit(entry: Decimal, stop: Decimal, taker_fee: Decimal, slippage: Decimal) -> Decimal:
    """What one unit loses if bought at the entry and sold at the stop, both slipped and both charged."""
    with localcontext(prec=PRECISION):
        return entry * (1 + slippage) * (1 + taker_fee) - stop * (1 - slippage) * (1 - taker_fee)


class RiskPositionSizer:
    """Sizes entries so a stop-out loses at most ``risk_per_trade`` of equity; caps exits at the position.

    ``risk_per_trade`` is a fraction of equity in (0, 0.02]; ``slippage_allowance`` a fraction in [0, 0.1).
    """

    name = "position_sizer"

    def __init__(self, risk_per_trade: Decimal, slippage_allowance: Decimal) -> None:
        self.risk_per_trade = check_limit("risk_per_trade", risk_per_trade)
        self.slippage_allowance = check_limit("slippage_allowance", slippage_allowance)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if intent.kind is IntentKind.EXIT:
            return self._size_exit(intent, ctx)
        return self._size_entry(intent, ctx)

    def _size_entry(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        rules = ctx.rules
        entry = intended_price(intent)
        stop = intent.stop_price
        if stop is None or stop <= 0:
            return GuardOutcome.deny("no_stop", "cannot size an entry without a stop")
        if ctx.equity <= 0:
            return GuardOutcome.deny("no_equity", f"equity is {fmt(ctx.equity)} {ctx.quote_currency}")
        loss = worst_case_loss_per_unit(entry, stop, rules.taker_fee, self.slippage_allowance)
        if loss <= 0:
            return GuardOutcome.deny(
                "stop_not_below_entry", f"per-unit loss {fmt(loss)} with stop {fmt(stop)}"
            )
        with localcontext(prec=PRECISION, rounding=ROUND_FLOOR):
            budget = ctx.equity * self.risk_per_trade
            quantity = floor_to_step(budget / loss, rules)
            if quantity > 0 and quantity * loss > budget:  # cannot happen at this precision; belt and braces
                quantity = floor_to_step(quantity - rules.step_size, rules)
        if intent.quantity is not None:
            # a strategy may ask for less, never for more risk
            quantity = floor_to_step(min(quantity, intent.quantity), rules)
        sizing = (
            f"risk {fmt(budget, 2)} {ctx.quote_currency} = {fmt(self.risk_per_trade * 100)}% of "
            f"{fmt(ctx.equity)}; per-unit loss {fmt(loss)}"
        )
        if quantity <= 0 or not rules.meets_min_notional(entry, quantity):
            detail = (
                f"{fmt(quantity)} x {fmt(entry)} = {fmt(quantity * entry)} {ctx.quote_currency} "
                f"< min notional {fmt(rules.min_notional)}; {sizing}"
            )
            return GuardOutcome.deny("below_min_notional", detail)
        if quantity < rules.min_quantity:
            detail = f"{fmt(quantity)} < min quantity {fmt(rules.min_quantity)}; {sizing}"
            return GuardOutcome.deny("below_min_quantity", detail)
        detail = f"{sizing}; quantity {fmt(quantity)}, realized risk {fmt(quantity * loss, 2)}"
        return GuardOutcome(Verdict.APPROVED, "sized", quantity, detail)

    def _size_exit(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        position = open_position(intent, ctx)
        if position is None:
            return GuardOutcome.deny("no_position", f"no open position in {intent.symbol} to exit")
        wanted = intent.quantity if intent.quantity is not None else position.quantity
        quantity = floor_to_step(min(wanted, position.quantity), ctx.rules)
        if quantity <= 0:
            detail = (
                f"min({fmt(wanted)}, position {fmt(position.quantity)}) rounds to 0 "
                f"at step {fmt(ctx.rules.step_size)}"
            )
            return GuardOutcome.deny("below_step", detail)
        detail = f"exit {fmt(quantity)} of position {fmt(position.quantity)}"
        return GuardOutcome(Verdict.APPROVED, "exit_sized", quantity, detail)
