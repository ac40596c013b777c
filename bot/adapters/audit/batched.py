"""A write-behind audit store for backtests: the same tables, written in a few large transactions.

A backtest has no venue: its paper broker is in memory and the run is reproducible from its candles
and config. So its audit trail need not be committed row by row (the daemon's
:class:`~bot.adapters.audit.store.SqlAuditStore` commits every write, because a live order must be on disk
before
it is sent). :class:`BatchedAuditStore` keeps the run's rows in memory and inserts them in bulk every
``flush_rows`` rows, before any read it cannot answer itself, and when the run finishes or the store
closes. A backtest killed midway leaves its run ``running`` with the rows of the last flush; rerun it.

What the engine reads back during the run (an order by client id, the run's orders, an intent's
orders, the entry that owns a stop) is answered from memory as the database would answer it: the same
numbers (rounded where the 18-place columns would round), venue ids kept, one-cancels-other links
dropped. A repeated
intent, order or fill *of this store's own writes* is refused as the unique keys would refuse it; rows
of other runs are not looked up (a backtest's ids are scoped to its run), and should one collide anyway
the flush fails on the database's unique key. Other reads (reports, other runs) go to the database,
after a flush; runs and trading state events are written through at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import URL, Engine, bindparam, update
from sqlalchemy.orm import Session

from bot.adapters.audit import convert
from bot.adapters.audit.bulk import bulk_insert
from bot.adapters.audit.models import (
    EquitySnapshotRow,
    FillRow,
    IntentRow,
    OrderEventRow,
    OrderRow,
    RiskDecisionRow,
    table_of,
)
from bot.adapters.audit.store import (
    SqlAuditStore,
    UnknownRecordError,
    check_decisions,
    check_event,
    first_event,
)
from bot.adapters.audit.types import SCALE, to_storable_decimal
from bot.domain import EquitySnapshot, Fill, Order, OrderEvent, OrderIntent, OrderPurpose, RiskDecision

FLUSH_ROWS = 50_000


_ORDERS = table_of(OrderRow)
_ORDER_UPDATE = (
    update(_ORDERS)
    .where(_ORDERS.c.client_order_id == bindparam("cid"))
    .values(
        status=bindparam("new_status"),
        filled_quantity=bindparam("new_filled"),
        average_fill_price=bindparam("new_average"),
        exchange_order_id=bindparam("new_venue_id"),
        updated_at=bindparam("new_updated_at"),
    )
)


def _as_stored_decimal(value: Decimal | None) -> Decimal | None:
    """What the database keeps of a decimal: the same number unless it has more than 18 places (an
    order's prices and amounts are on the exchange's grid, so that takes a grid finer than 1e-18)."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    return value if isinstance(exponent, int) and exponent >= -SCALE else to_storable_decimal(value)


def as_stored(order: Order) -> Order:
    """``order`` as the database would give it back: the same numbers, no one-cancels-other link."""
    return Order(
        client_order_id=order.client_order_id,
        intent_id=order.intent_id,
        symbol=order.symbol,
        side=order.side,
        order_type=order.order_type,
        purpose=order.purpose,
        quantity=_as_stored_decimal(order.quantity) or Decimal(0),
        created_at=order.created_at,
        price=_as_stored_decimal(order.price),
        stop_price=_as_stored_decimal(order.stop_price),
        status=order.status,
        exchange_order_id=order.exchange_order_id,
        filled_quantity=_as_stored_decimal(order.filled_quantity) or Decimal(0),
        average_fill_price=_as_stored_decimal(order.average_fill_price),
    )


