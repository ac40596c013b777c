"""The order gateway: idempotent order I/O between the audit DB and a broker.

Rules it keeps (DESIGN invariants 6 and 7):

- Every order is written to the audit DB *before* the broker sees it. If its client order id is
  already stored (a restart re-running the same decision), it is not sent again.
- A placement that fails with ``RetryLater`` stays PENDING; one that times out after sending, or whose
  answer cannot be read, becomes UNKNOWN. Both are resolved by looking the id up at the venue
  (:meth:`OrderGateway.resolve`); only a definite ``OrderNotFound`` allows re-sending, and then under
  the same id. A failed lookup is never taken as "not found".
- "Not found" is final only after the order's outcome deadline
(:meth:`bot.core.ports.Broker.outcome_deadline`:
  the moment its request can no longer execute; Binance refuses one older than ``recvWindow`` when it
  reaches the matching engine). Before that the request may still be on its way: a look-up 19 ms after a
  timeout found nothing, the bot re-sent, and both executed, because Binance refuses a repeated client
  id only while the first order is open. Orders carried over from before a restart get the deadline of
  the restart (they were sent before it).
- An acknowledged order the venue says it does not have, after its deadline, is EXPIRED ("missing at the
  venue"): the stop keeper then places a new stop (next attempt) at once.
- A cancel is never a send. Cancelling an order whose placement is pending or unknown *withdraws* it: if
  the venue never got it (final "not found"), it is CANCELED there and then, never re-sent; if the late
  request did reach the venue, the order found is booked and cancelled on the caller's next pass. (A
  kill switch once re-sent a lost entry while cancelling it.) ``resolve(resend=False)`` withdraws the
  same way (a lost entry while entries are stopped).
- Every state change is one order-event row; a fill is stored once per (venue, trade id).
- A replacement (a repriced entry, a chased exit, a tightened stop) is a new order under the same intent
  and purpose with the next ``attempt`` number (:meth:`OrderGateway.new_order`), never a reused id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from bot.core.order_state import OrderState
from bot.core.ports import AuditStore, Broker
from bot.core.send_result import SendOutcome, SendResult
from bot.domain import (
    BrokerError,
    Fill,
    Order,
    OrderEvent,
    OrderNotFound,
    OrderRejected,
    OrderStatus,
    OutcomeUnknown,
    RetryLater,
)
from bot.domain.orders import OrderPurpose, OrderType, Side, client_order_id_for
from bot.logs import get_logger

log = get_logger(__name__)


class OrderGateway:
    """Sends, cancels and looks up orders, keeping the audit DB and the set of open orders in step."""

    def __init__(self, broker: Broker, store: AuditStore, run_id: int, history: Sequence[int] = ()) -> None:
        """Rebuilds the order state from the journal, once: the orders of ``history`` (the bot's earlier
        runs on this venue, oldest first) and of ``run_id``; it follows this run's working orders."""
        self._broker = broker
        self._store = store
        self._run_id = run_id
        this_run = store.orders(run_id)  # read once: known, and its working orders followed
        self._state = OrderState([*(o for run in history for o in store.orders(run)), *this_run])
        self._open = self._state.working
        self._settles_at: dict[str, datetime] = {}  # client order id -> when "not found" becomes final
        self._withdrawn: dict[str, str] = {}  # client order id -> why it must not be (re-)sent
        self._anomalies: list[str] = []
        for order in this_run:
            if not order.status.is_terminal:
                self.adopt(order)

    def order(self, client_order_id: str) -> Order | None:
        """An order of this bot as the bot knows it now (any run, any state)."""
        return self._state.get(client_order_id)

    def first_entry(self, intent_id: str) -> Order | None:
        return self._state.first_entry(intent_id)

    def latest_filled_entry(self, symbol: str) -> Order | None:
        return self._state.latest_filled_entry(symbol)

    def take_in(self, order: Order) -> None:
        """An order state a reconciliation already journalled: known, and followed while it works."""
        self._state.put(order)

    def adopt(self, order: Order) -> None:
        """Follow a working order from the audit DB (a restart): whatever was sent before now is done or
        dead by the broker's outcome deadline from now."""
        self._state.put(order)
        self._settles_at[order.client_order_id] = self._broker.outcome_deadline()

    @property
    def open_orders(self) -> dict[str, Order]:
        return self._open

    def new_order(
        self,
        intent_id: str,
        symbol: str,
        side: Side,
        purpose: OrderPurpose,
        order_type: OrderType,
        quantity: Decimal,
        now: datetime,
        *,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        oco_with: str | None = None,
        first: bool = False,
    ) -> Order:
        """An order of ``intent_id`` for ``purpose`` under the next attempt's client id (not sent yet): the
        one place attempt numbers are handed out, so a replacement never reuses an id.

        ``first``: the intent's own order, attempt 0 whatever is known: its client id is a function of
        the decision alone, so a decision run again (a restart) finds its order stored, never sent twice."""
        attempt = 0 if first else self._state.next_attempt(intent_id, purpose)
        return Order(
            client_order_id=client_order_id_for(intent_id, purpose, attempt),
            intent_id=intent_id,
            symbol=symbol,
            side=side,
            order_type=order_type,
            purpose=purpose,
            quantity=quantity,
            created_at=now,
            price=price,
            stop_price=stop_price,
            oco_with=oco_with,
        )

    def send(self, order: Order) -> SendResult:
        """Store ``order``, then send it (never twice: an order stored already is not sent again)."""
        known = self._state.get(order.client_order_id)
        if known is not None:  # a decision run again (a restart): follow what was stored, send nothing
            log.warning("order_already_stored", client_order_id=order.client_order_id)
            self._state.put(known)
            return SendResult(SendOutcome.PLACED, known)
        if not self._store.save_new_order(self._run_id, order):
            # journalled by a run outside this bot's history (the same bot name on another venue): it is
            # not this state's to follow, and never sent from here
            log.critical("client_id_journalled_by_another_run", client_order_id=order.client_order_id)
            refusal = OrderRejected(f"client order id {order.client_order_id} is used by another run")
            return SendResult(SendOutcome.REFUSED, replace(order, status=OrderStatus.REJECTED), refusal)
        self._state.put(order)
        return self.place(order, order.created_at)

    def place(self, order: Order, now: datetime) -> SendResult:
        """Send a stored order. The one call site of ``Broker.place_order`` in the bot, and it refuses an
        order the audit DB does not hold: nothing reaches a venue without being stored first."""
        if order.client_order_id not in self._state:  # it enters the state only once journalled
            raise RuntimeError(f"order {order.client_order_id} is not in the audit DB: refusing to send it")
        try:
            acked = self._broker.place_order(order)
        except OrderRejected as exc:
            refused = replace(order, status=OrderStatus.REJECTED)
            self.transition(refused, now, str(exc))
            log.warning(
                "order_rejected", client_order_id=order.client_order_id, symbol=order.symbol, error=str(exc)
            )
            return SendResult(SendOutcome.REFUSED, refused, exc)
        except RetryLater as exc:
            log.warning("order_send_deferred", client_order_id=order.client_order_id, error=str(exc))
            return SendResult(SendOutcome.UNKNOWN, order)
        except OutcomeUnknown as exc:
            self._settles_at[order.client_order_id] = self._broker.outcome_deadline()
            unknown = replace(order, status=OrderStatus.UNKNOWN)
            self.transition(unknown, now, str(exc))
            log.warning("order_outcome_unknown", client_order_id=order.client_order_id, error=str(exc),
                        final_after=self._settles_at[order.client_order_id].isoformat())  # fmt: skip
            return SendResult(SendOutcome.UNKNOWN, unknown)
        self._settles_at[order.client_order_id] = self._broker.outcome_deadline()
        self.transition(acked, now, "acknowledged")
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
        return SendResult(SendOutcome.PLACED, acked)

    def cancel(self, order: Order, now: datetime, reason: str = "cancel requested") -> bool:
        """Cancel an order; True if it ended without filling (cancelled, expired, never sent), so the
        caller may replace it. False while it may still work, and when it filled: a stop that filled
        just before its cancel has sold the coins an exit would sell again (Binance refuses the cancel of
        a filled order with -2011, "unknown order"; the look-up then finds it FILLED).

        ``reason`` is stored on the order event (e.g. "repriced", "stop tightened").
        """
        try:
            cancelled = self._broker.cancel_order(order.symbol, order.client_order_id)
        except OrderNotFound:
            self.resolve(order, now, resend=False, reason=reason)
            after = self._state.get(order.client_order_id) or order
            return after.status.is_terminal and after.status is not OrderStatus.FILLED
        except BrokerError as exc:
            log.warning("cancel_failed", client_order_id=order.client_order_id, error=str(exc))
            return False
        self.transition(cancelled, now, reason)
        return cancelled.status is OrderStatus.CANCELED

    def transition(self, order: Order, now: datetime, detail: str) -> None:
        """Record an order's new state (and an event) if anything changed.

        The venue reporting another of its orders under a client id we already booked (a request the bot
        gave up on executed, and so did its re-send) is not booked over the first: it is an anomaly
        (:meth:`take_anomalies`), and entries stop."""
        previous = self._state.get(order.client_order_id)
        booked = previous.exchange_order_id if previous is not None else None
        if duplicate_venue_order(order.client_order_id, booked, order.exchange_order_id):
            self._anomalies.append("duplicate_venue_order")
            return
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
        self._state.put(order)
        if order.status.is_terminal:
            self._settles_at.pop(order.client_order_id, None)
            self._withdrawn.pop(order.client_order_id, None)

    def take_anomalies(self) -> list[str]:
        """Why entries must stop, found since the last call (each reported once)."""
        found, self._anomalies = self._anomalies, []
        return found

    def venue_lacks(self, client_order_ids: Sequence[str], now: datetime) -> list[Order]:
        """The venue answered it has none of these (a poll's ``missing``): each acknowledged order past its
        deadline becomes EXPIRED, and is returned; an unknown outcome is left to :meth:`resolve`."""
        expired: list[Order] = []
        for cid in client_order_ids:
            order = self._open.get(cid)
            if order is None or order.status not in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED):
                continue
            if not self.not_found_is_final(cid, now):
                continue
            gone = replace(order, status=OrderStatus.EXPIRED)
            self.transition(gone, now, "missing at the venue")
            expired.append(gone)
        return expired

    def store_fills(self, fills: Sequence[Fill]) -> list[Fill]:
        """Store the venue's fills; returns those stored for the first time (a re-report is not new)."""
        new = self._store.record_fills(fills)
        self._broker.acknowledge(fills)  # all of them are in the DB now
        return new

    def not_found_is_final(self, client_order_id: str, now: datetime) -> bool:
        """Whether the venue's "no such order" is the last word on it: its request can no longer execute."""
        deadline = self._settles_at.get(client_order_id)
        return deadline is None or now >= deadline

    def resolve(
        self, order: Order, now: datetime, *, resend: bool = True, reason: str = "entries stopped"
    ) -> None:
        """Find out what became of an order the venue may or may not have: look it up by client id.

        ``resend=False`` withdraws a pending or unknown order (``reason`` is stored): once "not found" is
        final it is CANCELED instead of sent again. If the venue has it after all, it is booked as found
        and stays open: whoever wanted it gone (kill switch, stop keeper) cancels it on its next pass."""
        cid = order.client_order_id
        if not resend and order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            self._withdrawn.setdefault(cid, reason)
        try:
            found = self._broker.fetch_order(order.symbol, cid)
        except OrderNotFound:
            if not self.not_found_is_final(cid, now):
                log.info("order_not_found_yet", client_order_id=cid,
                         final_after=self._settles_at[cid].isoformat())  # fmt: skip
                return
            if order.status not in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
                self.transition(replace(order, status=OrderStatus.EXPIRED), now, "venue no longer has it")
            elif cid in self._withdrawn:
                why = f"{self._withdrawn[cid]}: withdrawn before it reached the venue"
                self.transition(replace(order, status=OrderStatus.CANCELED), now, why)
                log.info("order_withdrawn_unsent", client_order_id=cid, reason=why)
            else:
                log.info("order_resent_same_id", client_order_id=cid)
                self.place(order, now)
            return
        except BrokerError as exc:
            log.warning("order_lookup_failed", client_order_id=cid, error=str(exc))
            return
        self.transition(found, now, "looked up by client order id")  # working: the caller cancels again


def duplicate_venue_order(client_order_id: str, booked: str | None, reported: str | None) -> bool:
    """Whether the venue order ``reported`` under ``client_order_id`` is not the one ``booked`` for it: two
    venue orders under one client id (Binance keeps a client id unique only among open orders). Said
    loudly when it is."""
    if booked is None or reported is None or booked == reported:
        return False
    log.critical(
        "duplicate_venue_order", client_order_id=client_order_id, exchange_order_ids=[booked, reported]
    )
    return True
