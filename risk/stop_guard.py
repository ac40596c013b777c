"""Every entry must carry a protective stop (DESIGN invariant 3) that makes sense for a long.

The stop is what bounds the loss the sizer budgets for, so an entry without one, with one on the wrong
side, or with one so far away that the position would be tiny and the stop meaningless, is denied before
anything is sized. Exits are never blocked here: a guard about stops must not trap a position.
"""

from __future__ import annotations

from decimal import Decimal

from bot.domain import IntentKind, OrderIntent, RiskContext, Verdict
from risk._common import fmt, intended_price
from risk.base import GuardOutcome
from risk.limits import check_limit


class MandatoryStopGuard:
    """Denies entries without a stop strictly below the entry price and within ``max_stop_distance``.

    ``max_stop_distance`` is a fraction of the entry price (``Decimal("0.1")`` = the stop may be at most
    10 % below the entry).
    """

    name = "mandatory_stop"

    def __init__(self, max_stop_distance: Decimal) -> None:
        self.max_stop_distance = check_limit("max_stop_distance", max_stop_distance)

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if intent.kind is IntentKind.EXIT:
            return GuardOutcome(Verdict.APPROVED, "exit_always_passes")
        entry = intended_price(intent)
        stop = intent.stop_price
        if stop is None or stop <= 0:
            return GuardOutcome.deny("no_stop", f"entry at {fmt(entry)} has stop {stop}")
        if entry <= 0 or stop >= entry:
            return GuardOutcome.deny("stop_not_below_entry", f"stop {fmt(stop)} >= entry {fmt(entry)}")
        distance = (entry - stop) / entry  # for the detail; the test below is exact
        if entry - stop > self.max_stop_distance * entry:
            detail = (
                f"stop {fmt(stop)} is {fmt(distance * 100, 2)}% below entry {fmt(entry)}; "
                f"max {fmt(self.max_stop_distance * 100)}%"
            )
            return GuardOutcome.deny("stop_too_far", detail)
        return GuardOutcome.approve(f"stop {fmt(stop)} is {fmt(distance * 100, 2)}% below entry {fmt(entry)}")
