"""The paper broker's working record of one order (the domain order plus what matching needs), and
what a new order costs or locks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain import MarketRules, Order, OrderType, Side

STOP_TYPES = frozenset({OrderType.STOP_MARKET, OrderType.STOP_LIMIT})


@dataclass(slots=True, eq=False)
class PaperOrder:
    """Mutable bookkeeping around the (frozen) domain :class:`Order` it reports.

    ``partner``: the other order of a one-cancels-other pair (a take-profit and its stop), if any.
    ``placed_ms``: the order takes part only in candles opening at or after it (for a stop-limit that
    triggered without filling, the close of the trigger candle). ``lock_currency``/``lock_amount``: what
    the order holds while open. ``limit_f``/``stop_f``: float copies of its prices for cheap candle checks.
    """

    order: Order
    rules: MarketRules
    seq: int
    placed_ms: int
    lock_currency: str
    lock_amount: Decimal
    limit_f: float
    stop_f: float
    triggered: bool = False
    partner: PaperOrder | None = None

    @classmethod
    def create(
        cls, order: Order, rules: MarketRules, *, seq: int, placed_ms: int, lock_currency: str
    ) -> PaperOrder:
        return cls(
            order=order,
            rules=rules,
            seq=seq,
            placed_ms=placed_ms,
            lock_currency=lock_currency,
            lock_amount=Decimal(0),
            limit_f=float(order.price) if order.price is not None else float("nan"),
            stop_f=float(order.stop_price) if order.stop_price is not None else float("nan"),
        )

    @property
    def side(self) -> Side:
        return self.order.side

    @property
    def order_type(self) -> OrderType:
        return self.order.order_type

    @property
    def is_armed_stop(self) -> bool:
        """A stop order that has not triggered yet."""
        return self.order.order_type in STOP_TYPES and not self.triggered

    @property
    def limit_price(self) -> Decimal:
        if self.order.price is None:
            raise AssertionError(f"order {self.order.client_order_id} has no limit price")
        return self.order.price

    @property
    def stop_price(self) -> Decimal:
        if self.order.stop_price is None:
            raise AssertionError(f"order {self.order.client_order_id} has no stop price")
        return self.order.stop_price


def resting_price(order: Order) -> Decimal:
    """The price a resting order's notional is judged at: its limit, or the stop of a stop-market."""
    price = order.price if order.order_type is not OrderType.STOP_MARKET else order.stop_price
    if price is None:
        raise AssertionError(f"order {order.client_order_id} passed validation without a price")
    return price


def fill_cost(order: Order, rules: MarketRules, price: Decimal) -> Decimal:
    """Quote spent by a taker buy at ``price``, fee included."""
    return price * order.quantity * (1 + rules.taker_fee)


def resting_lock(order: Order, rules: MarketRules) -> Decimal:
    """A resting buy locks what its maker fill at the limit will cost; a resting sell its base amount."""
    if order.side is Side.BUY:
        return resting_price(order) * order.quantity * (1 + rules.maker_fee)
    return order.quantity
