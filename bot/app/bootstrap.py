"""The composition root: the one place that turns settings into a wired engine and daemon.

Nothing else reads settings; everything below gets plain values and ports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.adapters.audit.batched import BatchedAuditStore
from bot.adapters.audit.errors import AuditDbError
from bot.adapters.audit.migrate import upgrade
from bot.adapters.audit.store import SqlAuditStore
from bot.adapters.market.factory import build_offline_market
from bot.adapters.market.offline import OfflineMarket
from bot.adapters.paper.broker import PaperBroker
from bot.app.daemon import Daemon, SimReplay, WallClockDaemon
from bot.app.reporting import RunReport, build_report
from bot.app.run_records import close_failed_run, describe_run, failing_the_run, start_run
from bot.app.settings import Settings, risk_limits
from bot.core.engine import Engine
from bot.core.execution import ExecutionPolicy, OrderExecutor, Resume
from bot.core.ports import Broker, Clock, MarketData, Ports, RunScope
from bot.core.positions import PositionBook
from bot.core.reconcile import ReconcileReport
from bot.core.trading_control import TradingControl
from bot.domain import BrokerError, OrderType, TradingState, TradingStatus, timeframe_ms
from bot.domain.clock import SimClock, SystemClock, datetime_to_ms, ms_to_datetime
from bot.logs import get_logger
from risk.chain import RiskChain
from risk.factory import build_chain
from strategies.base import Strategy

if TYPE_CHECKING:  # ccxt loads only for a real exchange
    from sqlalchemy import Engine as DbEngine

    from bot.adapters.exchange.request_stats import RequestStats

log = get_logger(__name__)


@dataclass(slots=True)
class App:
    settings: Settings
    store: SqlAuditStore
    engine: Engine
    daemon: Daemon | WallClockDaemon
    broker: Broker
    run_id: int
    exchange_requests: RequestStats | None = None  # on a real exchange: its requests, for /metrics

    @property
    def replay(self) -> SimReplay:
        """The simulated replay of an offline run (sim, csv, backtest)."""
        if not isinstance(self.daemon, Daemon):
            raise TypeError("only offline runs (sim, csv) have a replay; this one runs on the wall clock")
        return self.daemon.replay


def build_market(settings: Settings, window: tuple[int | None, int | None] | None = None) -> OfflineMarket:
    """The offline market (sim or csv) of the settings; ``window`` (ms, ``[start, end)``) lets a CSV with
    a columnar copy be read only there (see :func:`bot.adapters.market.build_offline_market`)."""
    market = settings.market
    rules = market.rules
    return build_offline_market(
        symbols=market.symbols,
        timeframe=market.timeframe,
        seed=market.sim.seed,
        candles=market.sim.candles,
        start_ms=datetime_to_ms(market.sim.start),
        start_prices=market.sim.start_prices or None,
        csv_files=market.csv.files if market.source == "csv" else None,
        min_notional=rules.min_notional,
        maker_fee=rules.maker_fee,
        taker_fee=rules.taker_fee,
        rule_overrides={
            symbol: override.model_dump(exclude_none=True) for symbol, override in rules.overrides.items()
        }
        or None,
        window=window,
    )


def build_risk_chain(settings: Settings) -> RiskChain:
    regime = settings.regime  # [regime]: the market regime gate, its spec read by the intent pipeline
    timeframe = settings.market.timeframe  # also the candles of the portfolio-risk guards' returns
    gate = regime.guard(timeframe) if regime else None
    return build_chain(risk_limits(settings), gate, timeframe=timeframe)


def build_policy(settings: Settings) -> ExecutionPolicy:
    execution = settings.execution
    candle = timedelta(milliseconds=timeframe_ms(settings.market.timeframe))
    return ExecutionPolicy(
        entry_order=OrderType(execution.entry_order),
        exit_order=OrderType(execution.exit_order),
        stop_order=OrderType(execution.stop_order),
        entry_timeout=candle * execution.entry_timeout_candles,
        entry_offset=execution.entry_offset,
        max_reprices=execution.max_reprices,
        on_unfilled=execution.on_unfilled,
        max_slippage=execution.max_slippage,
        stop_limit_slippage=execution.stop_limit_slippage,
        trailing_stop=execution.trailing_stop,
        take_profit_r=execution.take_profit_r,
    )


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


def build_app(
    settings: Settings,
    *,
    max_ticks: int | None = None,
    market: OfflineMarket | None = None,
    strategies: list[Strategy] | None = None,
    backtest: bool = False,
    audit_engine: DbEngine | None = None,
) -> App:
    """Migrate the audit DB, open a run and wire the engine and daemon for the configured market.

    ``market`` and ``strategies`` replace the configured ones (scenario tests use hand-made candles
    and scripted strategies with everything else real). ``backtest``: an offline run with no venue,
    reproducible from its inputs, so its audit trail is written in batches
    (:class:`~bot.adapters.audit.batched.BatchedAuditStore`) and it reads no kill-switch commands (a halt
    given
    now means nothing at a simulated time in the past). ``audit_engine``: an engine already connected
    to the audit DB at ``bot.database_url`` (kept by the caller across runs: optimize's
    :class:`~bot.app.optimize.trial_db.TrialDatabases`); by default the store opens its own.
    """
    on_exchange = settings.market.source == "exchange" and market is None
    if backtest and on_exchange:
        raise ValueError("a backtest replays offline candles (market.source sim or csv), not an exchange")
    if not on_exchange and market is None:
        # Read (and so validate) the candles before the audit DB is touched: a bad candle file ends the
        # command with one line (CsvFormatError) and leaves no run behind.
        market = build_market(settings)
    database: str | DbEngine = audit_engine or settings.effective_database_url
    store = (
        BatchedAuditStore(database, venue=settings.venue)
        if backtest
        else SqlAuditStore(database, venue=settings.venue)
    )
    try:
        upgrade(store.engine)  # on the store's engine: one pool per run (an optimize trial opens four runs)
    except BaseException:
        store.close()
        raise
    if strategies is None:
        strategies = [s.build() for s in settings.strategies]
    if market is None:
        return _build_exchange_app(settings, store, strategies)
    timeline = market.timeline()
    clock = SimClock(ms_to_datetime(int(timeline[0]) - timeframe_ms(settings.market.timeframe)))
    run_id = start_run(settings, store, backtest=backtest)
    with failing_the_run(store, run_id, settings.bot.name):
        broker = PaperBroker(
            market,
            clock,
            timeframe=settings.market.timeframe,
            starting_balances=settings.bot.starting_balances,
            slippage_bps=settings.paper.slippage_bps,
            venue=settings.venue,
            # Paper trade ids restart with each broker; fills are unique on (venue, trade id), so a
            # second run in the same DB needs its own id space or its fills would be taken as duplicates.
            id_prefix=f"paper-r{run_id}",
        )
        describe_run(store, run_id, market, broker, settings.market.symbols)
        # Offline runs are separate simulations: intent ids are scoped to the run so a second run of the
        # same replay is not mistaken for a restart of the first; every run starts ACTIVE and flat.
        engine = _assemble(
            settings, store, market, broker, clock, strategies, run_id,
            id_scope=f"{settings.bot.name}:run{run_id}", resume=None,
            book=PositionBook(lot_step(market), keep_trades=False),
            start=TradingStatus(TradingState.ACTIVE, "start", clock.now()),
            # A replay reads kill-switch commands every 20 candles (a fraction of a second at demo speed).
            poll_commands_every=0 if backtest else 20,
        )  # fmt: skip
    replay = SimReplay(engine, clock, timeline, max_ticks)
    daemon = Daemon(replay, timeframe=settings.market.timeframe, replay_speed=settings.market.replay_speed)
    log.info("run_started", run_id=run_id, mode=settings.bot.mode, source=settings.market.source)
    return App(settings, store, engine, daemon, broker, run_id)


def _build_exchange_app(settings: Settings, store: SqlAuditStore, strategies: list[Strategy]) -> App:
    """Paper or live on a real exchange: wall clock, one long bot life across restarts."""
    from bot.app.exchange_wiring import build_exchange_parts  # ccxt loads only for a real exchange (~0.5 s)

    clock = SystemClock()
    run_id = start_run(settings, store)
    with failing_the_run(store, run_id, settings.bot.name):
        parts = build_exchange_parts(settings, store, run_id, clock)
        describe_run(store, run_id, parts.market, parts.broker, settings.market.symbols)
        book = PositionBook.from_fills(parts.fills, lot_step(parts.market), lenient=True, keep_trades=False)
        start = _starting_status(settings, store, parts.reconciled, book, clock.now())
        engine = _assemble(
            settings, store, parts.market, parts.broker, clock, strategies, run_id,
            id_scope=settings.bot.name, book=book, resume=parts.resume, start=start, poll_commands_every=1,
        )  # fmt: skip
    daemon = WallClockDaemon(
        engine,
        clock,
        timeframes=[s.timeframe for s in strategies],
        monitor_seconds=settings.exchange.monitor_seconds,
        reconcile=(lambda: engine.reconcile(reconciler)) if (reconciler := parts.reconciler) else None,
    )
    log.info("run_started", run_id=run_id, mode=settings.bot.mode, source="exchange", venue=settings.venue)
    return App(settings, store, engine, daemon, parts.broker, run_id, parts.requests)


def _starting_status(
    settings: Settings,
    store: SqlAuditStore,
    reconciled: ReconcileReport | None,
    book: PositionBook,
    now: datetime,
) -> TradingStatus:
    """The state a bot on a venue starts in: a halt survives a restart; an incomplete or inconsistent
    start-up reconciliation restricts trading; fills that cannot be replayed (a sell of more than was held)
    halt it."""
    latest = store.latest_trading_state(settings.bot.name)
    start = latest.status if latest is not None else TradingStatus(TradingState.ACTIVE, "start", now)
    advised = [reconciled.trading_status()] if reconciled is not None else []
    if book.inconsistencies:
        log.critical("fills_inconsistent_at_start", problems=book.inconsistencies[:5])
        advised.append(TradingStatus(TradingState.HALTED, "fills_inconsistent", now))
    for status in advised:
        if _SEVERITY[status.state] > _SEVERITY[start.state]:
            start = status
    return start


def lot_step(market: MarketData) -> Callable[[str], Decimal]:
    """Each symbol's amount increment at the venue: what is left below it after a sale is dust."""
    return lambda symbol: market.rules(symbol).step_size


