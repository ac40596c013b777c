"""Order execution: persist, then send; protective stops; timeouts; looking up the unknown.

Rules this module keeps (DESIGN invariants 3, 6, 7):

- Every order gets a deterministic client order id and is written to the audit DB *before* the broker
  sees it. If the id is already stored (a restart re-running the same decision), the order is looked
  up at the venue by that id, never sent again.
- A placement that fails with ``RetryLater`` stays PENDING; one that times out after sending becomes
  UNKNOWN. Both are resolved on the next :meth:`OrderExecutor.manage` by looking the id up at the
  venue; only a definite ``OrderNotFound`` allows re-sending, and then under the same id.
- As soon as an entry fills, a stop order covering the whole position is placed. If the venue refuses
  the stop, the position is closed at market rather than left unprotected.
- Exits first cancel the working stop (it locks the base balance), then sell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from bot.domain import (
    BrokerError,
    Fill,
    IntentKind,
    MarketRules,
    Order,
    OrderEvent,
    OrderIntent,
    OrderNotFound,
    OrderPurpose,
    OrderRejected,
    OrderStatus,
    OrderType,
    OutcomeUnknown,
    RetryLater,
    Side,
    client_order_id_for,
)
from bot.ports import AuditStore, Broker, BrokerUpdate
from bot.positions import PositionBook

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    entry_order: OrderType = OrderType.LIMIT
    exit_order: OrderType = OrderType.MARKET
    stop_order: OrderType = OrderType.STOP_MARKET
    entry_timeout: timedelta = timedelta(minutes=15)

    def shape(self, intent: OrderIntent, rules: MarketRules) -> OrderIntent:
        """The intent as it will be sent: order type (and limit price) per this policy.

        Applied *before* the risk chain, so the guards judge the real order (a market entry is costed
        with slippage; a limit one at its price). Exits default to market: a user must always be able
        to get out. Limit exits rest at the reference price, rounded up (never sell cheaper).
        """
        wanted = self.entry_order if intent.kind is IntentKind.ENTRY else self.exit_order
        if wanted is OrderType.MARKET:
            return replace(intent, order_type=OrderType.MARKET, limit_price=None)
        if intent.limit_price is not None:
            return replace(intent, order_type=OrderType.LIMIT)
        price = rules.round_price(intent.reference_price, is_buy=intent.side is Side.BUY)
        return replace(intent, order_type=OrderType.LIMIT, limit_price=price)


class OrderExecutor:
    """Turns approved intents into orders at the broker and keeps the audit DB in step with the venue."""

    def __init__(
        self,
        *,
        broker: Broker,
        store: AuditStore,
        book: PositionBook,
        rules: Callable[[str], MarketRules],
        policy: ExecutionPolicy,
        run_id: int,
    ) -> None:
        self._broker = broker
        self._store = store
        self._book = book
        self._rules = rules
        self._policy = policy
        self._run_id = run_id
        self._open: dict[str, Order] = {o.client_order_id: o for o in store.orders(run_id, only_open=True)}
        self._stop_price_for_intent: dict[str, Decimal] = {}
        self._stop_attempts: dict[str, int] = {}

    # ----------------------------------------------------------------- queries

    def shape(self, intent: OrderIntent, rules: MarketRules) -> OrderIntent:
        return self._policy.shape(intent, rules)

    def open_orders(self) -> tuple[Order, ...]:
        return tuple(self._open.values())

    def working_stop(self, symbol: str) -> Order | None:
        for order in self._open.values():
            if order.symbol == symbol and order.purpose is OrderPurpose.STOP:
                return order
        return None

    # ----------------------------------------------------------------- intents

    def submit(self, intent: OrderIntent, now: datetime) -> Order | None:
        """Execute an intent the risk chain approved (its quantity is final)."""
        if intent.quantity is None or intent.quantity <= 0:
            raise ValueError(f"intent {intent.intent_id} reached execution without a quantity")
        if intent.kind is IntentKind.ENTRY:
            if intent.stop_price is None:
                raise ValueError(f"entry intent {intent.intent_id} reached execution without a stop")
            self._stop_price_for_intent[intent.intent_id] = intent.stop_price
            return self._send(
                self._new_order(
                    intent, OrderPurpose.ENTRY, intent.order_type, intent.quantity, intent.limit_price, now
                )
            )
        stop = self.working_stop(intent.symbol)
        if stop is not None and not self._cancel(stop, now):
            return None  # the stop could not be cancelled (it may have just filled): nothing left to exit
        position = self._book.position(intent.symbol)
        if position is None:
            return None
        quantity = min(intent.quantity, position.quantity)
        return self._send(
            self._new_order(intent, OrderPurpose.EXIT, intent.order_type, quantity, intent.limit_price, now)
        )

    def _new_order(
        self,
        intent: OrderIntent,
        purpose: OrderPurpose,
        order_type: OrderType,
        quantity: Decimal,
        price: Decimal | None,
        now: datetime,
        *,
        stop_price: Decimal | None = None,
        attempt: int = 0,
    ) -> Order:
        return Order(
            client_order_id=client_order_id_for(intent.intent_id, purpose, attempt),
            intent_id=intent.intent_id,
            symbol=intent.symbol,
            side=intent.side if purpose is not OrderPurpose.STOP else Side.SELL,
            order_type=order_type,
            purpose=purpose,
            quantity=quantity,
            price=price,
            stop_price=stop_price,
            created_at=now,
        )

    # ----------------------------------------------------------------- sending

    def _send(self, order: Order) -> Order | None:
        if not self._store.save_new_order(self._run_id, order):
            existing = self._store.get_order(order.client_order_id)
            log.warning("order_already_stored", client_order_id=order.client_order_id)
            if existing is not None and not existing.status.is_terminal:
                self._open[existing.client_order_id] = existing
            return existing
        self._open[order.client_order_id] = order
        return self._place(order, order.created_at)

    def _place(self, order: Order, now: datetime) -> Order | None:
        try:
            acked = self._broker.place_order(order)
        except OrderRejected as exc:
            self._transition(replace(order, status=OrderStatus.REJECTED), now, str(exc))
            log.warning(
                "order_rejected", client_order_id=order.client_order_id, symbol=order.symbol, error=str(exc)
            )
            return None
        except RetryLater as exc:
            log.warning("order_send_deferred", client_order_id=order.client_order_id, error=str(exc))
            return order
        except OutcomeUnknown as exc:
            self._transition(replace(order, status=OrderStatus.UNKNOWN), now, str(exc))
            log.warning("order_outcome_unknown", client_order_id=order.client_order_id, error=str(exc))
            return order
        self._transition(acked, now, "acknowledged")
        log.info(
            "order_submitted",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side.value,
            type=order.order_type.value,
            purpose=order.purpose.value,
            quantity=str(order.quantity),
            price=str(order.price) if order.price is not None else None,
            stop_price=str(order.stop_price) if order.stop_price is not None else None,
        )
        return acked

    def _cancel(self, order: Order, now: datetime) -> bool:
        """Cancel an order; True if it is no longer working (cancelled or already gone)."""
        try:
            cancelled = self._broker.cancel_order(order.symbol, order.client_order_id)
        except OrderNotFound:
            self._resolve(order, now)
            return order.client_order_id not in self._open
        except BrokerError as exc:
            log.warning("cancel_failed", client_order_id=order.client_order_id, error=str(exc))
            return False
        self._transition(cancelled, now, "cancel requested")
        return cancelled.status is OrderStatus.CANCELED

    def _transition(self, order: Order, now: datetime, detail: str) -> None:
        """Record an order's new state (and an event) if anything changed."""
        previous = self._open.get(order.client_order_id) or self._store.get_order(order.client_order_id)
        if previous is not None and (
            previous.status,
            previous.filled_quantity,
            previous.exchange_order_id,
        ) == (
            order.status,
            order.filled_quantity,
            order.exchange_order_id,
        ):
            return
        event = OrderEvent(order.client_order_id, order.status, now, detail, order.exchange_order_id)
        self._store.record_order_update(order, event)
        if order.status.is_terminal:
            self._open.pop(order.client_order_id, None)
        else:
            self._open[order.client_order_id] = order

    # ----------------------------------------------------------------- venue updates

    def apply_update(self, update: BrokerUpdate, now: datetime) -> list[Fill]:
        """Record what the venue reported; returns the fills that were new (stored for the first time)."""
        for order in update.orders:
            self._transition(order, now, "venue update")
        new_fills = [fill for fill in update.fills if self._store.record_fill(fill)]
        for fill in new_fills:
            self._book.apply(fill)
            log.info(
                "order_filled",
                client_order_id=fill.client_order_id,
                symbol=fill.symbol,
                side=fill.side.value,
                price=str(fill.price),
                quantity=str(fill.quantity),
                fee=str(fill.fee),
                liquidity=fill.liquidity.value,
            )
        for symbol in {fill.symbol for fill in new_fills}:
            self._protect(symbol, now)
        return new_fills

    def _protect(self, symbol: str, now: datetime) -> None:
        """Make the working stop cover the whole open position (or remove it when flat)."""
        position = self._book.position(symbol)
        stop = self.working_stop(symbol)
        if position is None:
            if stop is not None:
                self._cancel(stop, now)
            return
        if stop is not None and stop.remaining_quantity == position.quantity:
            return
        stop_price = self._stop_price_for(symbol, stop)
        if stop is not None and not self._cancel(stop, now):
            return
        quantity = self._rules(symbol).round_quantity(position.quantity)
        entry_intent = self._last_entry_intent(symbol)
        if stop_price is None or entry_intent is None or quantity <= 0:
            log.error("position_without_stop_price", symbol=symbol)
            return
        attempt = self._stop_attempts.get(entry_intent.intent_id, 0)
        self._stop_attempts[entry_intent.intent_id] = attempt + 1
        order = self._new_order(
            entry_intent,
            OrderPurpose.STOP,
            self._policy.stop_order,
            quantity,
            None,
            now,
            stop_price=stop_price,
            attempt=attempt,
        )
        placed = self._send(order)
        if placed is None:  # refused (e.g. the market is already below the stop): do not stay unprotected
            log.error("stop_refused_closing_position", symbol=symbol, stop_price=str(stop_price))
            exit_intent = replace(entry_intent, side=Side.SELL, kind=IntentKind.EXIT)
            self._send(self._new_order(exit_intent, OrderPurpose.EXIT, OrderType.MARKET, quantity, None, now))
            return
        self._book.set_stop(symbol, stop_price)

    def _last_entry_intent(self, symbol: str) -> OrderIntent | None:
        orders = [
            o
            for o in self._store.orders(self._run_id)
            if o.symbol == symbol and o.purpose is OrderPurpose.ENTRY
        ]
        if not orders:
            return None
        last = orders[-1]
        stop = self._stop_price_for_intent.get(last.intent_id)
        return OrderIntent(
            intent_id=last.intent_id,
            strategy="",
            symbol=symbol,
            side=Side.BUY,
            kind=IntentKind.ENTRY,
            order_type=last.order_type,
            reference_price=last.price or Decimal(0),
            created_at=last.created_at,
            reason="protective stop",
            stop_price=stop,
        )

    def _stop_price_for(self, symbol: str, stop: Order | None) -> Decimal | None:
        intent = self._last_entry_intent(symbol)
        if intent is not None and intent.stop_price is not None:
            return intent.stop_price
        return stop.stop_price if stop is not None else None

    # ----------------------------------------------------------------- housekeeping

    def manage(self, now: datetime) -> None:
        """Cancel stale entries and resolve orders whose outcome is not known yet."""
        for order in list(self._open.values()):
            if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                self._resolve(order, now)
            elif order.purpose is OrderPurpose.ENTRY and now - order.created_at >= self._policy.entry_timeout:
                log.info("entry_timed_out", client_order_id=order.client_order_id, symbol=order.symbol)
                self._cancel(order, now)

    def _resolve(self, order: Order, now: datetime) -> None:
        """Find out what became of an order the venue may or may not have: look it up by client id."""
        try:
            found = self._broker.fetch_order(order.symbol, order.client_order_id)
        except OrderNotFound:
            if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                log.info("order_resent_same_id", client_order_id=order.client_order_id)
                self._place(order, now)
            else:
                self._transition(replace(order, status=OrderStatus.EXPIRED), now, "venue no longer has it")
            return
        except BrokerError as exc:
            log.warning("order_lookup_failed", client_order_id=order.client_order_id, error=str(exc))
            return
        self._transition(found, now, "looked up by client order id")

    def stop_prices(self) -> Iterable[tuple[str, Decimal | None]]:
        return ((o.symbol, o.stop_price) for o in self._open.values() if o.purpose is OrderPurpose.STOP)
