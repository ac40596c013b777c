"""Intents, orders, order events and fills."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class IntentKind(StrEnum):
    ENTRY = "entry"  # opens or adds to a position: must carry a stop, passes every guard
    EXIT = "exit"  # reduces or closes a position: always passes the guards that could trap a user


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"
    STOP_MARKET = "stop_market"  # triggers at stop_price, then fills as a market order
    STOP_LIMIT = "stop_limit"  # triggers at stop_price, then rests at price (Binance STOP_LOSS_LIMIT)


class OrderPurpose(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"
    STOP = "stop"
    TAKE_PROFIT = "take_profit"  # a sell limit paired one-cancels-other with the position's stop


class OrderStatus(StrEnum):
    PENDING = "pending"  # persisted, not yet acknowledged by the venue
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # sent, outcome unknown: must be looked up by client order id

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


def make_intent_id(*parts: object) -> str:
    """A deterministic intent id from what identifies the decision (bot, strategy, symbol, candle, kind).

    The same decision on the same candle after a restart gets the same id, so it is never sent twice.
    """
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return digest[:24]


_PURPOSE_LETTER = {
    OrderPurpose.ENTRY: "n",
    OrderPurpose.EXIT: "x",
    OrderPurpose.STOP: "s",
    OrderPurpose.TAKE_PROFIT: "t",
}


def client_order_id_for(intent_id: str, purpose: OrderPurpose, attempt: int = 0) -> str:
    """Deterministic client order id: ``sb`` + intent id + purpose letter + attempt (Binance-safe, <= 36).

    One intent may own several orders (its entry, the stops protecting it, a forced exit), each with its
    own letter; ``attempt`` numbers replacements (a stop re-placed after the position grew).
    """
    return f"sb{intent_id}{_PURPOSE_LETTER[purpose]}{attempt}"


def attempt_of(order: Order) -> int:
    """The ``attempt`` number in an order's client order id (0 if the id was not made here)."""
    prefix = f"sb{order.intent_id}{_PURPOSE_LETTER[order.purpose]}"
    suffix = order.client_order_id.removeprefix(prefix)
    return int(suffix) if suffix != order.client_order_id and suffix.isdigit() else 0


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """What a strategy wants. Entries carry a stop; ``quantity`` is ``None`` until the risk chain sizes it.

    ``reference_price`` is the price the strategy decided on (the last close), used for sizing; for
    limit intents ``limit_price`` is the price to rest at.
    """

    intent_id: str
    strategy: str
    symbol: str
    side: Side
    kind: IntentKind
    order_type: OrderType
    reference_price: Decimal
    created_at: datetime
    reason: str
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the bot tracks it. ``client_order_id`` is ours and unique; the venue's id comes later."""

    client_order_id: str
    intent_id: str
    symbol: str
    side: Side
    order_type: OrderType
    purpose: OrderPurpose
    quantity: Decimal
    created_at: datetime
    price: Decimal | None = None
    stop_price: Decimal | None = None
    status: OrderStatus = OrderStatus.PENDING
    exchange_order_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    average_fill_price: Decimal | None = None
    # One-cancels-other: the client order id of the order this one is paired with (a take-profit names
    # its stop). The venue cancels the other when either fills or is cancelled; the pair shares the lock
    # the stop holds on the base balance. Not stored in the audit DB.
    oco_with: str | None = None

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One state change of an order (append-only history)."""

    client_order_id: str
    status: OrderStatus
    occurred_at: datetime
    detail: str = ""
    exchange_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution reported by the venue; unique per (venue, trade_id).

    ``fee`` is in ``fee_currency``, which is wherever the venue took it: Binance takes a buy's fee from the
    base asset bought (unless fees are paid in BNB), a sell's from the quote received. What the account
    really holds, and what the fee costs in the quote currency, follow from that (DESIGN invariant 11).
    ``exchange_order_id`` is the venue's id of the order that traded (two venue orders under one client
    order id are a duplicate).
    """

    venue: str
    trade_id: str
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    occurred_at: datetime
    exchange_order_id: str | None = None

    @property
    def notional(self) -> Decimal:
        return self.price * self.quantity

    @property
    def base(self) -> str:
        return self.symbol.partition("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.partition("/")[2]

    @property
    def base_fee(self) -> Decimal:
        """The part of the fee taken in the base asset (it comes out of the coins held)."""
        return self.fee if self.fee_currency == self.base else _ZERO

    @property
    def fee_in_quote(self) -> Decimal:
        """The fee valued in the quote currency: at the fill price when taken in the base asset; zero when
        taken in a third currency (BNB), which leaves both the quote and the base balance untouched."""
        if self.fee_currency == self.quote:
            return self.fee
        return self.fee * self.price if self.fee_currency == self.base else _ZERO

    @property
    def held_change(self) -> Decimal:
        """How much the account's base holdings changed: a buy adds the quantity less a fee taken in the
        coin (0.07692 bought, 0.00007692 fee: 0.07684308 held); a sell removes the quantity (and such a
        fee)."""
        signed = self.quantity if self.side is Side.BUY else -self.quantity
        return signed - self.base_fee


_ZERO = Decimal(0)
