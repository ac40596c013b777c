"""Trading state gate: entries pass only while ACTIVE; exits always pass (DESIGN invariant 8).

REDUCING means "exits only" (e.g. after the daily loss limit, until the next UTC day); HALTED means nothing
new until a human resumes. Neither may trap a position, so exits and stop-outs are approved in every state.
"""

from __future__ import annotations

from bot.domain import OrderIntent, RiskContext, TradingState, Verdict
from risk._common import is_exit
from risk.base import GuardOutcome

_DENIAL = {TradingState.REDUCING: "trading_reducing", TradingState.HALTED: "trading_halted"}


class TradingStateGuard:
    name = "trading_state"

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return GuardOutcome(Verdict.APPROVED, "exit_always_passes")
        if ctx.trading_state is TradingState.ACTIVE:
            return GuardOutcome.approve()
        reason = _DENIAL.get(ctx.trading_state, "trading_halted")  # an unknown state is treated as halted
        return GuardOutcome.deny(reason, f"trading state is {ctx.trading_state}: no new entries")
