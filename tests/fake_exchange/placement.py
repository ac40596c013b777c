"""Validating a new order request the way Binance does, before anything is reserved."""

from __future__ import annotations

from decimal import Decimal

from tests.fake_exchange.markets import BinanceError, SymbolSpec, parse_decimal
from tests.fake_exchange.orders import STOP_TYPES, Order

LIMIT_TYPES = frozenset({"LIMIT", "LIMIT_MAKER", *STOP_TYPES})
TIME_IN_FORCE = ("GTC", "IOC", "FOK")


def build_order(
    spec: SymbolSpec, params: dict[str, str], order_id: int, client_id: str, now: int, current: Decimal
) -> Order:
    """A checked ``Order`` from POST /api/v3/order parameters, or the BinanceError Binance would answer."""
    side, kind = params.get("side", ""), params.get("type", "")
    if side not in ("BUY", "SELL"):
        raise BinanceError(-1117, "Invalid side.")
    if kind not in LIMIT_TYPES and kind != "MARKET":
        raise BinanceError(-1116, "Invalid orderType.")
    order = Order(spec.symbol, order_id, client_id, side, kind, "GTC", Decimal(0), Decimal(0), now)
    if kind == "MARKET":
        _size_market(spec, order, params, current)
    else:
        _size_limit(spec, order, params, current)
    if kind in STOP_TYPES:
        order.stop_price = parse_decimal(params.get("stopPrice"), "stopPrice")
        spec.check_price(order.stop_price)
        if stop_reached(order, current):
            raise BinanceError(-2010, "Stop price would trigger immediately.")
        order.working = False
    if kind == "LIMIT_MAKER" and is_marketable(order, current):
        raise BinanceError(-2010, "Order would immediately match and take.")
    if order.working:
        order.working_time = now
    return order


def _size_limit(spec: SymbolSpec, order: Order, params: dict[str, str], current: Decimal) -> None:
    order.price = parse_decimal(params.get("price"), "price")
    order.orig_qty = parse_decimal(params.get("quantity"), "quantity")
    order.time_in_force = "GTC" if order.type == "LIMIT_MAKER" else params.get("timeInForce", "")
    if order.time_in_force not in TIME_IN_FORCE:
        raise BinanceError(
            -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."
        )
    spec.check_price(order.price)
    spec.check_quantity(order.orig_qty)
    spec.check_percent_price(order.price, current)
    spec.check_notional(order.price * order.orig_qty)


def _size_market(spec: SymbolSpec, order: Order, params: dict[str, str], current: Decimal) -> None:
    if params.get("quoteOrderQty"):
        order.orig_quote_qty = parse_decimal(params["quoteOrderQty"], "quoteOrderQty")
        order.orig_qty = spec.floor_quantity(order.orig_quote_qty / current)
    else:
        order.orig_qty = parse_decimal(params.get("quantity"), "quantity")
        if order.orig_qty % spec.step_size != 0:
            raise BinanceError(-1013, "Filter failure: LOT_SIZE")
    spec.check_market_quantity(order.orig_qty)
    spec.check_notional(order.orig_qty * current)


def is_marketable(order: Order, price: Decimal) -> bool:
    """A limit order that would take liquidity at ``price``."""
    return price <= order.price if order.side == "BUY" else price >= order.price


def stop_reached(order: Order, price: Decimal) -> bool:
    """STOP_LOSS sells and TAKE_PROFIT buys trigger on a fall; the other two on a rise."""
    falling = (order.type == "STOP_LOSS_LIMIT") == (order.side == "SELL")
    return price <= order.stop_price if falling else price >= order.stop_price