class BatchedAuditStore(SqlAuditStore):
    """:class:`SqlAuditStore` with the writes of its runs buffered (see the module docstring)."""

    def __init__(
        self, url_or_engine: str | URL | Engine, venue: str, *, flush_rows: int = FLUSH_ROWS
    ) -> None:
        super().__init__(url_or_engine, venue)
        self._flush_rows = flush_rows
        self._orders: dict[str, tuple[int, int, Order]] = {}  # client id -> (run, seq, order as stored)
        self._by_intent: dict[str, list[str]] = {}
        self._runs_held: set[int] = set()  # runs whose every order this store wrote (and holds)
        self._filled_entry: dict[tuple[int, str], tuple[datetime, int, str]] = {}  # newest, per run+symbol
        self._intent_ids: set[str] = set()
        self._fill_keys: set[tuple[str, str]] = set()
        self._updated_at: dict[str, datetime] = {}
        self._unwritten: list[str] = []  # orders not inserted yet
        self._changed: set[str] = set()  # inserted orders updated since
        self._rows: dict[type[Any], list[dict[str, Any]]] = {
            IntentRow: [], RiskDecisionRow: [], OrderEventRow: [], FillRow: [], EquitySnapshotRow: []
        }  # fmt: skip
        self._pending = 0

    # ----------------------------------------------------------------- writes (buffered)

    def record_intent(self, run_id: int, intent: OrderIntent, decisions: Sequence[RiskDecision]) -> bool:
        check_decisions(intent, decisions)
        if intent.intent_id in self._intent_ids:
            return False
        self._intent_ids.add(intent.intent_id)
        self._add(IntentRow, convert.intent_values(run_id, intent))
        for seq, decision in enumerate(decisions, start=1):
            self._add(RiskDecisionRow, convert.decision_values(seq, decision))
        self._maybe_flush()
        return True

    def save_new_order(self, run_id: int, order: Order) -> bool:
        cid = order.client_order_id
        if cid in self._orders:
            return False
        seq = len(self._orders)
        self._orders[cid] = (run_id, seq, as_stored(order))
        self._by_intent.setdefault(order.intent_id, []).append(cid)
        self._runs_held.add(run_id)
        self._index_entry(run_id, seq, self._orders[cid][2])
        self._unwritten.append(cid)
        self._add(OrderEventRow, convert.event_values(first_event(order)))
        self._maybe_flush()
        return True

    def record_order_update(self, order: Order, event: OrderEvent) -> None:
        check_event(order, event)
        cid = order.client_order_id
        if cid not in self._orders:
            raise UnknownRecordError(f"no order with client order id {cid!r} in this backtest")
        run_id, seq, stored = self._orders[cid]
        venue_id = order.exchange_order_id or stored.exchange_order_id
        self._orders[cid] = (run_id, seq, as_stored(replace(order, exchange_order_id=venue_id)))
        self._index_entry(run_id, seq, self._orders[cid][2])
        self._updated_at[cid] = event.occurred_at
        self._changed.add(cid)
        self._add(OrderEventRow, convert.event_values(event))
        self._maybe_flush()

    def record_fill(self, fill: Fill) -> bool:
        key = (fill.venue, fill.trade_id)
        if key in self._fill_keys:
            return False
        self._fill_keys.add(key)
        self._add(FillRow, convert.fill_values(fill))
        self._maybe_flush()
        return True

    def record_equity(self, run_id: int, snapshot: EquitySnapshot) -> None:
        self._add(EquitySnapshotRow, convert.snapshot_values(run_id, snapshot))
        self._maybe_flush()

    def finish_run(self, run_id: int, stopped_at: datetime, status: str) -> None:
        self.flush()
        super().finish_run(run_id, stopped_at, status)

    def close(self) -> None:
        try:
            self.flush()  # a failed flush raises: the caller learns its rows were not written
        finally:
            super().close()

    # ----------------------------------------------------------------- reads answered from memory

    def get_order(self, client_order_id: str) -> Order | None:
        held = self._orders.get(client_order_id)
        return held[2] if held is not None else super().get_order(client_order_id)

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]:
        if run_id is None or run_id not in self._runs_held:
            self.flush()
            return super().orders(run_id, only_open=only_open)
        mine = [(o.created_at, seq, o) for r, seq, o in self._orders.values() if r == run_id]
        return [
            o
            for _, _, o in sorted(mine, key=lambda t: (t[0], t[1]))
            if not (only_open and o.status.is_terminal)
        ]

    def orders_for_intent(self, intent_id: str) -> list[Order]:
        if intent_id not in self._by_intent:
            return super().orders_for_intent(intent_id)
        return [self._orders[cid][2] for cid in self._by_intent[intent_id]]

    def latest_filled_entry(self, symbol: str, runs: Sequence[int]) -> Order | None:
        for run_id in reversed(runs):
            newest = self._filled_entry.get((run_id, symbol))
            if newest is not None:
                return self._orders[newest[2]][2]
            if run_id not in self._runs_held:  # a run this store did not write: ask the database
                self.flush()
                found = super().latest_filled_entry(symbol, [run_id])
                if found is not None:
                    return found
        return None

    def _index_entry(self, run_id: int, seq: int, order: Order) -> None:
        """Keep the newest entry with a fill per run and symbol (fills only ever grow)."""
        if order.purpose is not OrderPurpose.ENTRY or order.filled_quantity <= 0:
            return
        key = (run_id, order.symbol)
        rank = (order.created_at, seq, order.client_order_id)
        current = self._filled_entry.get(key)
        if current is None or rank[:2] > current[:2]:
            self._filled_entry[key] = rank

    # ----------------------------------------------------------------- reads of buffered tables: flush first

    def order_status_counts(self, run_id: int) -> dict[str, int]:
        self.flush()
        return super().order_status_counts(run_id)

    def intent_outcome_counts(self, run_id: int) -> tuple[dict[str, int], dict[str, int]]:
        self.flush()
        return super().intent_outcome_counts(run_id)

    def fills(self, run_id: int | None = None) -> list[Fill]:
        self.flush()
        return super().fills(run_id)

    def intents(self, run_id: int | None = None) -> list[OrderIntent]:
        self.flush()
        return super().intents(run_id)

    def decisions(self, run_id: int | None = None) -> list[RiskDecision]:
        self.flush()
        return super().decisions(run_id)

    def order_events(self, client_order_id: str | None = None, run_id: int | None = None) -> list[OrderEvent]:
        self.flush()
        return super().order_events(client_order_id, run_id)

    def equity_snapshots(self, run_id: int | None = None) -> list[EquitySnapshot]:
        self.flush()
        return super().equity_snapshots(run_id)

    # ----------------------------------------------------------------- the flush

    def _add(self, model: type[Any], values: dict[str, Any]) -> None:
        self._rows[model].append(values)
        self._pending += 1

    def _maybe_flush(self) -> None:
        if self._pending >= self._flush_rows:
            self.flush()

    def _order_values(self, cid: str) -> dict[str, Any]:
        run_id, _, order = self._orders[cid]
        values = convert.order_values(run_id, self.venue, order)
        values["updated_at"] = self._updated_at.get(cid, order.created_at)
        return values

    def _update_values(self, cid: str) -> dict[str, Any]:
        order = self._orders[cid][2]
        return {
            "cid": cid,
            "new_status": order.status.value,
            "new_filled": order.filled_quantity,
            "new_average": order.average_fill_price,
            "new_venue_id": order.exchange_order_id,
            "new_updated_at": self._updated_at[cid],
        }

    def flush(self) -> None:
        """Write everything buffered, in one transaction (parents before the rows that refer to them)."""
        if not (self._pending or self._unwritten or self._changed):
            return

        def write(s: Session) -> None:  # reads the buffers only: a retry writes the same rows
            connection = s.connection()
            bulk_insert(connection, _ORDERS, [self._order_values(cid) for cid in self._unwritten])
            changed = [self._update_values(cid) for cid in self._changed.difference(self._unwritten)]
            if changed:
                s.execute(_ORDER_UPDATE, changed)
            for model in (IntentRow, RiskDecisionRow, OrderEventRow, FillRow, EquitySnapshotRow):
                bulk_insert(connection, table_of(model), self._rows[model])

        self._write(write)
        self._unwritten = []
        self._changed = set()
        self._rows = {model: [] for model in self._rows}
        self._pending = 0
