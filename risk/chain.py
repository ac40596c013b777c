"""The risk chain: every intent passes every guard, in a fixed order, before it may reach a broker.

The order (``risk.factory.build_chain`` builds it from ``RiskLimits``; guard names in brackets):

1. ``TradingStateGuard`` [trading_state]: entries pass only while ACTIVE (REDUCING / HALTED deny)
2. circuit breakers (``risk.breakers``): ``DailyLossBreaker`` [daily_loss], ``DrawdownBreaker``
   [drawdown], ``LossStreakBreaker`` [loss_streak], ``TradesPerDayBreaker`` [trades_per_day],
   ``SymbolCooldown`` [symbol_cooldown]
3. ``RegimeGuard`` [regime] (``risk.regime_guard``; only with ``[regime]`` configured): a gated
   strategy's entries pass only in the market regime its gate allows
4. sanity (``risk.sanity``): ``StaleDataGuard`` [stale_data], ``PriceBandGuard`` [price_band]
5. ``MandatoryStopGuard`` [mandatory_stop]: an entry carries a stop below its price, not too far away
6. ``RiskPositionSizer`` [position_sizer]: quantity = equity x risk per trade / worst-case loss per unit
7. caps that resize down: ``VolatilityScaler`` [volatility_target], ``MaxNotionalGuard`` [max_notional],
   ``GrossExposureGuard`` [gross_exposure], ``ConcentrationGuard`` [concentration],
   ``ClusterGuard`` [cluster_exposure] (only with ``max_cluster_fraction``),
   ``MaxOpenPositionsGuard`` [max_open_positions], ``CvarGuard`` [cvar] (only with ``max_cvar``; last,
   as the costliest: ``risk.portfolio_guards``)
8. ``SpotBalanceGuard`` [spot_balance]: fits the free quote balance; exchange-valid price, step, notional

Why this order: cheap, state-level denials first (1-3) so a halted or tripped bot, or one waiting for
its market, does no work and its denial names the real cause; data freshness and prices are
sanity-checked (4) before anything is computed from them; the stop must be valid (5) before sizing uses
it (6); caps need a quantity (7) and only ever shrink it; and the balance/exchange-validity guard is
last (8) because it certifies the *final* quantity: nothing may change the quantity after it. Exits
pass every guard that could trap a position (1-7; the sizer only caps an exit at the position); only
the guard that keeps an order exchange-valid (8) may stop them.

Rules the chain enforces, whatever the guards do:

- Each guard sees the intent as resized by the guards before it.
- Guards only resize *down*. A guard returning a larger quantity than it was given is a bug: the intent
  is denied with ``guard_increased_quantity``. (Setting the first quantity of an unsized entry is sizing,
  not an increase.)
- The chain stops at the first denial. One ``RiskDecision`` is recorded per guard that ran.
- A guard that raises is turned into a denial with ``guard_error`` and the exception text: a denial is
  data, and one broken guard must never crash the tick.
- A guard approving a quantity that is not a positive number is also a bug: ``invalid_quantity``.
- Contract violations outside any guard are recorded as decisions of the pseudo-guard ``chain``:
  market rules for another symbol (``rules_symbol_mismatch``, before any guard runs) and an approved
  intent that nobody sized (``unsized``, after the last guard).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import OrderIntent, RiskContext, RiskDecision, Verdict
from risk.base import GuardOutcome, RiskGuard

CHAIN = "chain"  # the guard name of decisions the chain records itself


@dataclass(frozen=True, slots=True)
class ChainResult:
    """The chain's answer: the approved intent with its final quantity (None if denied), and why."""

    intent: OrderIntent | None
    decisions: tuple[RiskDecision, ...]

    @property
    def approved(self) -> bool:
        return self.intent is not None

    @property
    def denial(self) -> RiskDecision | None:
        """The decision that denied the intent, if any (always the last one)."""
        if self.intent is None and self.decisions:
            return self.decisions[-1]
        return None


class RiskChain:
    """Runs guards in order over one intent; see the module docstring for the rules."""

    def __init__(self, guards: Sequence[RiskGuard]) -> None:
        self.guards: tuple[RiskGuard, ...] = tuple(guards)

    @property
    def needs_volatility(self) -> bool:
        """Whether some guard reads ``RiskContext.volatility_ratio`` (the caller may skip computing it)."""
        return any(getattr(guard, "needs_volatility", False) for guard in self.guards)

    @property
    def guard_names(self) -> tuple[str, ...]:
        return tuple(guard.name for guard in self.guards)

    def evaluate(self, intent: OrderIntent, ctx: RiskContext) -> ChainResult:
        decisions: list[RiskDecision] = []

        def deny(guard: str, reason: str, before: Decimal | None, detail: str) -> ChainResult:
            decisions.append(_decision(intent, guard, Verdict.DENIED, reason, before, None, ctx, detail))
            return ChainResult(None, tuple(decisions))

        if ctx.rules.symbol != intent.symbol:
            detail = f"intent is for {intent.symbol}, rules are for {ctx.rules.symbol}"
            return deny(CHAIN, "rules_symbol_mismatch", intent.quantity, detail)

        current = intent
        for guard in self.guards:
            before = current.quantity
            try:
                outcome = guard.check(current, ctx)
            except Exception as exc:
                return deny(guard.name, "guard_error", before, f"{type(exc).__name__}: {exc}")
            if outcome.verdict is Verdict.DENIED:
                return deny(guard.name, outcome.reason, before, outcome.detail)
            after = outcome.quantity if outcome.quantity is not None else before
            if after is not None and (not after.is_finite() or after <= 0):
                detail = f"{guard.name} approved a quantity of {after}"
                return deny(guard.name, "invalid_quantity", before, detail)
            if after is not None and before is not None and after > before:
                detail = f"{guard.name} returned {after} for an intent of {before}"
                return deny(guard.name, "guard_increased_quantity", before, detail)
            verdict = _verdict(outcome, before, after)
            decisions.append(
                _decision(current, guard.name, verdict, outcome.reason, before, after, ctx, outcome.detail)
            )
            if after != before:
                current = dataclasses.replace(current, quantity=after)

        if current.quantity is None:
            return deny(CHAIN, "unsized", None, "no guard gave the intent a quantity")
        return ChainResult(current, tuple(decisions))


def _verdict(outcome: GuardOutcome, before: Decimal | None, after: Decimal | None) -> Verdict:
    """What the decision records: a shrinking quantity is a resize, whatever the guard called it."""
    if before is not None and after is not None and after < before:
        return Verdict.RESIZED
    return Verdict.APPROVED if outcome.verdict is Verdict.RESIZED else outcome.verdict


def _decision(
    intent: OrderIntent,
    guard: str,
    verdict: Verdict,
    reason: str,
    before: Decimal | None,
    after: Decimal | None,
    ctx: RiskContext,
    detail: str,
) -> RiskDecision:
    return RiskDecision(
        intent_id=intent.intent_id,
        guard=guard,
        verdict=verdict,
        reason=reason,
        quantity_before=before,
        quantity_after=after,
        decided_at=ctx.now,
        detail=detail,
    )
