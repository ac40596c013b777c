"""Domain Order -> ccxt ``create_order`` arguments.

- LIMIT -> ``'limit'`` (Binance LIMIT GTC); MARKET -> ``'market'`` with ``price=None`` so the *quantity*
  is sent (a price would make ccxt send ``quoteOrderQty``, notes §1).
- STOP_LIMIT -> ``'limit'`` with ``stopLossPrice`` (Binance STOP_LOSS_LIMIT); STOP_MARKET -> ``'market'``
  with ``stopLossPrice`` (STOP_LOSS) where the market lists it, else ``UnsupportedOrderType`` (an
  ``InvalidOrder``) naming the gap: the stop keeper then watches the stop itself (a client-side stop).
- The client order id goes in ``params['clientOrderId']`` (ccxt sends ``newClientOrderId``).
- Amounts and prices are sent as ccxt's precision strings, but only if they are already exact: ccxt
  truncates amounts and *rounds* prices, and a silent change (up, past a limit) is never acceptable.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.adapters.exchange.errors import CcxtError
from bot.domain import InvalidOrder, Order, OrderType
from bot.domain.errors import UnsupportedOrderType

# Binance's names in exchangeInfo ``orderTypes`` for each domain type
_VENUE_TYPES = {
    OrderType.LIMIT: "LIMIT",
    OrderType.MARKET: "MARKET",
    OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT",
    OrderType.STOP_MARKET: "STOP_LOSS",
}
_HAS_FLAG = {OrderType.STOP_LIMIT: "createStopLimitOrder", OrderType.STOP_MARKET: "createStopMarketOrder"}


@dataclass(frozen=True, slots=True)
class OrderRequest:
    type: str
    amount: str
    price: str | None
    params: dict[str, Any]


def order_request(client: Any, market: Any, order: Order) -> OrderRequest:
    what = f"order {order.client_order_id} ({order.symbol})"
    if order.oco_with is not None:
        raise InvalidOrder(f"{what}: one-cancels-other pairs are not supported by the ccxt adapter yet")
    check_supported(client, market, order.order_type, what)
    params: dict[str, Any] = {"clientOrderId": order.client_order_id}
    amount = exact(order.quantity, lambda v: client.amount_to_precision(order.symbol, v), "quantity", what)
    price: str | None = None
    if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        if order.price is None:
            raise InvalidOrder(f"{what}: a {order.order_type.value} order needs a price")
        price = exact(order.price, lambda v: client.price_to_precision(order.symbol, v), "price", what)
    if order.order_type in (OrderType.STOP_LIMIT, OrderType.STOP_MARKET):
        if order.stop_price is None:
            raise InvalidOrder(f"{what}: a {order.order_type.value} order needs a stop price")
        params["stopLossPrice"] = exact(
            order.stop_price, lambda v: client.price_to_precision(order.symbol, v), "stop price", what
        )
    kind = "limit" if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else "market"
    return OrderRequest(kind, amount, price, params)


def check_supported(client: Any, market: Any, order_type: OrderType, what: str) -> None:
    """Raise UnsupportedOrderType (an InvalidOrder) if the venue cannot take ``order_type`` on this market."""
    listed = (market.get("info") or {}).get("orderTypes")
    if isinstance(listed, list):
        supported = _VENUE_TYPES[order_type] in listed
    else:
        flag = _HAS_FLAG.get(order_type)
        supported = flag is None or bool((getattr(client, "has", {}) or {}).get(flag))
    if not supported:
        raise UnsupportedOrderType(
            f"{what}: {client.id} does not support {order_type.value} orders on {market.get('symbol')} spot"
        )


def exact(value: Decimal, to_precision: Any, name: str, what: str) -> str:
    """ccxt's precision string for ``value``, which must equal it (never rounded here)."""
    try:
        text = str(to_precision(str(value)))
    except CcxtError as exc:
        problem = f"{name} {value} is not valid for the market ({type(exc).__name__})"
        raise InvalidOrder(f"{what}: {problem}") from None
    if Decimal(text) != value:
        problem = f"{name} {value} is not a multiple of the market's increment (would be {text})"
        raise InvalidOrder(f"{what}: {problem}")
    return text