def _assemble(
    settings: Settings,
    store: SqlAuditStore,
    market: MarketData,
    broker: Broker,
    clock: Clock,
    strategies: list[Strategy],
    run_id: int,
    *,
    id_scope: str,
    book: PositionBook,
    resume: Resume | None,
    start: TradingStatus,
    poll_commands_every: int,
) -> Engine:
    executor = OrderExecutor(
        broker=broker,
        store=store,
        book=book,
        rules=market.rules,
        policy=build_policy(settings),
        run_id=run_id,
        resume=resume,
    )
    symbols_for: dict[str, Sequence[str]] = {s.name: s.symbols for s in settings.strategies}
    for strategy in strategies:
        symbols_for.setdefault(strategy.name, market.symbols())
    control = TradingControl(
        store=store,
        bot_name=settings.bot.name,
        run_id=run_id,
        limits=risk_limits(settings),
        start=start,
        poll_every=poll_commands_every,
    )
    return Engine(
        ports=Ports(market=market, broker=broker, store=store, clock=clock),
        scope=RunScope(run_id=run_id, id_scope=id_scope, quote_currency=settings.bot.quote_currency),
        strategies=strategies,
        symbols_for=symbols_for,
        chain=build_risk_chain(settings),
        executor=executor,
        book=book,
        control=control,
        key_refused_halt_after=settings.exchange.key_refused_halt_after,
    )


def finish_app(app: App, outcome: str, *, decisions: bool = True, extras: bool = True) -> RunReport:
    """Close the run in the audit DB and build its report from the DB (``decisions=False``: without
    loading every risk decision; ``extras=False``: without the journal and the annotations only a reader
    looks at; see :func:`bot.app.reporting.build_report`).

    A run that ended on an audit DB error is closed as failed (if the DB allows) and the error raised
    again: the command ends with it (exit 5), there is no report to build from that database."""
    error = app.daemon.replay.error if isinstance(app.daemon, Daemon) else None
    if isinstance(error, AuditDbError):
        close_failed_run(app.store, app.run_id)
        raise error
    app.engine.close_books()
    app.store.finish_run(app.run_id, SystemClock().now(), outcome)
    try:
        balances = {c: format(b.total, "f") for c, b in sorted(app.broker.balances().items())}
        log.info("broker_final_balances", run_id=app.run_id, balances=balances)
    except BrokerError as exc:  # the venue is down at the end: the report comes from the DB anyway
        log.warning("broker_final_balances_unread", run_id=app.run_id, error=str(exc))
    log.info("run_finished", run_id=app.run_id, status=outcome)
    return build_report(app.store, app.run_id, decisions=decisions, extras=extras)
