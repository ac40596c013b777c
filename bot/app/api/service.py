"""What the HTTP API answers: the running engine's counters and the audit DB, never the engine's internals.

Every answer is read from the journal through a store of the API's own (its own connections: a slow
client never holds the engine's), plus the engine's :class:`~bot.core.engine_status.EngineStatus`
(plain counters the engine updates at each tick) and the daemon's heartbeat. The two commands, halt
and resume, append the same trading state event as ``spotbot halt`` / ``resume``: the daemon picks it
up on its next tick, as it would from the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot import __version__
from bot.adapters.audit.store import SqlAuditStore
from bot.app.daemon import Heartbeat
from bot.app.human_commands import record_command
from bot.app.report_json import (
    decimal_text,
    decision_json,
    fill_json,
    journal_json,
    order_json,
    portfolio_risk_json,
    position_json,
    regime_json,
    trading_state_json,
)
from bot.app.reporting import build_report
from bot.app.settings import Settings
from bot.app.settings.redact import redacted_dict
from bot.core.engine_status import EngineStatus
from bot.core.ports import Clock
from bot.domain import OrderPurpose, Position, TradingState

if TYPE_CHECKING:
    from bot.adapters.exchange.request_stats import RequestStats  # ccxt loads only for a real exchange
    from bot.app.bootstrap import App

T = TypeVar("T")
MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class MetricFacts:
    """What ``/metrics`` reports, read at once."""

    status: EngineStatus
    heartbeat: Heartbeat
    quote: str
    orders_by_status: dict[str, int]
    decisions_by_reason: dict[str, int]
    exchange_requests: RequestStats | None


@dataclass(frozen=True, slots=True)
class Query:
    """A page of records: those of ``symbol`` (all if None) at or after ``since`` and before ``until``."""

    symbol: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


def page(records: Sequence[T], query: Query, symbol: Callable[[T], str], at: Callable[[T], datetime],
         to_json: Callable[[T], dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """The records matching ``query``, oldest first, as ``{"items", "total", "limit", "offset"}``."""
    kept = [
        r for r in records
        if (query.symbol is None or symbol(r) == query.symbol)
        and (query.since is None or at(r) >= query.since)
        and (query.until is None or at(r) < query.until)
    ]  # fmt: skip
    items = kept[query.offset : query.offset + query.limit]
    return {
        "items": [to_json(r) for r in items],
        "total": len(kept),
        "limit": query.limit,
        "offset": query.offset,
    }


@dataclass(frozen=True, slots=True)
class Watched:
    """The running daemon the API shows: its run, the engine's counters and open positions (read from
    the API's threads: plain values and copies), its heartbeat, and on an exchange its request counts."""

    run_id: int
    status: EngineStatus
    positions: Callable[[], Mapping[str, Position]]
    heartbeat: Heartbeat
    exchange_requests: RequestStats | None = None

    @classmethod
    def of(cls, app: App, heartbeat: Heartbeat) -> Watched:
        engine = app.engine
        return cls(app.run_id, engine.status, engine.open_positions, heartbeat, app.exchange_requests)


