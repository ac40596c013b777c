"""Order execution: approved intents become orders; every position gets its stop; stale entries go.

The order I/O itself (persist, then send; look up the unknown) is :mod:`bot.order_gateway`. This
module adds the trading rules (DESIGN invariant 3):

- Every order gets a deterministic client order id derived from its intent and purpose.
- As soon as an entry fills, a stop order covering the whole position is placed. If the venue refuses
  the stop, the position is closed at market rather than left unprotected.
- Exits first cancel the working stop (it locks the base balance), then sell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from bot.domain import (
    Fill,
    IntentKind,
    MarketRules,
    Order,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    OrderType,
    Side,
    client_order_id_for,
)
from bot.order_gateway import OrderGateway
from bot.ports import AuditStore, Broker, BrokerUpdate
from bot.positions import PositionBook, Trade

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


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    trade: Trade
    stopped_out: bool  # closed by its protective stop order


@dataclass(frozen=True, slots=True)
class SyncResult:
    fills: list[Fill]
    closed: list[ClosedTrade]


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
        self._store = store
        self._book = book
        self._rules = rules
        self._policy = policy
        self._run_id = run_id
        self._gateway = OrderGateway(broker, store, run_id)
        self._open = self._gateway.open_orders  # the gateway keeps it current
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
            return self._gateway.send(self._intent_order(intent, OrderPurpose.ENTRY, intent.quantity, now))
        stop = self.working_stop(intent.symbol)
        if stop is not None and not self._gateway.cancel(stop, now):
            return None  # the stop could not be cancelled (it may have just filled): nothing left to exit
        position = self._book.position(intent.symbol)
        if position is None:
            return None
        quantity = min(intent.quantity, position.quantity)
        return self._gateway.send(self._intent_order(intent, OrderPurpose.EXIT, quantity, now))

    def _intent_order(
        self, intent: OrderIntent, purpose: OrderPurpose, quantity: Decimal, now: datetime
    ) -> Order:
        return self._order(
            intent.intent_id,
            intent.symbol,
            intent.side,
            purpose,
            intent.order_type,
            quantity,
            intent.limit_price,
            now,
        )

    def _order(
        self,
        intent_id: str,
        symbol: str,
        side: Side,
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
            client_order_id=client_order_id_for(intent_id, purpose, attempt),
            intent_id=intent_id,
            symbol=symbol,
            side=side,
            order_type=order_type,
            purpose=purpose,
            quantity=quantity,
            price=price,
            stop_price=stop_price,
            created_at=now,
        )

    # ----------------------------------------------------------------- sending

    # ----------------------------------------------------------------- venue updates

    def apply_update(self, update: BrokerUpdate, now: datetime) -> SyncResult:
        """Record what the venue reported: the fills new to the DB, and the round trips they closed."""
        for order in update.orders:
            self._gateway.transition(order, now, "venue update")
        new_fills = self._gateway.store_fills(update.fills)
        closed: list[ClosedTrade] = []
        for fill in new_fills:
            trade = self._book.apply(fill)
            if trade is not None:
                closing = self._store.get_order(fill.client_order_id)
                stopped = closing is not None and closing.purpose is OrderPurpose.STOP
                closed.append(ClosedTrade(trade, stopped_out=stopped))
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
        return SyncResult(new_fills, closed)

    def cancel_entries(self, now: datetime) -> None:
        """Cancel every working entry order (kill switch); stops and exits stay."""
        for order in list(self._open.values()):
            if order.purpose is OrderPurpose.ENTRY:
                self._gateway.cancel(order, now)

    def _protect(self, symbol: str, now: datetime) -> None:
        """Make the working stop cover the whole open position (or remove it when flat)."""
        position = self._book.position(symbol)
        stop = self.working_stop(symbol)
        if position is None:
            if stop is not None:
                self._gateway.cancel(stop, now)
            return
        if stop is not None and stop.remaining_quantity == position.quantity:
            return
        entry = self._latest_entry(symbol)
        stop_price = self._stop_price_for_intent.get(entry.intent_id) if entry else None
        if stop_price is None and stop is not None:
            stop_price = stop.stop_price
        quantity = self._rules(symbol).round_quantity(position.quantity)
        if entry is None or stop_price is None or quantity <= 0:
            log.error("position_without_stop_price", symbol=symbol)
            return
        if stop is not None and not self._gateway.cancel(stop, now):
            return
        attempt = self._stop_attempts.get(entry.intent_id, 0)
        self._stop_attempts[entry.intent_id] = attempt + 1
        stop_type = self._policy.stop_order
        order = self._order(
            entry.intent_id, symbol, Side.SELL, OrderPurpose.STOP, stop_type, quantity, None, now,
            stop_price=stop_price, attempt=attempt,
        )  # fmt: skip
        if self._gateway.send(order) is None:  # refused (e.g. the market is already below the stop)
            log.error("stop_refused_closing_position", symbol=symbol, stop_price=str(stop_price))
            self._gateway.send(
                self._order(
                    entry.intent_id,
                    symbol,
                    Side.SELL,
                    OrderPurpose.EXIT,
                    OrderType.MARKET,
                    quantity,
                    None,
                    now,
                )
            )
            return
        self._book.set_stop(symbol, stop_price)

    def _latest_entry(self, symbol: str) -> Order | None:
        """The entry that opened (or last added to) the position on ``symbol``: its intent owns the stop."""
        entries = [
            o
            for o in self._store.orders(self._run_id)
            if o.symbol == symbol and o.purpose is OrderPurpose.ENTRY and o.filled_quantity > 0
        ]
        return entries[-1] if entries else None

    # ----------------------------------------------------------------- housekeeping

    def manage(self, now: datetime) -> None:
        """Cancel stale entries and resolve orders whose outcome is not known yet."""
        for order in list(self._open.values()):
            if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                self._gateway.resolve(order, now)
            elif order.purpose is OrderPurpose.ENTRY and now - order.created_at >= self._policy.entry_timeout:
                log.info("entry_timed_out", client_order_id=order.client_order_id, symbol=order.symbol)
                self._gateway.cancel(order, now)
