"""Risk decisions and what a guard is given to decide on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.domain.market import MarketRules
from bot.domain.orders import Order
from bot.domain.portfolio import Position


class Verdict(StrEnum):
    APPROVED = "approved"
    RESIZED = "resized"  # approved with a smaller quantity (guards only ever resize down)
    DENIED = "denied"


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"  # exits only
    HALTED = "halted"  # nothing new; stops and exits still work


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """One guard's verdict on one intent. A denial is data with a reason code, never an exception."""

    intent_id: str
    guard: str
    verdict: Verdict
    reason: str  # short machine-readable code, e.g. "ok", "no_stop", "below_min_notional"
    quantity_before: Decimal | None
    quantity_after: Decimal | None
    decided_at: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything a guard may look at. Guards are pure functions of the intent and this context."""

    now: datetime
    equity: Decimal  # cash + open positions at market, in the quote currency
    quote_currency: str
    free_quote: Decimal  # free (unlocked) quote balance
    rules: MarketRules
    last_price: Decimal
    positions: Mapping[str, Position] = field(default_factory=dict)
    open_orders: tuple[Order, ...] = ()
    trading_state: TradingState = TradingState.ACTIVE
    prices: Mapping[str, Decimal] = field(default_factory=dict)  # last price per symbol, for exposure
