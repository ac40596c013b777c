"""Gross exposure cap: what the bot holds and is buying never exceeds ``max_leverage`` x equity.

Spot never borrows, so exposure can never exceed equity anyway (the balance guard sees to that); the
cap lets a user hold part of the account back, e.g. ``max_leverage = 0.5`` keeps at least half in cash.

Gross exposure counts open positions at the last price (their average price if none is known), the
unfilled part of resting buy orders at their price, and the new entry at its price. An entry that would
cross the cap is resized down (to the step) to fit; if what fits is below the exchange minimums it is
denied (``gross_exposure_cap``). Exits always pass: they only reduce exposure.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from bot.domain import IntentKind, OrderIntent, RiskContext
from risk._common import PRECISION, exposure, floor_to_step, fmt, intended_price
from risk.base import GuardOutcome
from risk.limits import check_limit


class GrossExposureGuard:
    name = "gross_exposure"

    def __init__(self, max_leverage: Decimal) -> None:
        self.max_leverage = check_limit("max_leverage", max_leverage)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if intent.kind is IntentKind.EXIT:
            return GuardOutcome.approve("exits only reduce exposure")
        if intent.quantity is None:
            return GuardOutcome.deny("unsized", "an entry reached the exposure cap without a quantity")
        price = intended_price(intent)
        with localcontext(prec=PRECISION):
            held = gross_exposure(ctx)
            cap = ctx.equity * self.max_leverage
            wanted = intent.quantity * price
            if held + wanted <= cap:
                return GuardOutcome.approve()
            fitting = floor_to_step((cap - held) / price, ctx.rules) if cap > held else Decimal(0)
        detail = (
            f"exposure {fmt(held, 2)} + order {fmt(wanted, 2)} > cap {fmt(cap, 2)} "
            f"(max_leverage {fmt(self.max_leverage)} x equity {fmt(ctx.equity, 2)})"
        )
        if fitting <= 0 or fitting < ctx.rules.min_quantity or fitting * price < ctx.rules.min_notional:
            return GuardOutcome.deny("gross_exposure_cap", detail)
        return GuardOutcome.resize(fitting, "fit_to_gross_exposure", detail)


def gross_exposure(ctx: RiskContext) -> Decimal:
    """Positions at market plus what resting entry buys will add, in the quote currency."""
    return exposure(ctx)
