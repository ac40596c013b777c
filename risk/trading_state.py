"""The trading state machine: when the bot moves between ACTIVE, REDUCING and HALTED by itself.

``next_status(current, account, equity, now, limits)`` is pure; the engine calls it every tick with the
account state and equity (open positions at market) and records a returned status as an audited event.
It returns ``None`` when nothing changes. The rules, in order:

1. HALTED is final here: this function never leaves HALTED (only a human resumes), so it returns None.
2. Drawdown from ``account.peak_equity`` >= ``limits.max_drawdown`` -> HALTED ``"max_drawdown"``, from
   ACTIVE or REDUCING (whatever the REDUCING reason).
3. ACTIVE and the loss from ``account.day_start_equity`` >= ``limits.daily_loss_limit`` -> REDUCING
   ``"daily_loss_limit"``.
4. REDUCING with reason ``"daily_loss_limit"`` and ``now``'s UTC date later than ``since``'s UTC date ->
   ACTIVE ``"new_utc_day"`` -- unless today's loss (from the account's ``day_start_equity``) is again at
   the limit, in which case it stays REDUCING (no flapping between ticks).
5. Any other REDUCING reason (set by a human, reconciliation, ...) is left alone.

Losses are measured exactly (``reference - equity >= limit x reference``) and a non-positive reference
equity measures nothing, as in ``risk.breakers``. In every state exits and stops keep working: the
states only gate entries (``risk.trading_state_guard``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.domain import AccountState, TradingState, TradingStatus
from risk.breakers import loss_reached
from risk.limits import RiskLimits

DAILY_LOSS = "daily_loss_limit"
MAX_DRAWDOWN = "max_drawdown"
NEW_UTC_DAY = "new_utc_day"


def next_status(
    current: TradingStatus, account: AccountState, equity: Decimal, now: datetime, limits: RiskLimits
) -> TradingStatus | None:
    """The status the bot should move to now, or None to stay as it is (see the module docstring)."""
    if current.state is TradingState.HALTED:
        return None
    if loss_reached(account.peak_equity, equity, limits.max_drawdown):
        return TradingStatus(TradingState.HALTED, MAX_DRAWDOWN, now)
    daily_loss = loss_reached(account.day_start_equity, equity, limits.daily_loss_limit)
    if current.state is TradingState.ACTIVE:
        return TradingStatus(TradingState.REDUCING, DAILY_LOSS, now) if daily_loss else None
    if current.reason == DAILY_LOSS and _utc_date(now) > _utc_date(current.since) and not daily_loss:
        return TradingStatus(TradingState.ACTIVE, NEW_UTC_DAY, now)
    return None


def _utc_date(moment: datetime) -> date:
    """The UTC calendar date of ``moment`` (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()
