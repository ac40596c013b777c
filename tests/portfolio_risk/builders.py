"""Hand-made portfolios for the portfolio-risk guards: BTC-quoted symbols, positions, returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.domain import IntentKind, MarketRules, OrderIntent, OrderType, Position, RiskContext, Side
from bot.domain.risk import ReturnHistory, ReturnsSpec

NOW = datetime(2018, 1, 20, 12, tzinfo=UTC)
SPEC = ReturnsSpec("5m", timedelta(days=4))


def rules(symbol: str, step: str = "0.001", min_notional: str = "0.0001") -> MarketRules:
    base, quote = symbol.split("/")
    return MarketRules(
        symbol=symbol, base=base, quote=quote, tick_size=Decimal("0.00000001"), step_size=Decimal(step),
        min_notional=Decimal(min_notional), maker_fee=Decimal("0.001"), taker_fee=Decimal("0.001"),
    )  # fmt: skip


def entry(symbol: str, quantity: str, price: str = "1") -> OrderIntent:
    return OrderIntent(
        intent_id=f"entry-{symbol}", strategy="test", symbol=symbol, side=Side.BUY, kind=IntentKind.ENTRY,
        order_type=OrderType.LIMIT, reference_price=Decimal(price), created_at=NOW, reason="test_entry",
        limit_price=Decimal(price), stop_price=Decimal(price) * Decimal("0.9"), quantity=Decimal(quantity),
    )  # fmt: skip


def exit_(symbol: str, quantity: str, price: str = "1") -> OrderIntent:
    return OrderIntent(
        intent_id=f"exit-{symbol}", strategy="test", symbol=symbol, side=Side.SELL, kind=IntentKind.EXIT,
        order_type=OrderType.MARKET, reference_price=Decimal(price), created_at=NOW, reason="test_exit",
        quantity=Decimal(quantity),
    )  # fmt: skip


def history(
    returns: Mapping[str, Sequence[float]], short: Mapping[str, int] | None = None, needed: int = 2
) -> ReturnHistory:
    return ReturnHistory(
        as_of=NOW, lookback=SPEC.lookback, returns={s: tuple(r) for s, r in returns.items()},
        short=dict(short or {}), needed=needed,
    )  # fmt: skip


def context(
    symbol: str,
    held: Mapping[str, str],
    returns: ReturnHistory | None,
    equity: str = "1",
    prices: Mapping[str, str] | None = None,
    step: str = "0.001",
    min_notional: str = "0.0001",
) -> RiskContext:
    """The context of an entry on ``symbol``: ``held`` quantities (bought at 1), last prices (default 1)."""
    marks = {s: Decimal(p) for s, p in (prices or {}).items()}
    positions = {
        s: Position(s, Decimal(q), Decimal(1), NOW, stop_price=Decimal("0.9")) for s, q in held.items()
    }
    return RiskContext(
        now=NOW, equity=Decimal(equity), quote_currency="BTC", free_quote=Decimal(equity),
        rules=rules(symbol, step, min_notional), last_price=marks.get(symbol, Decimal(1)),
        positions=positions, prices={s: marks.get(s, Decimal(1)) for s in {*held, symbol}}, returns=returns,
    )  # fmt: skip
