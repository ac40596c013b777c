"""The domain: frozen dataclasses with Decimal money. Standard library only."""

from bot.domain.errors import (
    BrokerError,
    FatalBrokerError,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    OutcomeUnknown,
    RetryLater,
)
from bot.domain.market import TIMEFRAME_SECONDS, Candle, MarketRules, decimal_from_float, timeframe_ms
from bot.domain.orders import (
    Fill,
    IntentKind,
    Liquidity,
    Order,
    OrderEvent,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    OrderType,
    Side,
    client_order_id_for,
    make_intent_id,
)
from bot.domain.portfolio import Balance, EquitySnapshot, Position
from bot.domain.risk import RiskContext, RiskDecision, TradingState, Verdict

__all__ = [
    "TIMEFRAME_SECONDS",
    "Balance",
    "BrokerError",
    "Candle",
    "EquitySnapshot",
    "FatalBrokerError",
    "Fill",
    "InsufficientFunds",
    "IntentKind",
    "InvalidOrder",
    "Liquidity",
    "MarketRules",
    "Order",
    "OrderEvent",
    "OrderIntent",
    "OrderNotFound",
    "OrderPurpose",
    "OrderRejected",
    "OrderStatus",
    "OrderType",
    "OutcomeUnknown",
    "Position",
    "RetryLater",
    "RiskContext",
    "RiskDecision",
    "Side",
    "TradingState",
    "Verdict",
    "client_order_id_for",
    "decimal_from_float",
    "make_intent_id",
    "timeframe_ms",
]
