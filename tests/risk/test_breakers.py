"""Circuit breakers and the trading state guard deny entries; exits always pass (DESIGN invariant 8)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.domain import RiskContext, TradingState, Verdict
from risk.base import RiskGuard
from risk.breakers import (
    DailyLossBreaker,
    DrawdownBreaker,
    LossStreakBreaker,
    SymbolCooldown,
    TradesPerDayBreaker,
)
from risk.trading_state_guard import TradingStateGuard
from tests.risk.risk_builders import NOW, SYMBOL, account, context, entry, exit_, position


def with_account(equity: str = "10000", **kwargs: Any) -> RiskContext:
    return dataclasses.replace(context(equity, held=position("1")), account=account(**kwargs))


def test_entries_are_denied_while_reducing_or_halted() -> None:
    guard = TradingStateGuard()
    reducing = guard.check(entry(), context(trading_state=TradingState.REDUCING))
    halted = guard.check(entry(), context(trading_state=TradingState.HALTED))
    assert (reducing.verdict, reducing.reason) == (Verdict.DENIED, "trading_reducing")
    assert (halted.verdict, halted.reason) == (Verdict.DENIED, "trading_halted")
    assert guard.check(entry(), context()).verdict is Verdict.APPROVED


def test_a_loss_of_exactly_the_daily_limit_denies_entries() -> None:
    breaker = DailyLossBreaker(Decimal("0.03"))
    outcome = breaker.check(entry(), with_account("9700", day_start="10000"))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "daily_loss_limit")
    assert "3.00% below the day's start 10000.00" in outcome.detail


def test_a_loss_just_under_the_daily_limit_is_approved() -> None:
    outcome = DailyLossBreaker(Decimal("0.03")).check(entry(), with_account("9700.01", day_start="10000"))
    assert outcome.verdict is Verdict.APPROVED


def test_a_drawdown_of_ten_percent_from_the_peak_denies_entries_even_if_the_day_is_green() -> None:
    ctx = with_account("10800", day_start="10000", peak="12000")
    outcome = DrawdownBreaker(Decimal("0.10")).check(entry(), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "max_drawdown")
    assert DailyLossBreaker(Decimal("0.03")).check(entry(), ctx).verdict is Verdict.APPROVED


def test_a_drawdown_under_the_limit_is_approved() -> None:
    ctx = with_account("10801", peak="12000")
    assert DrawdownBreaker(Decimal("0.10")).check(entry(), ctx).verdict is Verdict.APPROVED


def test_three_losses_in_a_row_deny_entries_during_the_cooldown() -> None:
    breaker = LossStreakBreaker(3, timedelta(hours=4))
    ctx = with_account(losses=3, last_loss_at=NOW - timedelta(hours=3, minutes=59))
    outcome = breaker.check(entry(), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "loss_streak_cooldown")


def test_a_loss_streak_is_forgiven_once_the_cooldown_has_passed() -> None:
    breaker = LossStreakBreaker(3, timedelta(hours=4))
    assert breaker.check(entry(), with_account(losses=5, last_loss_at=NOW - timedelta(hours=4))).verdict is (
        Verdict.APPROVED
    )
    assert breaker.check(entry(), with_account(losses=2, last_loss_at=NOW)).verdict is Verdict.APPROVED


def test_the_twentieth_entry_of_the_day_is_the_last() -> None:
    breaker = TradesPerDayBreaker(20)
    assert breaker.check(entry(), with_account(entries_today=19)).verdict is Verdict.APPROVED
    outcome = breaker.check(entry(), with_account(entries_today=20))
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "max_trades_per_day")


def test_a_symbol_stopped_out_recently_is_cooling_down_other_symbols_are_not() -> None:
    breaker = SymbolCooldown(timedelta(hours=1))
    recent = with_account(last_stop_out={SYMBOL: NOW - timedelta(minutes=30)})
    outcome = breaker.check(entry(), recent)
    assert (outcome.verdict, outcome.reason) == (Verdict.DENIED, "symbol_cooldown")
    other = with_account(last_stop_out={"ETH/USDT": NOW})
    assert breaker.check(entry(), other).verdict is Verdict.APPROVED
    old = with_account(last_stop_out={SYMBOL: NOW - timedelta(hours=1)})
    assert breaker.check(entry(), old).verdict is Verdict.APPROVED


TRIPPED: list[tuple[RiskGuard, RiskContext]] = [
    (TradingStateGuard(), context(trading_state=TradingState.HALTED, held=position("1"))),
    (DailyLossBreaker(Decimal("0.03")), with_account("5000", day_start="10000")),
    (DrawdownBreaker(Decimal("0.10")), with_account("5000", peak="20000")),
    (LossStreakBreaker(3, timedelta(hours=4)), with_account(losses=9, last_loss_at=NOW)),
    (TradesPerDayBreaker(1), with_account(entries_today=99)),
    (SymbolCooldown(timedelta(hours=1)), with_account(last_stop_out={SYMBOL: NOW})),
]


@pytest.mark.parametrize(("guard", "ctx"), TRIPPED, ids=[type(g).__name__ for g, _ in TRIPPED])
def test_a_tripped_breaker_denies_entries_but_lets_exits_through(guard: RiskGuard, ctx: RiskContext) -> None:
    assert guard.check(entry(), ctx).verdict is Verdict.DENIED
    outcome = guard.check(exit_("1"), ctx)
    assert (outcome.verdict, outcome.reason) == (Verdict.APPROVED, "exit_always_passes")


@pytest.mark.parametrize(("guard", "ctx"), TRIPPED[1:], ids=[type(g).__name__ for g, _ in TRIPPED[1:]])
def test_breakers_approve_while_no_account_state_is_known(guard: RiskGuard, ctx: RiskContext) -> None:
    unknown = dataclasses.replace(ctx, account=None)
    assert guard.check(entry(), unknown).verdict is Verdict.APPROVED


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: DailyLossBreaker(Decimal(0)), "daily_loss_limit"),
        (lambda: DrawdownBreaker(Decimal(1)), "max_drawdown"),
        (lambda: LossStreakBreaker(0, timedelta(0)), "max_consecutive_losses"),
        (lambda: LossStreakBreaker(1, timedelta(seconds=-1)), "loss_cooldown"),
        (lambda: TradesPerDayBreaker(0), "max_trades_per_day"),
        (lambda: SymbolCooldown(timedelta(seconds=-1)), "symbol_cooldown"),
    ],
)
def test_breakers_reject_bad_limits_naming_them(make: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make()
