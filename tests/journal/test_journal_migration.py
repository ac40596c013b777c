"""Migration 0004 (the trade journal's tables) on SQLite and PostgreSQL: an audit DB at 0003 keeps every
row, its runs' reports get a journal (without price ranges: they were never recorded), a report of a DB
not yet migrated still works, and the notes table refuses UPDATE and DELETE at the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from bot.adapters.audit import SqlAuditStore, current_revision, make_engine, upgrade
from bot.adapters.audit.journal import SqlTradeJournal
from bot.app.reporting import build_report
from bot.core.ports import RunInfo
from bot.domain import Fill, IntentKind, Liquidity, Order, OrderIntent, OrderPurpose, OrderType, Side
from bot.domain.journal import ExitReason, TradeNote
from tests.journal.scripted import START, at

SYMBOL = "BTC/USDT"


def _trade_at_0003(store: SqlAuditStore) -> int:
    """One round trip (a signal entry and exit) as a bot at revision 0003 recorded it."""
    run_id = store.start_run(RunInfo(START, "paper", "paper", "0.1", "h", {"bot": {"name": "old"}},
                                     bot_name="old"))  # fmt: skip
    for n, (side, kind, purpose, price) in enumerate(
        [(Side.BUY, IntentKind.ENTRY, OrderPurpose.ENTRY, "100"), (Side.SELL, IntentKind.EXIT,
         OrderPurpose.EXIT, "110")]
    ):  # fmt: skip
        intent = OrderIntent(f"i{n}", "rsi", SYMBOL, side, kind, OrderType.LIMIT, Decimal(price), at(n),
                             f"reason {n}", stop_price=Decimal("90") if n == 0 else None)  # fmt: skip
        store.record_intent(run_id, intent, [])
        order = Order(f"c{n}", f"i{n}", SYMBOL, side, OrderType.LIMIT, purpose, Decimal("1"), at(n))
        store.save_new_order(run_id, order)
        store.record_fill(Fill("paper", f"t{n}", f"c{n}", SYMBOL, side, Decimal(price), Decimal("1"),
                               Decimal("0"), "USDT", Liquidity.MAKER, at(n)))  # fmt: skip
    return run_id


def test_upgrading_from_0003_keeps_every_row_and_the_old_trades_get_a_journal(db_url: str) -> None:
    upgrade(db_url, "0003")
    with SqlAuditStore(db_url, venue="paper") as store:
        run_id = _trade_at_0003(store)
        before = (store.runs(), store.orders(run_id), store.fills(run_id), store.intents(run_id))
        unmigrated = build_report(store, run_id).journal  # a report never migrates: still readable

    upgrade(db_url)

    assert current_revision(db_url) == "0004"
    with SqlAuditStore(db_url, venue="paper") as store:
        assert (store.runs(), store.orders(run_id), store.fills(run_id), store.intents(run_id)) == before
        [entry] = build_report(store, run_id).journal
    assert unmigrated == [entry]
    assert (entry.trade_id, entry.strategy, entry.entry_reason) == (f"{run_id}-1", "rsi", "reason 0")
    assert (entry.exit_reason, entry.exit_detail) == (ExitReason.SIGNAL, "reason 1")
    assert entry.r_multiple == 1  # (110 - 100) / (100 - 90), no fees
    assert (entry.mae, entry.mfe) == (None, None), "no price range was recorded before 0004"


def test_notes_are_append_only_at_the_database(db_url: str) -> None:
    upgrade(db_url)
    with SqlAuditStore(db_url, venue="paper") as store:
        run_id = _trade_at_0003(store)
        note = TradeNote(f"{run_id}-1", run_id, "old", "first", "cli:a@b", at(5))
        SqlTradeJournal(store.engine).add_note(note)
    engine = make_engine(db_url)
    try:
        for statement in ("UPDATE trade_notes SET text = 'changed'", "DELETE FROM trade_notes"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(sa.text(statement))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT text FROM trade_notes")).scalars().all() == ["first"]
    finally:
        engine.dispose()
