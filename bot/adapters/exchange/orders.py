"""ccxt orders and trades -> domain Orders and Fills.

Exact values come from the venue's own strings in ``info`` when present (Binance: ``executedQty``,
``cummulativeQuoteQty``, ``qty``, ``commission``), else from ccxt's unified floats.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.adapters.exchange.convert import first_decimal, timestamp, to_decimal
from bot.domain import Fill, KeyPermissions, Liquidity, Order, OrderPurpose, OrderStatus, OrderType, Side
from bot.domain.clock import EPOCH

_CLIENT_ID = re.compile(r"^sb(?P<intent>[0-9a-f]{24})(?P<letter>[nxst])(?P<attempt>\d+)$")
_PURPOSE_BY_LETTER = {
    "n": OrderPurpose.ENTRY,
    "x": OrderPurpose.EXIT,
    "s": OrderPurpose.STOP,
    "t": OrderPurpose.TAKE_PROFIT,
}
_STATUS = {
    "open": OrderStatus.OPEN,
    "canceling": OrderStatus.OPEN,  # Binance PENDING_CANCEL: still working until confirmed
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}
_VENUE_TYPE = {
    "LIMIT": OrderType.LIMIT,
    "LIMIT_MAKER": OrderType.LIMIT,
    "TAKE_PROFIT_LIMIT": OrderType.LIMIT,
    "MARKET": OrderType.MARKET,
    "TAKE_PROFIT": OrderType.MARKET,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
    "STOP_LOSS": OrderType.STOP_MARKET,
}


def client_order_id_of(raw: Any) -> str | None:
    """Our client order id of a ccxt order. After a cancel, ccxt's ``clientOrderId`` is the cancel
    request's id and the original is ``info.origClientOrderId`` (notes §1), so that one wins."""
    info = raw.get("info") or {}
    return info.get("origClientOrderId") or raw.get("clientOrderId") or info.get("clientOrderId")


def status_of(raw: Any, filled: Decimal) -> OrderStatus:
    status = _STATUS.get(str(raw.get("status") or "").lower(), OrderStatus.UNKNOWN)
    if status is OrderStatus.OPEN and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return status


def filled_and_average(raw: Any) -> tuple[Decimal, Decimal | None]:
    info = raw.get("info") or {}
    filled = first_decimal(info.get("executedQty"), raw.get("filled")) or Decimal(0)
    quote = to_decimal(info.get("cummulativeQuoteQty"))
    if filled > 0 and quote is not None and quote > 0:
        return filled, quote / filled
    average = to_decimal(raw.get("average"))
    return filled, (average if filled > 0 and average else None)


def order_from_ccxt(raw: Any, *, known: Order | None, client_order_id: str, now: datetime) -> Order:
    """A domain Order for ``raw``: ``known`` (the order as we sent it) with the venue's progress, or,
    for an order we never saw (placed before a restart), one rebuilt from the venue's fields."""
    filled, average = filled_and_average(raw)
    status = status_of(raw, filled)
    venue_id = str(raw["id"]) if raw.get("id") is not None else None
    if known is not None:
        return replace(
            known,
            status=status,
            exchange_order_id=venue_id or known.exchange_order_id,
            filled_quantity=filled,
            average_fill_price=average,
        )
    info = raw.get("info") or {}
    return Order(
        client_order_id=client_order_id,
        intent_id=intent_id_of(client_order_id),
        symbol=str(raw.get("symbol")),
        side=Side(str(raw.get("side")).lower()),
        order_type=order_type_of(raw),
        purpose=purpose_of(client_order_id, raw),
        quantity=first_decimal(info.get("origQty"), raw.get("amount")) or Decimal(0),
        created_at=timestamp(raw.get("timestamp"), now),
        price=_positive(first_decimal(info.get("price"), raw.get("price"))),
        stop_price=_positive(first_decimal(info.get("stopPrice"), raw.get("triggerPrice"))),
        status=status,
        exchange_order_id=venue_id,
        filled_quantity=filled,
        average_fill_price=average,
    )


