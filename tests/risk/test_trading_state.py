"""The trading state machine: a crash reduces, a new UTC day reactivates, a deep drawdown halts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from bot.domain import TradingState, TradingStatus
from risk.factory import build_chain
from risk.limits import RiskLimits
from risk.trading_state import next_status
from tests.risk.risk_builders import account, context, entry, exit_, position

LIMITS = RiskLimits()  # daily loss 3 %, max drawdown 10 %
MORNING = datetime(2024, 1, 1, 9, tzinfo=UTC)
ACTIVE = TradingStatus(TradingState.ACTIVE, "start", MORNING)


def test_a_quiet_day_changes_nothing() -> None:
    assert next_status(ACTIVE, account("10000"), Decimal("9800"), MORNING, LIMITS) is None


def test_a_crash_past_the_daily_loss_limit_makes_the_bot_reduce() -> None:
    now = MORNING + timedelta(hours=3)
    status = next_status(ACTIVE, account("10000"), Decimal("9700"), now, LIMITS)
    assert status == TradingStatus(TradingState.REDUCING, "daily_loss_limit", now)


def test_reducing_stays_reducing_for_the_rest_of_the_utc_day() -> None:
    reducing = TradingStatus(TradingState.REDUCING, "daily_loss_limit", MORNING)
    late = datetime(2024, 1, 1, 23, 59, 59, tzinfo=UTC)
    assert next_status(reducing, account("10000"), Decimal("9999"), late, LIMITS) is None


def test_the_next_utc_day_makes_a_daily_loss_reduction_active_again() -> None:
    reducing = TradingStatus(TradingState.REDUCING, "daily_loss_limit", MORNING)
    midnight = datetime(2024, 1, 2, tzinfo=UTC)
    status = next_status(reducing, account("9700"), Decimal("9700"), midnight, LIMITS)
    assert status == TradingStatus(TradingState.ACTIVE, "new_utc_day", midnight)


def test_the_utc_day_counts_not_the_local_one() -> None:
    reducing = TradingStatus(TradingState.REDUCING, "daily_loss_limit", MORNING)
    # 2024-01-02 01:00 in UTC+3 is still 2024-01-01 22:00 UTC
    local = datetime(2024, 1, 2, 1, tzinfo=timezone(timedelta(hours=3)))
    assert next_status(reducing, account("9700"), Decimal("9700"), local, LIMITS) is None


def test_a_new_day_still_at_the_loss_limit_stays_reducing() -> None:
    reducing = TradingStatus(TradingState.REDUCING, "daily_loss_limit", MORNING)
    tomorrow = MORNING + timedelta(days=1)
    assert next_status(reducing, account("10000"), Decimal("9650"), tomorrow, LIMITS) is None


def test_a_reduction_for_another_reason_is_left_to_a_human() -> None:
    reducing = TradingStatus(TradingState.REDUCING, "reconciliation_mismatch", MORNING)
    assert (
        next_status(reducing, account("10000"), Decimal("10000"), MORNING + timedelta(days=3), LIMITS) is None
    )


def test_a_deep_drawdown_halts_and_stays_halted_the_next_day() -> None:
    now = MORNING + timedelta(hours=1)
    halted = next_status(ACTIVE, account("10000", peak="12000"), Decimal("10800"), now, LIMITS)
    assert halted == TradingStatus(TradingState.HALTED, "max_drawdown", now)
    recovered = account("12000", peak="12000")
    assert next_status(halted, recovered, Decimal("12500"), now + timedelta(days=1), LIMITS) is None


def test_a_drawdown_while_reducing_halts() -> None:
    reducing = TradingStatus(TradingState.REDUCING, "daily_loss_limit", MORNING)
    status = next_status(reducing, account("10000"), Decimal("9000"), MORNING, LIMITS)
    assert status is not None and (status.state, status.reason) == (TradingState.HALTED, "max_drawdown")


def test_a_crash_deep_enough_for_both_limits_halts_rather_than_reduces() -> None:
    status = next_status(ACTIVE, account("10000"), Decimal("8900"), MORNING, LIMITS)
    assert status is not None and status.state is TradingState.HALTED


def test_the_full_chain_denies_entries_but_sells_the_position_after_a_crash() -> None:
    chain = build_chain(LIMITS)
    crashed = dataclasses.replace(
        context("8000", held=position("1")),
        account=account("10000", peak="12000", losses=5, last_loss_at=MORNING, entries_today=50),
        trading_state=TradingState.HALTED,
    )
    denied = chain.evaluate(entry(), crashed)
    assert denied.intent is None and denied.decisions[-1].reason == "trading_halted"
    sold = chain.evaluate(exit_("1"), crashed)
    assert sold.intent is not None and sold.intent.quantity == Decimal("1")


def test_the_full_chain_denies_an_entry_on_a_tripped_breaker_before_the_state_has_changed() -> None:
    ctx = dataclasses.replace(context("9600", held=position("1")), account=account("10000"))
    result = build_chain(LIMITS).evaluate(entry(), ctx)
    assert result.intent is None and result.decisions[-1].reason == "daily_loss_limit"
    assert [d.guard for d in result.decisions] == ["trading_state", "daily_loss"]
