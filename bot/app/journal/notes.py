"""Adding a human's note to a trade: the trade id is checked against the run's round trips, then the note
is appended (never changed or removed afterwards: the table refuses UPDATE and DELETE)."""

from __future__ import annotations

import re
from datetime import datetime

from bot.adapters.audit.journal import SqlTradeJournal
from bot.adapters.audit.store import SqlAuditStore
from bot.app.journal.build import round_trips
from bot.core.run_books import earlier_runs
from bot.domain.failures import BadInput
from bot.domain.journal import TradeNote

TRADE_ID = re.compile(r"^(\d+)-(\d+)$")
MAX_NOTE = 4000  # characters


def add_note(
    store: SqlAuditStore, trade_id: str, text: str, *, actor: str, now: datetime, where: str
) -> TradeNote:
    """Append ``text`` to trade ``trade_id`` (``<run>-<n>``); :class:`BadInput` (exit 2) names an unknown
    trade, a malformed id or an empty note, and how to list the trades. ``where``: the DB, for messages."""
    text = text.strip()
    if not text:
        raise BadInput('the note is empty: give its text, e.g. spotbot journal note 3-2 "late entry"')
    if len(text) > MAX_NOTE:
        raise BadInput(f"the note has {len(text)} characters; at most {MAX_NOTE} are allowed")
    match = TRADE_ID.match(trade_id)
    if match is None:
        raise BadInput(
            f"trade id {trade_id!r} is not RUN-N (e.g. 3-2: run 3's second trade); "
            "the ids are in the first column of spotbot report"
        )
    run_id, number = int(match[1]), int(match[2])
    runs = {run.id: run for run in store.runs()}
    run = runs.get(run_id)
    if run is None:
        raise BadInput(f"no trade {trade_id}: the audit DB at {where} has no run {run_id} "
                       "(list a run's trades with spotbot report --run RUN)")  # fmt: skip
    carried = [fill for earlier in earlier_runs(runs.values(), run) for fill in store.fills(earlier)]
    count = len(round_trips(run, carried, store.fills(run_id)))
    if not 1 <= number <= count:
        raise BadInput(f"no trade {trade_id}: run {run_id} closed {count} trade(s) "
                       f"(list them with spotbot report --run {run_id})")  # fmt: skip
    bot = run.bot_name or ""
    journal = SqlTradeJournal(store.engine)
    return journal.add_note(TradeNote(trade_id, run_id, bot, text, actor, now))