def order_type_of(raw: Any) -> OrderType:
    venue_type = str((raw.get("info") or {}).get("type") or "").upper()
    if venue_type in _VENUE_TYPE:
        return _VENUE_TYPE[venue_type]
    trigger = raw.get("triggerPrice") or raw.get("stopPrice")
    if raw.get("type") == "market":
        return OrderType.STOP_MARKET if trigger else OrderType.MARKET
    return OrderType.STOP_LIMIT if trigger else OrderType.LIMIT


def intent_id_of(client_order_id: str) -> str:
    """The intent id inside a client order id made by ``client_order_id_for`` ("" for a foreign id)."""
    match = _CLIENT_ID.match(client_order_id)
    return match["intent"] if match else ""


def purpose_of(client_order_id: str, raw: Any) -> OrderPurpose:
    match = _CLIENT_ID.match(client_order_id)
    if match:
        return _PURPOSE_BY_LETTER[match["letter"]]
    if order_type_of(raw) in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET):
        return OrderPurpose.STOP
    return OrderPurpose.ENTRY if str(raw.get("side")).lower() == "buy" else OrderPurpose.EXIT


def fill_from_trade(trade: Any, *, venue: str, client_order_id: str, default_fee_currency: str) -> Fill:
    """A Fill for one ccxt trade (``fetch_my_trades``)."""
    info = trade.get("info") or {}
    fee = trade.get("fee") or {}
    liquidity = Liquidity.MAKER if trade.get("takerOrMaker") == "maker" else Liquidity.TAKER
    if trade.get("takerOrMaker") is None and "isMaker" in info:
        liquidity = Liquidity.MAKER if info["isMaker"] in (True, "true") else Liquidity.TAKER
    return Fill(
        venue=venue,
        trade_id=str(trade["id"]),
        client_order_id=client_order_id,
        symbol=str(trade["symbol"]),
        side=Side(str(trade["side"]).lower()),
        price=first_decimal(info.get("price"), trade.get("price")) or Decimal(0),
        quantity=first_decimal(info.get("qty"), trade.get("amount")) or Decimal(0),
        fee=first_decimal(info.get("commission"), fee.get("cost")) or Decimal(0),
        fee_currency=str(info.get("commissionAsset") or fee.get("currency") or default_fee_currency),
        liquidity=liquidity,
        occurred_at=timestamp(trade.get("timestamp"), EPOCH),
        exchange_order_id=str(trade["order"]) if trade.get("order") is not None else None,
    )


def same_progress(a: Order, b: Order) -> bool:
    """True if the venue reports nothing new between ``a`` and ``b``."""
    return (a.status, a.filled_quantity, a.exchange_order_id) == (
        b.status,
        b.filled_quantity,
        b.exchange_order_id,
    )


def _positive(value: Decimal | None) -> Decimal | None:
    return value if value is not None and value > 0 else None


# Binance apiRestrictions flags behind each of the domain's RISKY_KEY_PERMISSIONS.
_RISKY_FLAGS = {
    "withdrawals": ("enableWithdrawals",),
    "margin": ("enableMargin",),
    "futures": ("enableFutures",),
    "transfers": ("enableInternalTransfer", "permitsUniversalTransfer"),
    "options": ("enableVanillaOptions",),
    "portfolio_margin": ("enablePortfolioMarginTrading",),
}


def key_permissions(raw: Any) -> KeyPermissions:
    """The domain's view of Binance's ``apiRestrictions`` answer (a missing flag counts as not granted)."""
    granted = {name for name, flags in _RISKY_FLAGS.items() if any(raw.get(flag) is True for flag in flags)}
    return KeyPermissions(
        spot_trading=raw.get("enableSpotAndMarginTrading") is True,
        ip_restricted=raw.get("ipRestrict") is True,
        risky=frozenset(granted),
    )
