"""Circuit breakers: they stop new entries after losses or too much activity (DESIGN invariant 8).

Each reads ``ctx.account`` (kept by the engine from equity and closed trades). With no account known yet
(``None``) they approve: there is nothing to measure. Exits always pass: a breaker must never trap a user
in a losing position.

- ``DailyLossBreaker``: ``day_start_equity - equity >= limit x day_start_equity`` -> ``daily_loss_limit``
- ``DrawdownBreaker``: ``peak_equity - equity >= limit x peak_equity`` -> ``max_drawdown``
- ``LossStreakBreaker``: ``consecutive_losses >= n`` and the last loss less than ``cooldown`` ago
  -> ``loss_streak_cooldown`` (a streak with no ``last_loss_at`` counts as cooled down)
- ``TradesPerDayBreaker``: ``entries_today >= n`` -> ``max_trades_per_day``
- ``SymbolCooldown``: the intent's symbol was stopped out less than ``cooldown`` ago -> ``symbol_cooldown``

The equity-based breakers compare exactly (no division) and skip a non-positive reference equity.
``risk.trading_state.next_status`` turns the first two into trading states; the breakers here deny entries
in the same tick even before the state has been changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from typing import TypeVar

from bot.domain import AccountState, OrderIntent, RiskContext, Verdict
from risk._common import PRECISION, fmt, is_exit
from risk.base import GuardOutcome
from risk.limits import check_limit

_Level = TypeVar("_Level")  # one Decimal, or a float array


def loss_floor(reference: _Level, limit: Decimal | float) -> _Level:
    """The equity at or below which ``reference`` has lost ``limit`` (a fraction) of itself: the one
    definition of a breaker's level, for one ``Decimal`` (the breakers, exactly) or a float array of
    running peaks (a backtest's planner, :mod:`bot.app.backtest.events`)."""
    return reference * (1 - limit)  # type: ignore[operator,return-value]


def loss_reached(reference: Decimal, equity: Decimal, limit: Decimal) -> bool:
    """Whether equity fell from ``reference`` by at least ``limit`` (a fraction) of it."""
    if reference <= 0:
        return False
    with localcontext(prec=PRECISION):
        return equity <= loss_floor(reference, limit)


def loss_fraction(reference: Decimal, equity: Decimal) -> Decimal:
    with localcontext(prec=PRECISION):
        return (reference - equity) / reference if reference > 0 else Decimal(0)


def in_cooldown(since: datetime | None, now: datetime, cooldown: timedelta) -> bool:
    return since is not None and now - since < cooldown


class _Breaker:
    """Exits and an unknown account pass; entries are judged by ``_trip``."""

    name = "breaker"

    def check(self, intent: OrderIntent, ctx: RiskContext) -> GuardOutcome:
        if is_exit(intent):
            return GuardOutcome(Verdict.APPROVED, "exit_always_passes")
        if ctx.account is None:
            return GuardOutcome.approve("no account state yet")
        return self._trip(intent, ctx, ctx.account) or GuardOutcome.approve()

    def _trip(self, intent: OrderIntent, ctx: RiskContext, account: AccountState) -> GuardOutcome | None:
        raise NotImplementedError


class DailyLossBreaker(_Breaker):
    name = "daily_loss"

    def __init__(self, limit: Decimal) -> None:
        self.limit = check_limit("daily_loss_limit", limit)

    def _trip(self, intent: OrderIntent, ctx: RiskContext, account: AccountState) -> GuardOutcome | None:
        start = account.day_start_equity
        if not loss_reached(start, ctx.equity, self.limit):
            return None
        detail = (
            f"equity {fmt(ctx.equity, 2)} is {fmt(loss_fraction(start, ctx.equity) * 100, 2)}% below "
            f"the day's start {fmt(start, 2)}; limit {fmt(self.limit * 100)}%"
        )
        return GuardOutcome.deny("daily_loss_limit", detail)


class DrawdownBreaker(_Breaker):
    name = "drawdown"

    def __init__(self, limit: Decimal) -> None:
        self.limit = check_limit("max_drawdown", limit)

    def _trip(self, intent: OrderIntent, ctx: RiskContext, account: AccountState) -> GuardOutcome | None:
        peak = account.peak_equity
        if not loss_reached(peak, ctx.equity, self.limit):
            return None
        detail = (
            f"equity {fmt(ctx.equity, 2)} is {fmt(loss_fraction(peak, ctx.equity) * 100, 2)}% below "
            f"the peak {fmt(peak, 2)}; limit {fmt(self.limit * 100)}%"
        )
        return GuardOutcome.deny("max_drawdown", detail)


class LossStreakBreaker(_Breaker):
    name = "loss_streak"

    def __init__(self, max_losses: int, cooldown: timedelta) -> None:
        self.max_losses = check_limit("max_consecutive_losses", max_losses)
        self.cooldown = check_limit("loss_cooldown", cooldown)

    def _trip(self, intent: OrderIntent, ctx: RiskContext, account: AccountState) -> GuardOutcome | None:
        if account.consecutive_losses < self.max_losses:
            return None
        if account.last_loss_at is None or not in_cooldown(account.last_loss_at, ctx.now, self.cooldown):
            return None
        until = account.last_loss_at + self.cooldown
        detail = (
            f"{account.consecutive_losses} losses in a row (max {self.max_losses}); "
            f"cooling down until {until.isoformat()}"
        )
        return GuardOutcome.deny("loss_streak_cooldown", detail)


class TradesPerDayBreaker(_Breaker):
    name = "trades_per_day"

    def __init__(self, max_trades: int) -> None:
        self.max_trades = check_limit("max_trades_per_day", max_trades)

    def _trip(self, intent: OrderIntent, ctx: RiskContext, account: AccountState) -> GuardOutcome | None:
        if account.entries_today < self.max_trades:
            return None
        detail = f"{account.entries_today} entries today; max {self.max_trades} per UTC day"
        return GuardOutcome.deny("max_trades_per_day", detail)


class SymbolCooldown(_Breaker):
    name = "symbol_cooldown"

    def __init__(self, cooldown: timedelta) -> None:
        self.cooldown = check_limit("symbol_cooldown", cooldown)

    def _trip(self, intent: OrderIntent, ctx: RiskContext, account: AccountState) -> GuardOutcome | None:
        stopped = account.last_stop_out.get(intent.symbol)
        if stopped is None or not in_cooldown(stopped, ctx.now, self.cooldown):
            return None
        until = stopped + self.cooldown
        detail = f"{intent.symbol} stopped out at {stopped.isoformat()}; no entry until {until.isoformat()}"
        return GuardOutcome.deny("symbol_cooldown", detail)
