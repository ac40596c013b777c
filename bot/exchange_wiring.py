"""Wiring for a real exchange: paper trading on its public data, or live trading.

A bot on a real exchange is one long life across restarts (unlike a sim run, which is a fresh
simulation each time): its intent ids are scoped to the bot name, so a decision re-made after a restart
is recognised and never sent twice; its positions are rebuilt from every fill stored for the venue;
its protective stops come back from the stored intents.

- **Paper** (``mode = "paper"``): the paper broker fills against the exchange's live prices. Its
  balances are the starting balances moved by every paper fill stored for the venue ``paper-<id>``, so a
  restart resumes where it stopped. Simulated orders do not survive a restart: those still open are
  marked EXPIRED, and the stops of open positions are placed again on the first tick.
- **Live** (``mode = "live"``): orders still open at the exchange are tracked again (never re-sent),
  and the broker's trade cursor starts after the last stored fill per symbol.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import structlog

from bot.audit.store import SqlAuditStore
from bot.domain import Fill, IntentKind, Order, OrderEvent, OrderStatus
from bot.exchange import CcxtBroker, CcxtMarketData, ExchangeCaller, make_client
from bot.execution import Resume
from bot.paper.broker import PaperBroker
from bot.ports import Broker, Clock
from bot.reconcile import Reconciler, ReconcileReport
from bot.run_books import balances_from_fills
from bot.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ExchangeParts:
    market: CcxtMarketData
    broker: Broker
    resume: Resume
    fills: list[Fill]  # every fill of the earlier runs on this venue, oldest first
    reconciled: ReconcileReport | None = None  # live: the start-up reconciliation
    reconciler: Reconciler | None = None  # live: run again periodically by the daemon


def earlier_runs(store: SqlAuditStore, venue: str, run_id: int) -> tuple[int, ...]:
    return tuple(sorted(r.id for r in store.runs() if r.venue == venue and r.id != run_id))


def load_resume(store: SqlAuditStore, runs: tuple[int, ...]) -> tuple[Resume, list[Fill]]:
    fills = [fill for run in runs for fill in store.fills(run)]
    open_orders = tuple(order for run in runs for order in store.orders(run, only_open=True))
    stops: dict[str, Decimal] = {
        intent.intent_id: intent.stop_price
        for run in runs
        for intent in store.intents(run)
        if intent.kind is IntentKind.ENTRY and intent.stop_price is not None
    }
    return Resume(runs, open_orders, stops), fills


def expire_simulated_orders(store: SqlAuditStore, orders: tuple[Order, ...], now: datetime) -> None:
    for order in orders:
        detail = "paper broker restarted: simulated orders do not survive a restart"
        expired = replace(order, status=OrderStatus.EXPIRED)
        store.record_order_update(
            expired, OrderEvent(order.client_order_id, OrderStatus.EXPIRED, now, detail)
        )


def trade_cursors(fills: list[Fill]) -> dict[str, int]:
    """The last stored exchange trade id per symbol, so the broker asks only for newer trades."""
    cursors: dict[str, int] = {}
    for fill in fills:
        if fill.trade_id.isdigit():
            cursors[fill.symbol] = max(cursors.get(fill.symbol, 0), int(fill.trade_id))
    return cursors


def build_exchange_parts(
    settings: Settings, store: SqlAuditStore, run_id: int, clock: Clock
) -> ExchangeParts:
    exchange = settings.exchange
    assert exchange.id is not None  # settings require it with source = "exchange"
    client = make_client(
        exchange.id,
        api_key=exchange.api_key.get_secret_value() if exchange.api_key else None,
        secret=exchange.api_secret.get_secret_value() if exchange.api_secret else None,
        password=exchange.password.get_secret_value() if exchange.password else None,
        sandbox=exchange.sandbox,
        timeout_ms=exchange.timeout_ms,
        urls_override=exchange.url,
        rate_limit=exchange.rate_limit,
    )
    caller = ExchangeCaller(client)  # shared: a rate-limit pause covers market data and orders alike
    symbols = settings.market.symbols
    market = CcxtMarketData(client, symbols, settings.market.timeframe, clock, caller=caller)
    runs = earlier_runs(store, settings.venue, run_id)
    if settings.bot.mode == "live":
        return _live_parts(settings, store, runs, clock, client, caller, market)
    resume, fills = load_resume(store, runs)
    broker: Broker
    if settings.bot.mode == "paper":
        expire_simulated_orders(store, resume.open_orders, clock.now())
        resume = replace(resume, open_orders=())
        broker = PaperBroker(
            market,
            clock,
            timeframe=settings.market.timeframe,
            starting_balances=balances_from_fills(dict(settings.bot.starting_balances), fills),
            slippage_bps=settings.paper.slippage_bps,
            venue=settings.venue,
            id_prefix=f"paper-r{run_id}",
        )
    return ExchangeParts(market, broker, resume, fills)


def _live_parts(
    settings: Settings,
    store: SqlAuditStore,
    runs: tuple[int, ...],
    clock: Clock,
    client: object,
    caller: ExchangeCaller,
    market: CcxtMarketData,
) -> ExchangeParts:
    """Live: reconcile with the exchange before anything trades, then resume from the reconciled DB."""
    venue, quote = settings.venue, settings.bot.quote_currency
    _, stored = load_resume(store, runs)
    broker = CcxtBroker(
        client, venue, clock, quote, symbols=settings.market.symbols, caller=caller,
        trade_cursors=trade_cursors(stored),
    )  # fmt: skip
    reconciler = Reconciler(
        broker, store, venue=venue, quote=quote, bot_symbols=settings.market.symbols, clock=clock,
        rules=market.rules,
    )  # fmt: skip
    report = reconciler.reconcile()
    if report.complete and not report.mismatches:
        log.info("startup_reconciled", **report.summary())
    else:
        log.warning("startup_reconciled", **report.summary())
    resume, fills = load_resume(store, runs)  # again: reconciliation may have adopted fills and orders
    for order in resume.open_orders:
        broker.track(order)
    return ExchangeParts(market, broker, resume, fills, report, reconciler)
