"""A human's command to a bot (halt, flatten, resume), from the command line or the HTTP API: one
trading state event appended to the bot's journal, stamped now, on the latest run; the running daemon
takes it up on its next tick. Written here once, so both ways leave the same audit row."""

from __future__ import annotations

from datetime import datetime

from bot.adapters.audit.store import SqlAuditStore
from bot.domain import TradingState, TradingStatus
from bot.domain.records import TradingStateEvent


def record_command(
    store: SqlAuditStore,
    bot: str,
    state: TradingState,
    reason: str,
    actor: str,
    *,
    flatten: bool,
    now: datetime,
) -> TradingStateEvent:
    """Append the command for ``bot``; returns the event as stored."""
    run_id = store.latest_run_id()
    event_id = store.record_trading_state(
        bot, run_id, TradingStatus(state, reason, now), actor, flatten=flatten
    )
    return next(e for e in store.trading_state_events(bot, after_id=event_id - 1) if e.id == event_id)
