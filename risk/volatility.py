"""Volatility targeting: scale an entry down when recent volatility rises.

``ratio`` = recent volatility ÷ its longer-run level for the symbol (computed by the engine from the
candles the strategy saw, see :func:`volatility_ratio`). With the option on, an entry's size is divided
by the ratio when it is above 1 — volatility doubled, size halved — and never scaled up when the market
is calm (the risk-per-trade budget stays the ceiling). Runs right after sizing; exits always pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext

import numpy as np
import numpy.typing as npt

from bot.domain import OrderIntent, RiskContext
from risk._common import PRECISION, fit_to_budget, fmt, intended_price, is_exit
from risk.base import GuardOutcome

RECENT_RETURNS = 20  # the "recent" window, in candles
MIN_BASELINE_RETURNS = 60  # the longer-run level needs at least this many returns


def volatility_ratio(closes: Sequence[float] | npt.NDArray[np.float64]) -> Decimal | None:
    """Std of the last 20 log returns ÷ std of all of them (None with too little history or no movement)."""
    prices = np.asarray(closes, dtype=float)
    if prices.size <= MIN_BASELINE_RETURNS or np.any(prices <= 0):
        return None
    returns = np.diff(np.log(prices))
    baseline = float(np.std(returns))
    recent = float(np.std(returns[-RECENT_RETURNS:]))
    if baseline < 1e-12 or not np.isfinite(recent):  # no movement (float noise aside)
        return None
    return Decimal(repr(round(recent / baseline, 6)))


class VolatilityScaler:
    name = "volatility_target"

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @property
    def needs_volatility(self) -> bool:
        return self.enabled

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return GuardOutcome.approve("exit_always_passes")
        ratio = ctx.volatility_ratio
        if not self.enabled or ratio is None or ratio <= 1 or intent.quantity is None:
            return GuardOutcome.approve()
        price = intended_price(intent)
        with localcontext(prec=PRECISION):
            budget = intent.quantity * price / ratio
        fitting = fit_to_budget(budget, price, ctx.rules)
        detail = f"volatility {fmt(ratio)}x its usual level: size / {fmt(ratio)}"
        if fitting is None:
            return GuardOutcome.deny("below_min_notional", detail)
        return GuardOutcome.resize(min(fitting, intent.quantity), "volatility_scaled", detail)
