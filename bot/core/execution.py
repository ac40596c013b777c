"""Order execution: approved intents become orders; entries are repriced, exits chased, positions protected.

The order I/O itself (persist, then send; look up the unknown) is :mod:`bot.core.order_gateway`; stops,
trailing and take-profits are :mod:`bot.core.stops`; repricing entries and chasing exits is
:mod:`bot.core.repricing`; the knobs are :class:`ExecutionPolicy`. The trading rules of the order flow:

- Every order gets a deterministic client order id derived from its intent, purpose and attempt; a
  replacement (reprice, chase) is a new order with the next attempt number under the same intent.
- Entries rest as limits; one unfilled after ``reprice_after`` is re-placed at the current last price
  (up to ``max_reprices`` times, never for more quantity or more entry-to-stop risk than approved), then
  cancelled or sent once as a capped marketable limit (``on_unfilled``).
- Exits first cancel the position's protection (the stop locks the base balance), then sell with a
  limit capped at the worst acceptable price; an exit still open at the next :meth:`OrderExecutor.manage`
  is re-placed at the new last price, every tick, until it fills.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.core.execution_policy import ExecutionPolicy, OnUnfilled
from bot.core.order_gateway import OrderGateway, duplicate_venue_order
from bot.core.ports import AuditStore, Broker, BrokerUpdate
from bot.core.positions import PositionBook, Trade
from bot.core.repricing import Repricer
from bot.core.stops import StopKeeper
from bot.core.wake_conditions import PriceWatch, order_watch, stop_watch
from bot.domain import (
    Fill,
    IntentKind,
    MarketRules,
    Order,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
)
from bot.logs import get_logger

__all__ = ["ClosedTrade", "ExecutionPolicy", "OnUnfilled", "OrderExecutor", "SyncResult"]

log = get_logger(__name__)
_NO_PRICES: Mapping[str, Decimal] = {}


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    trade: Trade
    stopped_out: bool  # closed by its protective stop order


@dataclass(frozen=True, slots=True)
class SyncResult:
    fills: list[Fill]
    closed: list[ClosedTrade]
    # Why entries must stop, if the venue reported something the bot never sent: a second venue order
    # under one of our client ids ("duplicate_venue_order"), or a fill of an order the DB does not know.
    anomalies: tuple[str, ...] = ()


NO_CHANGE = SyncResult([], [])  # shared: never appended to


@dataclass(frozen=True, slots=True)
class Resume:
    """What a restarted bot carries on from its earlier runs on the same venue."""

    runs: tuple[int, ...]  # earlier runs, oldest first
    open_orders: tuple[Order, ...]  # orders still working at the venue, to track (not resend)
    stop_prices: Mapping[str, Decimal]  # entry intent id -> its stop price


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
        resume: Resume | None = None,
    ) -> None:
        self._book = book
        self._rules = rules
        self._policy = policy
        history = resume.runs if resume is not None else ()
        self._gateway = OrderGateway(broker, store, run_id, history)
        self._open = self._gateway.open_orders  # the gateway keeps it current
        self._stops = StopKeeper(gateway=self._gateway, book=book, rules=rules, policy=policy)
        self._repricer = Repricer(
            gateway=self._gateway, book=book, stops=self._stops, rules=rules, policy=policy
        )
        # Approved exits waiting for the stop to be cancelled (symbol -> intent), sent on a later pass.
        self._deferred_exits: dict[str, OrderIntent] = {}
        if resume is not None:
            for order in resume.open_orders:
                self._gateway.adopt(order)
            for intent_id, stop_price in resume.stop_prices.items():
                self._stops.remember_stop(intent_id, stop_price)

    # ----------------------------------------------------------------- queries

    def shape(self, intent: OrderIntent, rules: MarketRules) -> OrderIntent:
        return self._policy.shape(intent, rules)

    def open_orders(self) -> tuple[Order, ...]:
        return tuple(self._open.values())

    def deferred_exits(self) -> tuple[str, ...]:
        """The symbols whose approved exit waits for its stop to be cancelled."""
        return tuple(sorted(self._deferred_exits))

    def not_found_is_final(self, order: Order, now: datetime) -> bool:
        """Whether the venue's "no such order" is the last word on ``order``: no request for it that the
        bot sent can still execute (see :meth:`OrderGateway.not_found_is_final`)."""
        return self._gateway.not_found_is_final(order.client_order_id, now)

    def working_stop(self, symbol: str) -> Order | None:
        return self._stops.working(symbol, OrderPurpose.STOP)

    def working_take_profit(self, symbol: str) -> Order | None:
        return self._stops.working(symbol, OrderPurpose.TAKE_PROFIT)

    def quiet_watch(self) -> tuple[bool, int | None, list[PriceWatch]]:
        """What would make :meth:`manage` act on a coming tick: due at the next close, the earliest timer
        (ms), and the price levels of stop maintenance (see :mod:`bot.core.wake_conditions`)."""
        due_ms = order_watch(self._open.values(), self._policy.due_at)
        positions = self._book.positions()
        working: dict[tuple[str, OrderPurpose], Order] = {}
        for order in self._open.values():
            working.setdefault((order.symbol, order.purpose), order)
        client_stops = {s: c for s in positions if (c := self._stops.client_stop(s)) is not None}
        stops_next, prices = stop_watch(positions, working, client_stops, self._policy)
        return bool(self._deferred_exits) or stops_next, due_ms, prices  # a deferred exit goes next tick

    # ----------------------------------------------------------------- intents

    def submit(self, intent: OrderIntent, now: datetime) -> Order | None:
        """Execute an intent the risk chain approved (its quantity is final)."""
        if intent.quantity is None or intent.quantity <= 0:
            raise ValueError(f"intent {intent.intent_id} reached execution without a quantity")
        if intent.kind is IntentKind.ENTRY:
            if intent.stop_price is None:
                raise ValueError(f"entry intent {intent.intent_id} reached execution without a stop")
            self._stops.remember_stop(intent.intent_id, intent.stop_price)
            return self._send_intent(intent, OrderPurpose.ENTRY, intent.quantity, now)
        if self._stops.working(intent.symbol, OrderPurpose.EXIT) is not None:
            log.info("exit_already_working", symbol=intent.symbol, intent_id=intent.intent_id)
            self._deferred_exits.pop(intent.symbol, None)
            return None
        if not self._stops.cancel_protection(intent.symbol, now, "exit requested"):
            # The stop is still working (a cancel that failed, a lost placement not yet settled) or just
            # filled: the exit waits, and :meth:`manage` sends it once the stop is gone, if anything is left.
            # Dropping it lost a ``halt --flatten`` for good.
            self._deferred_exits[intent.symbol] = intent
            log.info("exit_deferred", symbol=intent.symbol, intent_id=intent.intent_id)
            return None
        self._deferred_exits.pop(intent.symbol, None)
        position = self._book.position(intent.symbol)
        if position is None:
            return None
        quantity = min(intent.quantity, position.quantity)
        return self._send_intent(intent, OrderPurpose.EXIT, quantity, now)

    def _send_intent(
        self, intent: OrderIntent, purpose: OrderPurpose, quantity: Decimal, now: datetime
    ) -> Order | None:
        """The intent's first order: the order sent (maybe still unconfirmed), or None if refused."""
        order = self._gateway.new_order(
            intent.intent_id, intent.symbol, intent.side, purpose, intent.order_type, quantity, now,
            price=intent.limit_price, first=True,
        )  # fmt: skip
        sent = self._gateway.send(order)
        return None if sent.refused else sent.order

    # ----------------------------------------------------------------- venue updates

    def apply_update(self, update: BrokerUpdate, now: datetime) -> SyncResult:
        """Record what the venue reported: the fills new to the DB, and the round trips they closed."""
        if not update.orders and not update.fills and not update.missing:
            return NO_CHANGE
        for order in update.orders:
            self._gateway.transition(order, now, "venue update")
        missing_stops = set()
        for gone in self._gateway.venue_lacks(update.missing, now):
            is_stop = gone.purpose is OrderPurpose.STOP
            (log.critical if is_stop else log.error)(
                "order_missing_at_venue", client_order_id=gone.client_order_id, symbol=gone.symbol,
                purpose=gone.purpose.value, action="a new stop is placed" if is_stop else "none",
            )  # fmt: skip
            if is_stop:
                missing_stops.add(gone.symbol)
        anomalies = (*self._gateway.take_anomalies(), *self._check_origin(update.fills))
        new_fills = self._gateway.store_fills(update.fills)
        closed: list[ClosedTrade] = []
        for fill in new_fills:
            trade = self._apply_fill(fill)
            if trade is not None:
                closed.append(trade)
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
        for symbol in sorted({fill.symbol for fill in new_fills} | missing_stops):
            self._stops.protect(symbol, now)
        return SyncResult(new_fills, closed, anomalies)

    def _check_origin(self, fills: Sequence[Fill]) -> tuple[str, ...]:
        """Fills the bot cannot account for: of a second venue order under one client id (the venue ran a
        request the bot had given up on, and its re-send too), or of an order the audit DB never stored."""
        anomalies: list[str] = []
        for fill in fills:
            stored = self._gateway.order(fill.client_order_id)
            if stored is None:
                log.critical("fill_of_unknown_order", client_order_id=fill.client_order_id,
                             trade_id=fill.trade_id, symbol=fill.symbol)  # fmt: skip
                anomalies.append("unknown_venue_order")
                continue
            if duplicate_venue_order(fill.client_order_id, stored.exchange_order_id, fill.exchange_order_id):
                anomalies.append("duplicate_venue_order")
        return tuple(dict.fromkeys(anomalies))

    def _apply_fill(self, fill: Fill) -> ClosedTrade | None:
        """Apply a fill to the positions; the round trip it closed, if any (and whether a stop closed it)."""
        trade = self._book.apply(fill)
        if trade is None:
            return None
        closing = self._gateway.order(fill.client_order_id)
        return ClosedTrade(trade, stopped_out=closing is not None and closing.purpose is OrderPurpose.STOP)

    def adopt_reconciled(self, orders: Sequence[Order], fills: Sequence[Fill], now: datetime) -> SyncResult:
        """Take in what a reconciliation already stored (order states, adopted fills): track the orders,
        apply the fills to positions and re-protect the symbols they touched. Writes no events."""
        for order in orders:
            self._gateway.take_in(order)
        anomalies = self._check_origin(fills)
        closed = [c for c in (self._apply_fill(fill) for fill in fills) if c is not None]
        for symbol in sorted({fill.symbol for fill in fills}):
            self._stops.protect(symbol, now)
        return SyncResult(list(fills), closed, anomalies)

    def cancel_entries(self, now: datetime) -> None:
        """Cancel every working entry order (kill switch); stops and exits stay."""
        for order in list(self._open.values()):
            if order.purpose is OrderPurpose.ENTRY:
                self._gateway.cancel(order, now, "entries cancelled")

    # ----------------------------------------------------------------- housekeeping

    def manage(
        self, now: datetime, prices: Mapping[str, Decimal] = _NO_PRICES, *, entries_allowed: bool = True
    ) -> None:
        """Send exits deferred until their stop was gone, resolve orders of unknown outcome, reprice or
        cancel stale entries, chase unfilled exits, and maintain stops (re-arm, trail, chase a triggered
        stop-limit).

        ``prices``: the last price per symbol (the close of its newest candle). A symbol without one is
        handled without repricing: a stale entry is cancelled, an exit and its stop are left as they are.
        ``entries_allowed``: False (trading state not ACTIVE) cancels stale entries instead of repricing,
        and withdraws an entry whose placement was lost instead of sending it again.
        """
        for symbol, intent in list(self._deferred_exits.items()):
            if self._book.position(symbol) is None:
                del self._deferred_exits[symbol]  # the stop filled meanwhile: nothing left to exit
            else:
                self.submit(intent, now)
        for order in list(self._open.values()):
            due = self._policy.due_at(order)
            if due is None or now < due:
                continue
            last = prices.get(order.symbol)
            if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                entry = order.purpose is OrderPurpose.ENTRY
                self._gateway.resolve(order, now, resend=entries_allowed or not entry)
            elif order.purpose is OrderPurpose.ENTRY:
                self._repricer.retry_entry(order, last if entries_allowed else None, now)
            elif last is not None:  # an exit
                self._repricer.chase_exit(order, last, now)
        self._stops.maintain(prices, now)
