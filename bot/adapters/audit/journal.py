"""The trade journal's rows: each round trip's price range, humans' notes, and what the journal reads of
the orders and intents behind a round trip.

:class:`SqlTradeJournal` shares an audit store's engine (or opens its own from a URL). A database still
at an earlier revision (a report never migrates) has no journal tables: the reads then answer nothing,
and :meth:`SqlTradeJournal.has_tables` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Row, insert, inspect, select
from sqlalchemy.orm import Session

from bot.adapters.audit.models import IntentRow, OrderRow, TradeExcursionRow, TradeNoteRow, table_of
from bot.adapters.audit.reader import SqlAuditReader
from bot.domain import IntentKind, OrderPurpose
from bot.domain.journal import PriceExcursion, TradeNote

T = TypeVar("T")

EXCURSION_KEY = ("run_id", "symbol", "opened_at", "closed_at")
_EXCURSIONS, _NOTES = table_of(TradeExcursionRow), table_of(TradeNoteRow)
_ORDERS, _INTENTS = table_of(OrderRow), table_of(IntentRow)
JOURNAL_TABLES = ("trade_excursions", "trade_notes")


@dataclass(frozen=True, slots=True)
class OrderOrigin:
    """An order as the journal needs it: its purpose and stop, and the intent it was sent for (the
    intent's fields are None when the journal does not hold it, e.g. an order adopted from the venue)."""

    client_order_id: str
    purpose: OrderPurpose
    stop_price: Decimal | None
    intent_id: str
    strategy: str | None
    intent_kind: IntentKind | None
    reason: str | None
    intent_stop: Decimal | None


def excursion_values(run_id: int, excursion: PriceExcursion) -> dict[str, Any]:
    return {
        "run_id": run_id, "symbol": excursion.symbol, "opened_at": excursion.opened_at,
        "closed_at": excursion.closed_at, "timeframe": excursion.timeframe, "candles": excursion.candles,
        "lowest": excursion.lowest, "highest": excursion.highest,
    }  # fmt: skip


def _excursion(row: Row[Any]) -> PriceExcursion:
    return PriceExcursion(row.symbol, row.opened_at, row.closed_at, row.timeframe, row.candles, row.lowest,
                          row.highest)  # fmt: skip


def _note(row: Row[Any]) -> TradeNote:
    return TradeNote(row.trade_id, row.run_id, row.bot_name, row.text, row.actor, row.created_at, row.id)


def _origin(row: Row[Any]) -> OrderOrigin:
    return OrderOrigin(
        row.client_order_id, OrderPurpose(row.purpose), row.stop_price, row.intent_id, row.strategy,
        IntentKind(row.kind) if row.kind is not None else None, row.reason, row.intent_stop,
    )  # fmt: skip


class SqlTradeJournal(SqlAuditReader):
    """Reads and writes of the trade journal's own tables (see the module docstring)."""

    def _write(self, work: Callable[[Session], T]) -> T:
        return self._transactions.write(work)

    def has_tables(self) -> bool:
        """Whether the database has the journal's tables (revision 0004 or later)."""
        names = self._read(lambda s: set(inspect(s.connection()).get_table_names()))
        return all(name in names for name in JOURNAL_TABLES)

    def excursions(self, run_id: int) -> list[PriceExcursion]:
        """The price ranges of the round trips ``run_id`` closed, by close time."""
        query = select(_EXCURSIONS).where(_EXCURSIONS.c.run_id == run_id).order_by(_EXCURSIONS.c.closed_at)
        return self._all(query, _excursion)

    def add_note(self, note: TradeNote) -> TradeNote:
        """Append ``note``; returns it with its id. Notes are never changed or removed."""
        values = {"trade_id": note.trade_id, "run_id": note.run_id, "bot_name": note.bot_name,
                  "text": note.text, "actor": note.actor, "created_at": note.created_at}  # fmt: skip
        statement = insert(_NOTES).values(**values).returning(_NOTES.c.id)
        note_id: int = self._write(lambda s: s.execute(statement).scalar_one())
        return replace(note, id=note_id)

    def notes(self, run_id: int) -> list[TradeNote]:
        """The notes on the trades of ``run_id``, oldest first."""
        query = select(_NOTES).where(_NOTES.c.run_id == run_id).order_by(_NOTES.c.id)
        return self._all(query, _note)

    def order_origins(self, client_order_ids: Collection[str]) -> dict[str, OrderOrigin]:
        """Each named order (those the journal holds) with its intent, in one query per 500 ids."""
        ids = sorted(set(client_order_ids))
        found: dict[str, OrderOrigin] = {}
        for start in range(0, len(ids), 500):
            query = (
                select(
                    _ORDERS.c.client_order_id, _ORDERS.c.purpose, _ORDERS.c.stop_price, _ORDERS.c.intent_id,
                    _INTENTS.c.strategy, _INTENTS.c.kind, _INTENTS.c.reason,
                    _INTENTS.c.stop_price.label("intent_stop"),
                )
                .outerjoin(_INTENTS, _INTENTS.c.intent_id == _ORDERS.c.intent_id)
                .where(_ORDERS.c.client_order_id.in_(ids[start : start + 500]))
            )  # fmt: skip
            found.update((o.client_order_id, o) for o in self._all(query, _origin))
        return found

    def newest_stops(self, intent_ids: Collection[str]) -> dict[str, Decimal]:
        """Per entry intent, the stop price of the newest stop order placed under it (trailed or not)."""
        ids = sorted(set(intent_ids))
        newest: dict[str, Decimal] = {}
        for start in range(0, len(ids), 500):
            query = (
                select(_ORDERS.c.intent_id, _ORDERS.c.stop_price)
                .where(_ORDERS.c.intent_id.in_(ids[start : start + 500]),
                       _ORDERS.c.purpose == OrderPurpose.STOP.value, _ORDERS.c.stop_price.is_not(None))
                .order_by(_ORDERS.c.created_at, _ORDERS.c.id)
            )  # fmt: skip
            newest.update(self._all(query, lambda row: (row.intent_id, row.stop_price)))
        return newest
