"""The one owner of order state in memory: every order of this bot (this run's and its earlier runs'),
the next attempt number per intent and purpose, which orders are working, and the newest filled entry
per symbol (whose intent owns the position's stop).

Trading decisions read orders from here, never from the audit DB: the DB is the journal, written as the
gateway learns and read once, at start-up, to rebuild this (compare NautilusTrader's cache). Only the
order gateway writes to it (:meth:`OrderState.put`), after journalling the change.

Finished orders are not held forever (a daemon's memory must not grow with every order; NautilusTrader
purges closed orders likewise): beyond the newest :data:`KEEP_FINISHED`, a finished order is forgotten
unless its intent still matters (an order of it is working, or it owns a position's stop). The journal
keeps them all; a client order id is never reused (the journal's unique key refuses it).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain import Order, OrderPurpose
from bot.domain.orders import attempt_of, client_order_id_for

KEEP_FINISHED = 2_000


class OrderState:
    def __init__(self, orders: Iterable[Order] = ()) -> None:
        """``orders``: what the journal holds of this bot, oldest run first (nothing is tracked as working
        from it: the gateway adopts the orders it follows)."""
        self._orders: dict[str, Order] = {}
        self._next_attempt: dict[tuple[str, OrderPurpose], int] = {}
        self._filled_entry: dict[str, Order] = {}  # symbol -> newest entry with a fill
        self._seq: dict[str, int] = {}  # client order id -> when it was first journalled (the DB id's order)
        self._journalled = 0  # orders put so far (the next one's seq)
        self.working: dict[str, Order] = {}  # client order id -> a non-terminal order the bot follows
        for order in orders:
            self.put(order, track=False)

    def __contains__(self, client_order_id: str) -> bool:
        return client_order_id in self._orders

    def get(self, client_order_id: str) -> Order | None:
        return self._orders.get(client_order_id)

    def put(self, order: Order, *, track: bool = True) -> None:
        """Record an order's newest state (``track``: follow it while it works)."""
        cid = order.client_order_id
        self._orders[cid] = order
        seq = self._seq.get(cid)
        if seq is None:
            seq = self._seq[cid] = self._journalled
            self._journalled += 1
        key = (order.intent_id, order.purpose)
        self._next_attempt[key] = max(self._next_attempt.get(key, 0), attempt_of(order) + 1)
        if order.purpose is OrderPurpose.ENTRY and order.filled_quantity > 0:
            newest = self._filled_entry.get(order.symbol)
            if (
                newest is None
                or newest.client_order_id == cid
                or (order.created_at, seq) > (newest.created_at, self._seq[newest.client_order_id])
            ):
                self._filled_entry[order.symbol] = order
        if order.status.is_terminal:
            self.working.pop(cid, None)
            if len(self._orders) > len(self.working) + 2 * KEEP_FINISHED:
                self._forget_finished()
        elif track:
            self.working[cid] = order

    def _forget_finished(self) -> None:
        """Forget the oldest finished orders of intents that no longer matter, down to KEEP_FINISHED."""
        live = {o.intent_id for o in self.working.values()} | {
            o.intent_id for o in self._filled_entry.values()
        }
        finished = [
            cid for cid, o in self._orders.items() if o.status.is_terminal and o.intent_id not in live
        ]
        for cid in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._orders[cid], self._seq[cid]
        present = {o.intent_id for o in self._orders.values()}
        for key in [key for key in self._next_attempt if key[0] not in present]:
            del self._next_attempt[key]

    def next_attempt(self, intent_id: str, purpose: OrderPurpose) -> int:
        """The attempt number for a new order of ``intent_id``/``purpose`` (taken: never handed out twice)."""
        key = (intent_id, purpose)
        attempt = self._next_attempt.get(key, 0)
        self._next_attempt[key] = attempt + 1
        return attempt

    def first_entry(self, intent_id: str) -> Order | None:
        """The intent's first entry order: the price the risk chain approved."""
        return self._orders.get(client_order_id_for(intent_id, OrderPurpose.ENTRY, 0))

    def latest_filled_entry(self, symbol: str) -> Order | None:
        """The newest entry on ``symbol`` with a fill: the one whose intent owns the position's stop."""
        return self._filled_entry.get(symbol)