class ApiService:
    def __init__(self, settings: Settings, store: SqlAuditStore, watched: Watched, clock: Clock) -> None:
        self._settings = settings
        self._store = store
        self._run_id = watched.run_id
        self._status = watched.status
        self._positions = watched.positions
        self._heartbeat = watched.heartbeat
        self._exchange_requests = watched.exchange_requests
        self._clock = clock
        self._bot = settings.bot.name

    # ----------------------------------------------------------------- health

    def readiness(self) -> dict[str, dict[str, Any]]:
        """Each check with ``ok`` and what it saw: the last tick's age, the DB, the venue (on an exchange)."""
        checks: dict[str, dict[str, Any]] = {
            "tick": {
                "ok": self._heartbeat.fresh,
                "age_s": round(self._heartbeat.age_s, 3),
                "limit_s": self._heartbeat.limit_s,
            }
        }
        try:
            self._store.latest_run_id()
            checks["database"] = {"ok": True}
        except Exception as exc:  # any failure to read is "not ready", named, never a 500
            checks["database"] = {"ok": False, "error": type(exc).__name__}
        if self._settings.market.source == "exchange":
            checks["venue"] = {"ok": self._status.exchange_ok}
        return checks

    # ----------------------------------------------------------------- reads

    def status(self) -> dict[str, Any]:
        """What the bot is doing now: the engine's counters and positions, the working orders (one
        indexed query); nothing proportional to the run's length (the dashboard asks every 2 s)."""
        status = self._status
        peak = status.peak_equity
        working = self._store.orders(self._run_id, only_open=True)
        stops = {o.symbol: o.stop_price for o in working if o.purpose is OrderPurpose.STOP}
        return {
            "bot": self._bot,
            "version": __version__,
            "run_id": self._run_id,
            "mode": self._settings.bot.mode,
            "venue": self._settings.venue,
            "trading_state": trading_state_json(self._store.latest_trading_state(self._bot)),
            "regime": regime_json(status.regime),
            "portfolio_risk": portfolio_risk_json(status.portfolio_risk),
            "disabled_strategies": dict(status.disabled_strategies),
            "last_tick": status.now.isoformat() if status.now else None,
            "ticks": status.ticks,
            "equity": decimal_text(status.equity),
            "peak_equity": decimal_text(peak),
            "drawdown": decimal_text((peak - status.equity) / peak) if peak > 0 else "0",
            "cash": decimal_text(status.cash),
            "open_positions": [
                {
                    **position_json(p),
                    "stop_price": decimal_text(stops.get(s)),
                }
                for s, p in sorted(self._positions().items())
            ],
            "working_orders": [order_json(o) for o in working],
        }

    def trades(self, query: Query) -> dict[str, Any]:
        """Closed round trips with their journal (reasons, R, MAE/MFE, notes: README "Report JSON")."""
        journal = build_report(self._store, self._run_id, bot=self._bot, decisions=False).journal
        return page(journal, query, lambda e: e.trade.symbol, lambda e: e.trade.closed_at, journal_json)

    def orders(self, query: Query) -> dict[str, Any]:
        orders = self._store.orders(self._run_id)
        return page(orders, query, lambda o: o.symbol, lambda o: o.created_at, order_json)

    def fills(self, query: Query) -> dict[str, Any]:
        fills = self._store.fills(self._run_id)
        return page(fills, query, lambda f: f.symbol, lambda f: f.occurred_at, fill_json)

    def decisions(self, query: Query) -> dict[str, Any]:
        intents = {i.intent_id: i.symbol for i in self._store.intents(self._run_id)}
        decisions = self._store.decisions(self._run_id)
        return page(decisions, query, lambda d: intents.get(d.intent_id, ""), lambda d: d.decided_at,
                    lambda d: {**decision_json(d), "symbol": intents.get(d.intent_id)})  # fmt: skip

    def equity(self, query: Query) -> dict[str, Any]:
        snapshots = self._store.equity_snapshots(self._run_id)

        def point(s: Any) -> dict[str, Any]:
            return {
                "at": s.taken_at.isoformat(),
                "equity": decimal_text(s.equity),
                "drawdown": decimal_text(s.drawdown),
            }

        return page(snapshots, Query(None, query.since, query.until, query.limit, query.offset),
                    lambda s: "", lambda s: s.taken_at, point)  # fmt: skip

    def risk(self) -> dict[str, Any]:
        by_verdict, by_reason = self._store.intent_outcome_counts(self._run_id)
        return {"intents": by_verdict, "by_reason": dict(sorted(by_reason.items()))}

    def metric_facts(self) -> MetricFacts:
        _, by_reason = self._store.intent_outcome_counts(self._run_id)
        return MetricFacts(self._status, self._heartbeat, self._settings.bot.quote_currency,
                           self._store.order_status_counts(self._run_id), by_reason,
                           self._exchange_requests)  # fmt: skip

    def config(self) -> dict[str, Any]:
        return redacted_dict(self._settings)

    # ----------------------------------------------------------------- commands

    def set_trading_state(
        self, state: TradingState, reason: str, actor: str, *, flatten: bool
    ) -> dict[str, Any]:
        """Append a trading state event for this bot (the daemon applies it on its next tick)."""
        event = record_command(
            self._store, self._bot, state, reason, actor, flatten=flatten, now=self._clock.now()
        )
        return trading_state_json(event) or {}
