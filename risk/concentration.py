"""Per-asset concentration and the number of open positions (DESIGN invariant 4).

- ``ConcentrationGuard``: one symbol's exposure (its position at the last price, or its average price if
  none is known, plus the unfilled part of resting entry buys on it) plus the new entry stays within
  ``max_asset_fraction x equity``. An entry that would cross it is resized down (to the step); below the
  exchange minimums it is denied (``asset_concentration_cap``).
- ``MaxOpenPositionsGuard``: a symbol is "occupied" when it has an open position or a resting entry buy.
  An entry on an unoccupied symbol is denied (``max_open_positions``) when ``n`` symbols are occupied
  already; adding to an occupied symbol is left to the concentration cap.

Exits always pass: they only reduce exposure.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from bot.domain import OrderIntent, RiskContext, Verdict
from risk._common import PRECISION, exposure, fit_to_budget, fmt, intended_price, is_exit, resting_entry_buys
from risk.base import GuardOutcome
from risk.limits import check_limit

_EXIT = GuardOutcome(Verdict.APPROVED, "exit_always_passes")


class ConcentrationGuard:
    name = "concentration"

    def __init__(self, max_asset_fraction: Decimal) -> None:
        self.max_asset_fraction = check_limit("max_asset_fraction", max_asset_fraction)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return _EXIT
        if intent.quantity is None:
            return GuardOutcome.deny("unsized", "an entry reached the concentration cap without a quantity")
        price = intended_price(intent)
        with localcontext(prec=PRECISION):
            held = exposure(ctx, intent.symbol)
            cap = ctx.equity * self.max_asset_fraction
            wanted = intent.quantity * price
            if held + wanted <= cap:
                return GuardOutcome.approve()
            room = cap - held
        detail = (
            f"{intent.symbol} exposure {fmt(held, 2)} + order {fmt(wanted, 2)} > cap {fmt(cap, 2)} "
            f"(max_asset_fraction {fmt(self.max_asset_fraction)} x equity {fmt(ctx.equity, 2)})"
        )
        fitting = fit_to_budget(room, price, ctx.rules)
        if fitting is None:
            return GuardOutcome.deny("asset_concentration_cap", detail)
        return GuardOutcome.resize(fitting, "fit_to_asset_concentration", detail)


class MaxOpenPositionsGuard:
    name = "max_open_positions"

    def __init__(self, max_open_positions: int) -> None:
        self.max_open_positions = check_limit("max_open_positions", max_open_positions)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return _EXIT
        occupied = occupied_symbols(ctx)
        if intent.symbol in occupied:
            return GuardOutcome.approve(f"adds to {intent.symbol}")
        if len(occupied) >= self.max_open_positions:
            detail = (
                f"{len(occupied)} symbols held or being bought ({', '.join(sorted(occupied))}); "
                f"max {self.max_open_positions}"
            )
            return GuardOutcome.deny("max_open_positions", detail)
        return GuardOutcome.approve(f"{len(occupied) + 1} of {self.max_open_positions} positions")


def occupied_symbols(ctx: RiskContext) -> frozenset[str]:
    """Symbols with an open position or a resting entry buy."""
    held = {symbol for symbol, position in ctx.positions.items() if position.quantity > 0}
    return frozenset(held | {order.symbol for order in resting_entry_buys(ctx)})
