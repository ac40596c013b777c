"""Exchange-like checks on a new order; each failure raises :class:`InvalidOrder` naming value and rule."""

from __future__ import annotations

from decimal import Decimal

from bot.adapters.paper.paper_order import STOP_TYPES, PaperOrder
from bot.domain import InvalidOrder, MarketRules, Order, OrderType, Side


def check_order_shape(order: Order, rules: MarketRules) -> None:
    """Prices and amount present where the type needs them and on the exchange's grid."""
    where = f"order {order.client_order_id} ({order.symbol})"
    if order.order_type in STOP_TYPES and order.side is not Side.SELL:
        raise InvalidOrder(
            f"{where}: {order.order_type.value} buy orders are not supported by the paper broker; "
            "stop orders must be sells (protective stops of long positions)"
        )
    if not rules.is_step_valid(order.quantity):
        raise InvalidOrder(
            f"{where}: quantity {order.quantity} is not allowed; it must be a positive multiple of "
            f"step size {rules.step_size} and at least {rules.min_quantity}"
        )
    if order.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        _check_price(where, "price", order.price, rules)
    if order.order_type in STOP_TYPES:
        _check_price(where, "stop_price", order.stop_price, rules)


def _check_price(where: str, name: str, price: Decimal | None, rules: MarketRules) -> None:
    if price is None:
        raise InvalidOrder(f"{where}: {name} is required for this order type")
    if not rules.is_tick_valid(price):
        raise InvalidOrder(
            f"{where}: {name} {price} is not allowed; "
            f"it must be a positive multiple of tick size {rules.tick_size}"
        )


def check_min_notional(order: Order, rules: MarketRules, price: Decimal) -> None:
    notional = price * order.quantity
    if not rules.meets_min_notional(price, order.quantity):
        raise InvalidOrder(
            f"order {order.client_order_id} ({order.symbol}): notional {notional} {rules.quote} "
            f"({order.quantity} at {price}) is below the minimum notional {rules.min_notional} {rules.quote}"
        )


def check_stop_not_triggered(order: Order, current: float | None) -> None:
    """Like Binance, refuse a sell stop that the current price has already reached."""
    if order.order_type not in STOP_TYPES or order.stop_price is None or current is None:
        return
    if current <= float(order.stop_price):
        raise InvalidOrder(
            f"order {order.client_order_id} ({order.symbol}): stop price {order.stop_price} would "
            f"trigger immediately; the current price is {current!r} and a sell stop must be below it"
        )


def check_oco_pair(order: Order, partner: PaperOrder | None) -> None:
    """A take-profit paired with a stop: a sell limit for the stop's whole quantity, the stop still open,
    untriggered and not paired yet (Binance's OCO: a LIMIT_MAKER and a stop leg of the same quantity)."""
    where = f"order {order.client_order_id} ({order.symbol})"
    stop = partner.order if partner is not None else None
    if partner is None or stop is None or stop.status.is_terminal:
        raise InvalidOrder(f"{where}: one-cancels-other partner {order.oco_with} is not an open order")
    if order.side is not Side.SELL or order.order_type is not OrderType.LIMIT:
        raise InvalidOrder(f"{where}: only a sell limit can be paired with a stop")
    if stop.order_type not in STOP_TYPES or stop.symbol != order.symbol:
        raise InvalidOrder(f"{where}: partner {stop.client_order_id} is not a stop order on {order.symbol}")
    if partner.triggered or partner.partner is not None:
        raise InvalidOrder(f"{where}: stop {stop.client_order_id} has triggered or is already paired")
    if stop.remaining_quantity != order.quantity:
        raise InvalidOrder(
            f"{where}: quantity {order.quantity} differs from its stop's {stop.remaining_quantity}; "
            "both legs of a one-cancels-other pair sell the same amount"
        )
