"""Reconciling orders: the DB's working orders looked up at the venue, the venue's open orders checked
against the DB. The venue's answer is recorded; nothing is sent, re-sent or cancelled here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.core.order_gateway import duplicate_venue_order
from bot.core.ports import Broker
from bot.core.reconcile.report import LookupFailure
from bot.domain import (
    BrokerError,
    FatalBrokerError,
    Fill,
    Order,
    OrderEvent,
    OrderNotFound,
    OrderStatus,
)
from bot.logs import get_logger

if TYPE_CHECKING:
    from bot.domain.records import RunRecord

log = get_logger(__name__)

RECONCILED = "reconciled"
NOT_AT_VENUE = "not at venue after restart"


class ReconcileStore(Protocol):
    """What reconciliation needs of the audit store (``SqlAuditStore`` has it all)."""

    def runs(self) -> list[RunRecord]: ...

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]: ...

    def fills(self, run_id: int | None = None) -> list[Fill]: ...

    def get_order(self, client_order_id: str) -> Order | None: ...

    def record_order_update(self, order: Order, event: OrderEvent) -> None: ...

    def record_fills(self, fills: Sequence[Fill]) -> list[Fill]: ...


@runtime_checkable
class TracksOrders(Protocol):
    """A broker that can be told about orders it did not place itself (``CcxtBroker.track``)."""

    def track(self, order: Order) -> None: ...


@dataclass(slots=True)
class Findings:
    """What one reconciliation has done and found so far."""

    at: datetime
    checked: int = 0
    updates: dict[str, Order] = field(default_factory=dict)
    expired: list[Order] = field(default_factory=list)
    unknown: dict[str, Order] = field(default_factory=dict)
    duplicates: dict[str, Order] = field(default_factory=dict)  # a second venue order under a booked id
    fills: list[Fill] = field(default_factory=list)
    failures: list[LookupFailure] = field(default_factory=list)

    def fail(self, operation: str, subject: str, exc: BaseException) -> None:
        self.failures.append(LookupFailure(operation, subject, str(exc)))
        log.warning("reconcile_lookup_failed", operation=operation, subject=subject, error=str(exc))


class _Answer(Enum):
    NOT_FOUND = "not found"  # the venue definitely has no such order
    FAILED = "failed"  # the lookup failed: nothing is known


class OrderReconciler:
    """Steps 1 and 2 of :class:`bot.core.reconcile.Reconciler`."""

    def __init__(self, broker: Broker, store: ReconcileStore, *, venue: str, id_prefix: str) -> None:
        self._broker = broker
        self._store = store
        self._venue = venue
        self._prefix = id_prefix

    def stored_working_orders(self) -> list[Order]:
        """Every order not terminal in the DB, in any run against this venue (oldest first per run)."""
        runs = [run.id for run in self._store.runs() if run.venue == self._venue]
        return [order for run_id in runs for order in self._store.orders(run_id, only_open=True)]

    def check_stored(
        self, order: Order, found: Findings, settled: Callable[[Order], bool] | None = None
    ) -> None:
        """Look ``order`` up by client order id; record the answer. Two definite "not found" answers in a
        row make it EXPIRED, once "not found" is final for it (``settled``: a request still on its way
        may execute later; the gateway settles that order itself); a failed lookup leaves it as it is."""
        found.checked += 1
        self._track(order)  # later polls follow it, and the venue's answer keeps our details
        answer = self._look_up(order, found)
        if answer is _Answer.NOT_FOUND:
            answer = self._look_up(order, found)  # never conclude on one answer
            if answer is _Answer.NOT_FOUND and settled is not None and not settled(order):
                log.info("reconcile_not_found_yet", client_order_id=order.client_order_id)
            elif answer is _Answer.NOT_FOUND:
                self._expire(order, found)
        if isinstance(answer, Order):
            self.record(order, answer, found)

    def check_venue_open(self, symbol: str, found: Findings) -> None:
        """The venue's open orders on ``symbol``: ours unknown to the DB are reported, the others recorded."""
        try:
            venue_orders = self._broker.open_orders(symbol)
        except FatalBrokerError:
            raise
        except BrokerError as exc:
            found.fail("open_orders", symbol, exc)
            return
        for venue_order in venue_orders:
            self.venue_says(venue_order, found)

    def venue_says(self, venue_order: Order, found: Findings) -> None:
        """Take in one order as the venue reports it (open orders, a poll)."""
        cid = venue_order.client_order_id
        if not cid.startswith(self._prefix):
            return  # placed by hand or by another program: not ours to judge
        stored = self._store.get_order(cid)
        if stored is not None:
            self.record(stored, venue_order, found)
        elif not venue_order.status.is_terminal and cid not in found.unknown:
            found.unknown[cid] = venue_order
            log.warning("reconcile_unknown_open_order", client_order_id=cid, symbol=venue_order.symbol)

    def record(self, stored: Order, venue_order: Order, found: Findings) -> None:
        """Record the venue's progress on ``stored`` (our details kept) if it says anything new; another
        venue order under its client id is reported, never booked over it."""
        cid = stored.client_order_id
        if duplicate_venue_order(cid, stored.exchange_order_id, venue_order.exchange_order_id):
            found.duplicates[cid] = venue_order
            return
        merged = replace(
            stored,
            status=venue_order.status,
            filled_quantity=venue_order.filled_quantity,
            average_fill_price=venue_order.average_fill_price or stored.average_fill_price,
            exchange_order_id=venue_order.exchange_order_id or stored.exchange_order_id,
        )
        if _progress(merged) == _progress(stored):
            return
        cid = merged.client_order_id
        self._store.record_order_update(
            merged, OrderEvent(cid, merged.status, found.at, RECONCILED, merged.exchange_order_id)
        )
        found.updates[cid] = merged
        log.info(
            "reconcile_order_updated",
            client_order_id=cid,
            was=stored.status.value,
            status=merged.status.value,
            filled=str(merged.filled_quantity),
        )

    def _expire(self, order: Order, found: Findings) -> None:
        expired = replace(order, status=OrderStatus.EXPIRED)
        event = OrderEvent(
            order.client_order_id, OrderStatus.EXPIRED, found.at, NOT_AT_VENUE, order.exchange_order_id
        )
        self._store.record_order_update(expired, event)
        self._track(expired)  # terminal: the broker stops following it
        found.updates[order.client_order_id] = expired
        found.expired.append(expired)
        log.warning(
            "reconcile_order_expired",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            was=order.status.value,
        )

    def _look_up(self, order: Order, found: Findings) -> Order | _Answer:
        """The venue's answer by client order id; a failed lookup is never taken as "not found"."""
        try:
            return self._broker.fetch_order(order.symbol, order.client_order_id)
        except OrderNotFound:
            return _Answer.NOT_FOUND
        except FatalBrokerError:
            raise
        except BrokerError as exc:
            found.fail("fetch_order", order.client_order_id, exc)
            return _Answer.FAILED

    def _track(self, order: Order) -> None:
        if isinstance(self._broker, TracksOrders):
            self._broker.track(order)


def _progress(order: Order) -> tuple[OrderStatus, Decimal, str | None]:
    return order.status, order.filled_quantity, order.exchange_order_id
