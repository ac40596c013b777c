"""Working orders that did not fill: an entry is repriced (or given up), an exit is chased.

- An entry unfilled after ``reprice_age`` is cancelled and re-placed at the current last price, as a new
  order (next attempt number) under the same intent, up to ``max_reprices`` times; never for more
  quantity, and for less when the price rose, so the loss to the stop stays within what the risk chain
  approved. After the last reprice it is cancelled, or sent once as a capped marketable limit
  (``on_unfilled = "marketable"``).
- An exit still open is re-placed at the new last price, capped at last × (1 − ``max_slippage``), every
  tick until it fills: a user is never left in a position the bot meant to close.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from bot.core.execution_policy import ExecutionPolicy
from bot.core.order_gateway import OrderGateway
from bot.core.positions import PositionBook
from bot.core.stops import StopKeeper
from bot.domain import MarketRules, Order, OrderPurpose, OrderType
from bot.domain.orders import attempt_of
from bot.logs import get_logger

log = get_logger(__name__)


class Repricer:
    def __init__(
        self,
        *,
        gateway: OrderGateway,
        book: PositionBook,
        stops: StopKeeper,
        rules: Callable[[str], MarketRules],
        policy: ExecutionPolicy,
    ) -> None:
        self._gateway = gateway
        self._book = book
        self._stops = stops
        self._rules = rules
        self._policy = policy

    def retry_entry(self, order: Order, last: Decimal | None, now: datetime) -> None:
        """An entry rested too long: reprice it at ``last``, send it once marketable, or cancel it."""
        policy = self._policy
        attempt = attempt_of(order)
        marketable = attempt == policy.max_reprices and policy.on_unfilled == "marketable"
        if (
            last is None
            or attempt > policy.max_reprices
            or (attempt == policy.max_reprices and not marketable)
        ):
            log.info("entry_timed_out", client_order_id=order.client_order_id, symbol=order.symbol)
            self._gateway.cancel(order, now, "entry timed out")
            return
        rules = self._rules(order.symbol)
        price = policy.buy_cap(last, rules) if marketable else rules.round_price_down(last)
        if not self._gateway.cancel(order, now, "marketable after reprices" if marketable else "repriced"):
            return  # it filled (or is gone) meanwhile
        cancelled = self._gateway.order(order.client_order_id) or order
        quantity = self._repriced_quantity(cancelled, price, rules)
        if quantity <= 0:
            log.info("entry_not_repriced", client_order_id=order.client_order_id, price=str(price))
            return
        replacement = self._gateway.new_order(
            order.intent_id, order.symbol, order.side, OrderPurpose.ENTRY, OrderType.LIMIT, quantity, now,
            price=price,
        )  # fmt: skip
        log.info("entry_repriced", client_order_id=replacement.client_order_id, price=str(price),
                 quantity=str(quantity), marketable=marketable)  # fmt: skip
        if self._gateway.send(replacement).refused:
            log.warning("entry_reprice_refused", client_order_id=replacement.client_order_id)

    def _repriced_quantity(self, order: Order, price: Decimal, rules: MarketRules) -> Decimal:
        """The remaining quantity, lowered so that buying it at ``price`` risks no more (to the stop) than
        the risk chain approved at the first price; 0 if nothing sensible is left."""
        stop = self._stops.stop_for(order.intent_id)
        first = self._gateway.first_entry(order.intent_id)
        approved = first.price if first is not None and first.price is not None else order.price
        if stop is None or approved is None or price <= stop:
            return Decimal(0)  # the risk cannot be bounded, or the market is at/below the stop
        quantity = order.remaining_quantity
        if price > approved:
            quantity = quantity * (approved - stop) / (price - stop)
        quantity = rules.round_quantity(quantity)
        if not rules.is_step_valid(quantity) or not rules.meets_min_notional(price, quantity):
            return Decimal(0)
        return quantity

    def chase_exit(self, order: Order, last: Decimal, now: datetime) -> None:
        """An exit still open: re-place it at the new last price, capped (never abandoned)."""
        price = self._policy.sell_cap(last, self._rules(order.symbol))
        if order.price == price:
            return  # already resting at today's worst acceptable price
        if not self._gateway.cancel(order, now, "exit re-priced"):
            return
        cancelled = self._gateway.order(order.client_order_id) or order
        position = self._book.position(order.symbol)
        if position is None or cancelled.remaining_quantity <= 0:
            return
        quantity = min(cancelled.remaining_quantity, position.quantity)
        log.info("exit_chased", client_order_id=order.client_order_id, price=str(price))
        if self._stops.send_exit(order.intent_id, order.symbol, quantity, last, now) is None:
            log.error("exit_refused", symbol=order.symbol, quantity=str(quantity))
