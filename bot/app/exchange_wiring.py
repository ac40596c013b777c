"""Wiring for a real exchange: paper trading on its public data, or live trading.

A bot on a real exchange is one long life across restarts (unlike a sim run, which is a fresh
simulation each time): its intent ids are scoped to the bot name, so a decision re-made after a restart
is recognised and never sent twice; its positions are rebuilt from every fill of its earlier runs on the
venue (:func:`bot.core.run_books.earlier_runs`), replayed in the venue's time order; its protective stops
come back from the stored intents.

- **Paper** (``mode = "paper"``): the paper broker fills against the exchange's live prices. Its
  balances are the starting balances moved by every paper fill of the bot on ``paper-<id>``, so a restart
  resumes where it stopped. Simulated orders do not survive a restart: those still open are marked
  EXPIRED, and the stops of open positions are placed again on the first tick.
- **Live** (``mode = "live"``): the API key is checked first (:mod:`bot.app.key_check`: the venue accepts it,
  and it can trade spot but not withdraw); then the account is reconciled before anything trades; orders
  still open at the exchange are tracked again (never re-sent), and the trade cursor starts after the
  last stored fill per symbol. Holdings in ``exchange.leave_alone`` are not the bot's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from bot.adapters.audit.store import SqlAuditStore
from bot.adapters.exchange import CcxtBroker, CcxtMarketData, ExchangeCaller, RetryPolicy, make_client
from bot.adapters.exchange.request_stats import RequestStats
from bot.adapters.paper.broker import PaperBroker
from bot.app.key_check import check_api_key
from bot.app.settings import Settings
from bot.core.execution import Resume
from bot.core.ports import Broker, Clock
from bot.core.reconcile import Reconciler, ReconcileReport, stored_trade_cursors
from bot.core.run_books import balances_from_fills, earlier_runs
from bot.domain import Fill, IntentKind, Order, OrderEvent, OrderStatus
from bot.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ExchangeParts:
    market: CcxtMarketData
    broker: Broker
    resume: Resume
    fills: list[Fill]  # every fill of the bot's earlier runs on this venue
    reconciled: ReconcileReport | None = None  # live: the start-up reconciliation
    reconciler: Reconciler | None = None  # live: run again periodically by the daemon
    requests: RequestStats | None = None  # every exchange request's outcome and latency (for /metrics)


def bot_history(store: SqlAuditStore, run_id: int) -> tuple[int, ...]:
    """The runs of this bot's life on its venue before ``run_id`` (see
    :func:`bot.core.run_books.earlier_runs`)."""
    runs = store.runs()
    return earlier_runs(runs, next(r for r in runs if r.id == run_id))


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
        recv_window_ms=exchange.recv_window_ms,
    )
    # Shared: a rate-limit pause covers market data and orders alike. After a refused key the client backs
    # off, but never so long that it could not try a few times before the bot halts on it.
    default = RetryPolicy()
    backoff = min(
        default.key_refused_max_pause, max(1.0, exchange.key_refused_halt_after.total_seconds() / 4)
    )
    pause = min(default.key_refused_pause, backoff)
    caller = ExchangeCaller(
        client, policy=replace(default, key_refused_pause=pause, key_refused_max_pause=backoff)
    )
    market = CcxtMarketData(client, settings.market.symbols, settings.market.timeframe, clock, caller=caller)
    runs = bot_history(store, run_id)
    if settings.bot.mode == "live":
        return _live_parts(settings, store, runs, clock, client, caller, market)
    resume, fills = load_resume(store, runs)
    expire_simulated_orders(store, resume.open_orders, clock.now())
    broker = PaperBroker(
        market,
        clock,
        timeframe=settings.market.timeframe,
        starting_balances=balances_from_fills(dict(settings.bot.starting_balances), fills),
        slippage_bps=settings.paper.slippage_bps,
        venue=settings.venue,
        id_prefix=f"paper-r{run_id}",
    )
    return ExchangeParts(market, broker, replace(resume, open_orders=()), fills, requests=caller.stats)


def _live_parts(
    settings: Settings,
    store: SqlAuditStore,
    runs: tuple[int, ...],
    clock: Clock,
    client: object,
    caller: ExchangeCaller,
    market: CcxtMarketData,
) -> ExchangeParts:
    """Live: check the key, reconcile with the exchange before anything trades, then resume from the
    reconciled DB."""
    venue, quote = settings.venue, settings.bot.quote_currency
    left_alone = settings.exchange.leave_alone
    _, stored = load_resume(store, runs)
    broker = CcxtBroker(
        client, venue, clock, quote, symbols=settings.market.symbols, caller=caller,
        trade_cursors=stored_trade_cursors(stored, venue),
        leave_alone={asset: amount for asset, amount in left_alone.items() if amount != "all"},
    )  # fmt: skip
    check_api_key(broker, settings.exchange.allow_key_permissions)
    reconciler = Reconciler(
        broker, store, venue=venue, quote=quote, bot_symbols=settings.market.symbols, clock=clock,
        rules=market.rules, yours=frozenset(asset for asset, amount in left_alone.items() if amount == "all"),
    )  # fmt: skip
    report = reconciler.reconcile()
    if report.complete and not report.mismatches:
        log.info("startup_reconciled", **report.summary())
    else:
        log.warning("startup_reconciled", **report.summary())
    resume, fills = load_resume(store, runs)  # again: reconciliation may have adopted fills and orders
    for order in resume.open_orders:
        broker.track(order)
    return ExchangeParts(market, broker, resume, fills, report, reconciler, caller.stats)
