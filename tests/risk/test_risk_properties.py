"""Properties of the full chain (``build_chain``) over random markets, accounts and intents.

DESIGN invariants 2, 4, 5 and 8.

Checked with exact Decimal arithmetic at a precision no realistic number can exhaust.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal, localcontext

from hypothesis import event, given, settings
from hypothesis import strategies as st

from bot.domain import (
    AccountState,
    IntentKind,
    MarketRules,
    OrderIntent,
    OrderType,
    Position,
    RiskContext,
    Side,
    TradingState,
)
from risk.chain import RiskChain
from risk.factory import build_chain
from risk.limits import RiskLimits
from tests.risk.risk_builders import NOW, SYMBOL

EXACT = 200  # digits: every product below is exact

KNOWN_DENIALS = {
    "no_stop",
    "stop_not_below_entry",
    "stop_too_far",
    "below_min_notional",
    "below_min_quantity",
    "insufficient_quote_balance",
    "gross_exposure_cap",
    "asset_concentration_cap",
    "max_open_positions",
    "price_outside_band",
    "no_last_price",
    "stale_market_data",
    "trading_reducing",
    "trading_halted",
    "daily_loss_limit",
    "max_drawdown",
    "loss_streak_cooldown",
    "max_trades_per_day",
    "symbol_cooldown",
}


@dataclass(frozen=True)
class Settings:
    risk_per_trade: Decimal
    max_stop_distance: Decimal
    slippage: Decimal


@st.composite
def markets(draw: st.DrawFn) -> MarketRules:
    step = Decimal(draw(st.sampled_from(["0.00000001", "0.00001", "0.001", "0.1", "1"])))
    return MarketRules(
        symbol=SYMBOL,
        base="BTC",
        quote="USDT",
        tick_size=Decimal(draw(st.sampled_from(["0.00000001", "0.0001", "0.01", "0.1", "0.5", "1", "10"]))),
        step_size=step,
        min_notional=Decimal(draw(st.sampled_from(["0", "1", "5", "10", "100"]))),
        maker_fee=Decimal("0.001"),
        taker_fee=draw(st.decimals(min_value=0, max_value="0.005", places=5)),
        min_quantity=step * draw(st.sampled_from([0, 1, 10])),
    )


@st.composite
def chain_settings(draw: st.DrawFn) -> Settings:
    return Settings(
        risk_per_trade=draw(st.decimals(min_value="0.0001", max_value="0.02", places=4)),
        max_stop_distance=draw(st.decimals(min_value="0.005", max_value="0.5", places=3)),
        slippage=draw(st.decimals(min_value=0, max_value="0.01", places=4)),
    )


@st.composite
def tick_prices(draw: st.DrawFn, market: MarketRules) -> Decimal:
    """A tick-valid price at least 200 ticks above zero, so a stop can sit a few ticks below it."""
    raw = draw(st.decimals(min_value="0.0001", max_value="1000000", places=8))
    return max(market.round_price_down(raw), market.tick_size * 200)


@st.composite
def entries(draw: st.DrawFn) -> tuple[Settings, OrderIntent, RiskContext]:
    settings_ = draw(chain_settings())
    market = draw(markets())
    price = draw(tick_prices(market))
    distance = draw(st.decimals(min_value="0.001", max_value=settings_.max_stop_distance, places=4))
    stop = market.round_price_up(price * (1 - distance))  # up: never further than drawn
    if stop >= price:  # a distance under one tick: the stop goes one tick below (still within 0.5 %)
        stop = price - market.tick_size
    order_type = draw(st.sampled_from([OrderType.LIMIT, OrderType.MARKET]))
    equity = draw(st.decimals(min_value=1, max_value=10_000_000, places=2))
    intent = OrderIntent(
        intent_id="e",
        strategy="prop",
        symbol=SYMBOL,
        side=Side.BUY,
        kind=IntentKind.ENTRY,
        order_type=order_type,
        reference_price=price,
        created_at=NOW,
        reason="prop",
        limit_price=price if order_type is OrderType.LIMIT else None,
        stop_price=stop,
    )
    ctx = RiskContext(
        now=NOW,
        equity=equity,
        quote_currency="USDT",
        free_quote=draw(st.decimals(min_value=0, max_value=equity * 2, places=2)),
        rules=market,
        last_price=price,
    )
    return settings_, intent, ctx


def limits_for(s: Settings) -> RiskLimits:
    """Default limits with the drawn sizing settings."""
    return RiskLimits(
        risk_per_trade=s.risk_per_trade, max_stop_distance=s.max_stop_distance, slippage_allowance=s.slippage
    )


def chain_for(s: Settings) -> RiskChain:
    return build_chain(limits_for(s))


@settings(max_examples=400, deadline=None)
@given(entries())
def test_approved_entries_risk_no_more_than_the_budget_fit_the_balance_and_are_exchange_valid(
    case: tuple[Settings, OrderIntent, RiskContext],
) -> None:
    s, intent, ctx = case
    result = chain_for(s).evaluate(intent, ctx)
    if result.intent is None:
        assert result.decisions[-1].reason in KNOWN_DENIALS, result.decisions[-1]
        event(f"denied: {result.decisions[-1].reason}")
        return
    event("approved")
    approved, rules, fee, slip = result.intent, ctx.rules, ctx.rules.taker_fee, s.slippage
    assert approved.quantity is not None and approved.stop_price is not None
    qty, price, stop = approved.quantity, approved.reference_price, approved.stop_price
    with localcontext(prec=EXACT):
        # (a) realized risk on the size actually sent <= equity x risk_per_trade
        per_unit_loss = price * (1 + slip) * (1 + fee) - stop * (1 - slip) * (1 - fee)
        assert qty * per_unit_loss <= ctx.equity * s.risk_per_trade
        # (b) never costs more than the free quote (a market buy may slip by the allowance)
        worst_price = price if approved.order_type is OrderType.LIMIT else price * (1 + slip)
        assert qty * worst_price * (1 + fee) <= ctx.free_quote
        # (c) exchange-valid
        assert rules.is_step_valid(qty) and qty >= rules.min_quantity
        assert rules.is_tick_valid(stop)
        assert approved.limit_price is None or rules.is_tick_valid(approved.limit_price)
        assert qty * price >= rules.min_notional


def smallest_sellable_units(market: MarketRules, price: Decimal) -> int:
    """The fewest lot steps the exchange accepts at ``price`` (min quantity and min notional)."""
    with localcontext(prec=EXACT, rounding=ROUND_CEILING):
        by_notional = (market.min_notional / (market.step_size * price)).to_integral_value()
        by_quantity = (market.min_quantity / market.step_size).to_integral_value()
    return max(1, int(by_notional), int(by_quantity))


@st.composite
def exits(draw: st.DrawFn) -> tuple[Settings, OrderIntent, RiskContext, Decimal]:
    market = draw(markets())
    price = draw(tick_prices(market))
    step = market.step_size
    fewest = smallest_sellable_units(market, price)
    units = draw(st.integers(min_value=fewest, max_value=fewest + 10**6))
    held = step * units
    dust = step * draw(st.decimals(min_value=0, max_value="0.99", places=2))  # fees paid in the base asset
    asked = draw(
        st.one_of(
            st.none(),
            st.just(held + dust),
            st.integers(1, 10**6).map(lambda extra: held + step * extra),
            st.integers(fewest, units).map(lambda part: step * part),
        )
    )
    sendable = held if asked is None else min(asked, held)
    order_type = draw(st.sampled_from([OrderType.LIMIT, OrderType.MARKET]))
    intent = OrderIntent(
        intent_id="x",
        strategy="prop",
        symbol=SYMBOL,
        side=Side.SELL,
        kind=IntentKind.EXIT,
        order_type=order_type,
        reference_price=price,
        created_at=NOW,
        reason="prop",
        limit_price=price if order_type is OrderType.LIMIT else None,
        quantity=asked,
    )
    ctx = RiskContext(
        now=NOW,
        equity=draw(st.sampled_from([Decimal(0), Decimal(-100), Decimal(10_000)])),
        quote_currency="USDT",
        free_quote=Decimal(0),
        rules=market,
        last_price=price,
        positions={SYMBOL: Position(SYMBOL, held + dust, price, NOW, stop_price=None)},
        trading_state=draw(st.sampled_from(list(TradingState))),
    )
    return draw(chain_settings()), intent, ctx, sendable


@settings(max_examples=300, deadline=None)
@given(exits())
def test_exits_are_always_approved_when_a_sellable_position_exists(
    case: tuple[Settings, OrderIntent, RiskContext, Decimal],
) -> None:
    # (d) even with no free quote, no equity, no stop on the position and any trading state
    s, intent, ctx, sendable = case
    result = chain_for(s).evaluate(intent, ctx)
    assert result.intent is not None, result.decisions[-1]
    assert result.intent.quantity == sendable
    assert ctx.rules.is_step_valid(sendable)


@st.composite
def breaker_limits(draw: st.DrawFn, s: Settings) -> RiskLimits:
    return dataclasses.replace(
        limits_for(s),
        daily_loss_limit=draw(st.decimals(min_value="0.001", max_value="0.5", places=3)),
        max_drawdown=draw(st.decimals(min_value="0.001", max_value="0.9", places=3)),
        max_consecutive_losses=draw(st.integers(1, 5)),
        loss_cooldown=timedelta(minutes=draw(st.integers(0, 600))),
        max_trades_per_day=draw(st.integers(1, 30)),
        symbol_cooldown=timedelta(minutes=draw(st.integers(0, 300))),
    )


def minutes_before_now(draw: st.DrawFn) -> datetime | None:
    minutes = draw(st.one_of(st.none(), st.integers(0, 1000)))
    return None if minutes is None else NOW - timedelta(minutes=minutes)


@st.composite
def accounts(draw: st.DrawFn, equity: Decimal) -> AccountState | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    start = draw(st.decimals(min_value=0, max_value=max(equity * 2, Decimal(1)), places=2))
    stopped = minutes_before_now(draw)
    return AccountState(
        day_start_equity=start,
        peak_equity=start + draw(st.decimals(min_value=0, max_value=max(equity, Decimal(1)), places=2)),
        consecutive_losses=draw(st.integers(0, 6)),
        last_loss_at=minutes_before_now(draw),
        entries_today=draw(st.integers(0, 31)),
        last_stop_out={} if stopped is None else {SYMBOL: stopped},
    )


def a_breaker_holds(ctx: RiskContext, limits: RiskLimits) -> bool:
    """Written out independently of ``risk.breakers``: when must every entry be refused?"""
    account = ctx.account
    if account is None:
        return False
    with localcontext(prec=EXACT):
        start, peak = account.day_start_equity, account.peak_equity
        daily = start > 0 and (start - ctx.equity) / start >= limits.daily_loss_limit
        drawdown = peak > 0 and (peak - ctx.equity) / peak >= limits.max_drawdown
    streak = (
        account.consecutive_losses >= limits.max_consecutive_losses
        and account.last_loss_at is not None
        and ctx.now - account.last_loss_at < limits.loss_cooldown
    )
    stopped = account.last_stop_out.get(SYMBOL)
    cooling = stopped is not None and ctx.now - stopped < limits.symbol_cooldown
    busy = account.entries_today >= limits.max_trades_per_day
    return daily or drawdown or streak or cooling or busy


@settings(max_examples=400, deadline=None)
@given(entries(), st.data())
def test_no_entry_is_approved_while_a_breaker_holds_or_trading_is_not_active(
    case: tuple[Settings, OrderIntent, RiskContext], data: st.DataObject
) -> None:
    s, intent, ctx = case
    limits = data.draw(breaker_limits(s))
    ctx = dataclasses.replace(
        ctx,
        account=data.draw(accounts(ctx.equity)),
        trading_state=data.draw(st.sampled_from(list(TradingState))),
    )
    result = build_chain(limits).evaluate(intent, ctx)
    must_refuse = ctx.trading_state is not TradingState.ACTIVE or a_breaker_holds(ctx, limits)
    event(f"must refuse: {must_refuse}, approved: {result.approved}")
    if must_refuse:
        assert result.intent is None, result.decisions
    if result.intent is None:
        assert result.decisions[-1].reason in KNOWN_DENIALS, result.decisions[-1]


@settings(max_examples=300, deadline=None)
@given(exits(), st.data())
def test_exits_pass_every_breaker_stale_data_and_a_gapped_price_when_a_sellable_position_exists(
    case: tuple[Settings, OrderIntent, RiskContext, Decimal], data: st.DataObject
) -> None:
    s, intent, ctx, sendable = case
    limits = data.draw(breaker_limits(s))
    gap = data.draw(st.sampled_from(["1", "0.5", "2", "0.01"]))  # the market may have gapped far away
    ctx = dataclasses.replace(
        ctx,
        account=data.draw(accounts(Decimal(10_000))),
        last_price=ctx.last_price * Decimal(gap),
        last_candle_close=data.draw(st.sampled_from([None, NOW - timedelta(days=3)])),
        timeframe_seconds=data.draw(st.sampled_from([0, 60, 3600])),
    )
    result = build_chain(limits).evaluate(intent, ctx)
    assert result.intent is not None, result.decisions[-1]
    assert result.intent.quantity == sendable
