"""The guard interface: each guard approves, resizes (down only) or denies an intent, with a reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bot.domain import OrderIntent, RiskContext, Verdict


@dataclass(frozen=True, slots=True)
class GuardOutcome:
    verdict: Verdict
    reason: str  # machine-readable code: "ok", "no_stop", "insufficient_quote_balance", ...
    quantity: Decimal | None = None  # the (possibly resized) quantity; None keeps the intent's
    detail: str = ""

    @staticmethod
    def approve(detail: str = "") -> GuardOutcome:
        return GuardOutcome(Verdict.APPROVED, "ok", None, detail)

    @staticmethod
    def resize(quantity: Decimal, reason: str, detail: str = "") -> GuardOutcome:
        return GuardOutcome(Verdict.RESIZED, reason, quantity, detail)

    @staticmethod
    def deny(reason: str, detail: str = "") -> GuardOutcome:
        return GuardOutcome(Verdict.DENIED, reason, None, detail)


class RiskGuard(Protocol):
    name: str

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome: ...
