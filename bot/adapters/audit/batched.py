"""A write-behind audit store for backtests: the same tables, written in a few large transactions.

A backtest has no venue: its paper broker is in memory and the run is reproducible from its candles
and config. So its audit trail need not be committed row by row (the daemon's
:class:`~bot.adapters.audit.store.SqlAuditStore` commits every write, because a live order must be on disk
before
it is sent). :class:`BatchedAuditStore` keeps the run's rows in memory and inserts them in bulk every
``flush_rows`` rows, before any read it cannot answer itself, and when the run finishes or the store
closes. A backtest killed midway leaves its run ``running`` with the rows of the last flush; rerun it.

The engine never reads its journal during a run (it keeps its order state in memory:
``bot.core.order_state``), so this store answers no read from memory: every read (reports, the end
of the run) flushes, then asks the database. A repeated intent, order or fill *of this store's own
writes* is refused as the unique keys would refuse it; rows of other runs are not looked up (a
backtest's ids are scoped to its run), and should one collide anyway the flush fails on the database's
unique key. Runs and trading state events are written through at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import URL, Engine
from sqlalchemy.orm import Session

from bot.adapters.audit import convert
from bot.adapters.audit.bulk import bulk_insert
from bot.adapters.audit.journal import EXCURSION_KEY, excursion_values
from bot.adapters.audit.models import (
    EquitySnapshotRow,
    FillRow,
    IntentRow,
    OrderEventRow,
    OrderRow,
    RiskDecisionRow,
    TradeExcursionRow,
    table_of,
)
from bot.adapters.audit.store import SqlAuditStore
from bot.adapters.audit.writes import (
    ORDER_UPDATE,
    UnknownRecordError,
    check_decisions,
    check_event,
    first_event,
    order_update_values,
)
from bot.domain import EquitySnapshot, Fill, Order, OrderEvent, OrderIntent, RiskDecision
from bot.domain.journal import PriceExcursion

FLUSH_ROWS = 50_000


_ORDERS = table_of(OrderRow)
# Written after the orders, in this order (a decision refers to its intent).
_CHILDREN = (IntentRow, RiskDecisionRow, OrderEventRow, FillRow, EquitySnapshotRow, TradeExcursionRow)


class BatchedAuditStore(SqlAuditStore):
    """:class:`SqlAuditStore` with the writes of its runs buffered (see the module docstring)."""

    def __init__(
        self, url_or_engine: str | URL | Engine, venue: str, *, flush_rows: int = FLUSH_ROWS
    ) -> None:
        super().__init__(url_or_engine, venue)
        self._flush_rows = flush_rows
        self._orders: dict[str, tuple[int, Order]] = {}  # client id -> (run, newest state), to write
        self._intent_ids: set[str] = set()
        self._fill_keys: set[tuple[str, str]] = set()
        self._excursion_keys: set[tuple[Any, ...]] = set()
        self._updated_at: dict[str, datetime] = {}
        self._unwritten: list[str] = []  # orders not inserted yet
        self._changed: set[str] = set()  # inserted orders updated since
        self._rows: dict[type[Any], list[dict[str, Any]]] = {model: [] for model in _CHILDREN}
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
        self._orders[cid] = (run_id, order)
        self._unwritten.append(cid)
        self._add(OrderEventRow, convert.event_values(first_event(order)))
        self._maybe_flush()
        return True

    def record_order_update(self, order: Order, event: OrderEvent) -> None:
        check_event(order, event)
        cid = order.client_order_id
        if cid not in self._orders:
            raise UnknownRecordError(f"no order with client order id {cid!r} in this backtest")
        run_id, stored = self._orders[cid]
        venue_id = order.exchange_order_id or stored.exchange_order_id
        self._orders[cid] = (run_id, replace(order, exchange_order_id=venue_id))
        self._updated_at[cid] = event.occurred_at
        self._changed.add(cid)
        self._add(OrderEventRow, convert.event_values(event))
        self._maybe_flush()

    def record_fills(self, fills: Sequence[Fill]) -> list[Fill]:
        new = []
        for fill in fills:
            key = (fill.venue, fill.trade_id)
            if key in self._fill_keys:
                continue
            self._fill_keys.add(key)
            self._add(FillRow, convert.fill_values(fill))
            new.append(fill)
        self._maybe_flush()
        return new

    def record_equity(self, run_id: int, snapshot: EquitySnapshot) -> None:
        self._add(EquitySnapshotRow, convert.snapshot_values(run_id, snapshot))
        self._maybe_flush()

    def record_excursion(self, run_id: int, excursion: PriceExcursion) -> bool:
        values = excursion_values(run_id, excursion)
        key = tuple(values[column] for column in EXCURSION_KEY)
        if key in self._excursion_keys:
            return False
        self._excursion_keys.add(key)
        self._add(TradeExcursionRow, values)
        self._maybe_flush()
        return True

    def finish_run(self, run_id: int, stopped_at: datetime, status: str) -> None:
        self.flush()
        super().finish_run(run_id, stopped_at, status)

    def close(self) -> None:
        try:
            self.flush()  # a failed flush raises: the caller learns its rows were not written
        finally:
            super().close()

    # ----------------------------------------------------------------- reads: flush first

    def get_order(self, client_order_id: str) -> Order | None:
        self.flush()
        return super().get_order(client_order_id)

    def orders(self, run_id: int | None = None, *, only_open: bool = False) -> list[Order]:
        self.flush()
        return super().orders(run_id, only_open=only_open)

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
        run_id, order = self._orders[cid]
        values = convert.order_values(run_id, self.venue, order)
        values["updated_at"] = self._updated_at.get(cid, order.created_at)
        return values

    def _update_values(self, cid: str) -> dict[str, Any]:
        return order_update_values(self._orders[cid][1], self._updated_at[cid])

    def flush(self) -> None:
        """Write everything buffered, in one transaction (parents before the rows that refer to them)."""
        if not (self._pending or self._unwritten or self._changed):
            return

        def write(s: Session) -> None:  # reads the buffers only: a retry writes the same rows
            connection = s.connection()
            bulk_insert(connection, _ORDERS, [self._order_values(cid) for cid in self._unwritten])
            changed = [self._update_values(cid) for cid in self._changed.difference(self._unwritten)]
            if changed:
                s.execute(ORDER_UPDATE, changed)
            for model in _CHILDREN:
                bulk_insert(connection, table_of(model), self._rows[model])

        self._write(write)
        self._unwritten = []
        self._changed = set()
        self._rows = {model: [] for model in self._rows}
        self._pending = 0
