"""Builders for risk tests: intents, contexts and market rules with readable defaults (strings -> Decimal)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.domain import (
    AccountState,
    IntentKind,
    MarketRules,
    Order,
    OrderIntent,
    OrderPurpose,
    OrderType,
    Position,
    RiskContext,
    Side,
    TradingState,
)

NOW = datetime(2024, 1, 1, 12, tzinfo=UTC)
SYMBOL = "BTC/USDT"


def rules(
    tick: str = "0.01",
    step: str = "0.001",
    min_notional: str = "5",
    fee: str = "0.001",
    min_quantity: str = "0",
    symbol: str = SYMBOL,
) -> MarketRules:
    base, quote = symbol.split("/")
    return MarketRules(
        symbol=symbol,
        base=base,
        quote=quote,
        tick_size=Decimal(tick),
        step_size=Decimal(step),
        min_notional=Decimal(min_notional),
        maker_fee=Decimal(fee),
        taker_fee=Decimal(fee),
        min_quantity=Decimal(min_quantity),
    )


def entry(
    price: str | Decimal = "100",
    stop: str | Decimal | None = "95",
    quantity: str | Decimal | None = None,
    order_type: OrderType = OrderType.LIMIT,
    side: Side = Side.BUY,
) -> OrderIntent:
    return OrderIntent(
        intent_id="entry-1",
        strategy="test",
        symbol=SYMBOL,
        side=side,
        kind=IntentKind.ENTRY,
        order_type=order_type,
        reference_price=Decimal(price),
        created_at=NOW,
        reason="test_entry",
        limit_price=Decimal(price) if order_type is OrderType.LIMIT else None,
        stop_price=None if stop is None else Decimal(stop),
        quantity=None if quantity is None else Decimal(quantity),
    )


def exit_(
    quantity: str | Decimal | None = "1",
    price: str | Decimal = "100",
    order_type: OrderType = OrderType.MARKET,
) -> OrderIntent:
    return OrderIntent(
        intent_id="exit-1",
        strategy="test",
        symbol=SYMBOL,
        side=Side.SELL,
        kind=IntentKind.EXIT,
        order_type=order_type,
        reference_price=Decimal(price),
        created_at=NOW,
        reason="test_exit",
        limit_price=Decimal(price) if order_type is OrderType.LIMIT else None,
        quantity=None if quantity is None else Decimal(quantity),
    )


def position(quantity: str | Decimal = "1", price: str | Decimal = "100") -> Position:
    return Position(
        SYMBOL, Decimal(quantity), Decimal(price), NOW, stop_price=Decimal(price) * Decimal("0.9")
    )


def context(
    equity: str | Decimal = "10000",
    free_quote: str | Decimal | None = None,
    market: MarketRules | None = None,
    held: Position | None = None,
    last_price: str | Decimal = "100",
    trading_state: TradingState = TradingState.ACTIVE,
) -> RiskContext:
    return RiskContext(
        now=NOW,
        equity=Decimal(equity),
        quote_currency="USDT",
        free_quote=Decimal(equity if free_quote is None else free_quote),
        rules=market if market is not None else rules(),
        last_price=Decimal(last_price),
        positions={SYMBOL: held} if held is not None else {},
        trading_state=trading_state,
    )


def account(
    day_start: str | Decimal = "10000",
    peak: str | Decimal | None = None,
    losses: int = 0,
    last_loss_at: datetime | None = None,
    entries_today: int = 0,
    last_stop_out: dict[str, datetime] | None = None,
) -> AccountState:
    return AccountState(
        day_start_equity=Decimal(day_start),
        peak_equity=Decimal(day_start if peak is None else peak),
        consecutive_losses=losses,
        last_loss_at=last_loss_at,
        entries_today=entries_today,
        last_stop_out=last_stop_out or {},
    )


def resting_buy(
    quantity: str | Decimal = "1", price: str | Decimal = "100", symbol: str = SYMBOL, filled: str = "0"
) -> Order:
    return Order(
        client_order_id=f"sb-{symbol}",
        intent_id="resting",
        symbol=symbol,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        purpose=OrderPurpose.ENTRY,
        quantity=Decimal(quantity),
        created_at=NOW,
        price=Decimal(price),
        filled_quantity=Decimal(filled),
    )
