"""Sanity ("fat finger") guards on entries: fresh data, a price near the market, a notional cap.

- ``StaleDataGuard``: an entry decided on old candles is denied (``stale_market_data``) when the newest
  candle closed more than ``stale_after_candles`` timeframes ago, or is unknown. With an unknown
  timeframe (``ctx.timeframe_seconds == 0``) the check is skipped.
- ``PriceBandGuard``: an entry's limit price (a market entry's reference price) must be within
  ``+-band`` of ``ctx.last_price`` (``price_outside_band``; ``no_last_price`` when none is known).
- ``MaxNotionalGuard``: an entry's ``quantity x price`` is capped at ``max_notional`` (quote currency),
  resized down to the step; below the exchange minimums it is denied (``below_min_notional``). It needs
  a quantity, so it runs after the sizer.

Exits always pass all three: a stale feed or a gapped market must never trap a position.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, localcontext

from bot.domain import OrderIntent, RiskContext, Verdict
from risk._common import PRECISION, fit_to_budget, fmt, intended_price, is_exit
from risk.base import GuardOutcome
from risk.limits import check_limit

_EXIT = GuardOutcome(Verdict.APPROVED, "exit_always_passes")


class StaleDataGuard:
    name = "stale_data"

    def __init__(self, stale_after_candles: int) -> None:
        self.stale_after_candles = check_limit("stale_after_candles", stale_after_candles)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return _EXIT
        if ctx.timeframe_seconds <= 0:
            return GuardOutcome.approve("timeframe unknown: staleness not checked")
        if ctx.last_candle_close is None:
            return GuardOutcome.deny("stale_market_data", f"no candle known for {intent.symbol}")
        age = ctx.now - ctx.last_candle_close
        allowed = timedelta(seconds=self.stale_after_candles * ctx.timeframe_seconds)
        if age > allowed:
            detail = (
                f"last candle closed {age.total_seconds():.0f}s ago; allowed {allowed.total_seconds():.0f}s "
                f"({self.stale_after_candles} x {ctx.timeframe_seconds}s)"
            )
            return GuardOutcome.deny("stale_market_data", detail)
        return GuardOutcome.approve()


class PriceBandGuard:
    name = "price_band"

    def __init__(self, band: Decimal) -> None:
        self.band = check_limit("price_band", band)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return _EXIT
        last = ctx.last_price
        if last <= 0:
            return GuardOutcome.deny("no_last_price", f"last price of {intent.symbol} is {fmt(last)}")
        price = intended_price(intent)
        with localcontext(prec=PRECISION):
            low, high = last * (1 - self.band), last * (1 + self.band)
            if low <= price <= high:
                return GuardOutcome.approve()
            off = (price - last) / last * 100
        detail = (
            f"price {fmt(price)} is {fmt(off, 2)}% from last {fmt(last)}; "
            f"allowed {fmt(low)}..{fmt(high)} (+-{fmt(self.band * 100)}%)"
        )
        return GuardOutcome.deny("price_outside_band", detail)


class MaxNotionalGuard:
    name = "max_notional"

    def __init__(self, max_notional: Decimal | None) -> None:
        self.max_notional = check_limit("max_order_notional", max_notional)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return _EXIT
        if self.max_notional is None:
            return GuardOutcome.approve("no notional cap")
        if intent.quantity is None:
            return GuardOutcome.deny("unsized", "an entry reached the notional cap without a quantity")
        price = intended_price(intent)
        with localcontext(prec=PRECISION):
            notional = intent.quantity * price
        if notional <= self.max_notional:
            return GuardOutcome.approve()
        detail = f"{fmt(intent.quantity)} x {fmt(price)} = {fmt(notional, 2)} > max {fmt(self.max_notional)}"
        fitting = fit_to_budget(self.max_notional, price, ctx.rules)
        if fitting is None:
            return GuardOutcome.deny("below_min_notional", f"{detail}; what fits is below the minimums")
        return GuardOutcome.resize(fitting, "fit_to_max_notional", detail)
