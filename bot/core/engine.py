"""The trading engine: one tick = sync with the venue, run strategies, pass the risk chain, execute.

Identical in every mode; only the clock, the market data and the broker behind the ports differ.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from bot.core.engine_status import EngineStatus
from bot.core.excursions import ExcursionRecorder
from bot.core.execution import OrderExecutor
from bot.core.intent_pipeline import IntentPipeline
from bot.core.mark_prices import Marks
from bot.core.ports import Ports, RunScope
from bot.core.positions import PositionBook
from bot.core.reconcile import Reconciler
from bot.core.strategy_guard import StrategyGuard
from bot.core.trading_control import TradingControl
from bot.core.venue_health import VenueHealth
from bot.core.venue_sync import VenueSync
from bot.core.wake_conditions import QuietMark, QuietWatch
from bot.domain import Balance, Candle, EquitySnapshot, Position, TradingState, make_intent_id, timeframe_ms
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from bot.logs import get_logger
from risk.chain import RiskChain
from risk.volatility import volatility_ratio
from strategies.base import Strategy, StrategyView, candle_columns

log = get_logger(__name__)
ZERO = Decimal(0)


class Engine:
    def __init__(
        self,
        *,
        ports: Ports,
        scope: RunScope,
        strategies: Sequence[Strategy],
        symbols_for: dict[str, Sequence[str]],
        chain: RiskChain,
        executor: OrderExecutor,
        book: PositionBook,
        control: TradingControl,
        key_refused_halt_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self._ports = ports
        self._scope = scope
        self._strategies = list(strategies)
        self._symbols_for = symbols_for
        self._executor = executor
        self._book = book
        self._control = control
        timeframes: dict[str, list[str]] = {}
        for strategy in self._strategies:
            for symbol in symbols_for[strategy.name]:
                timeframes.setdefault(symbol, []).append(strategy.timeframe)
        self._marks = Marks(ports.market, timeframes)
        self._last_recorded: tuple[Decimal, Decimal] | None = None
        self._lock = threading.Lock()  # a tick and a monitor run never interleave
        self.status = EngineStatus()
        self._guard = StrategyGuard(self.status.disabled_strategies)
        # A view's reads of other symbols and timeframes in this tick: a basket strategy asks for every
        # symbol at each symbol's turn, and a live market would fetch each of them again.
        self._reads: dict[tuple[str, str, int, int], Sequence[Candle]] = {}
        self._health = VenueHealth(
            status=self.status,
            control=control,
            clock=ports.clock,
            key_refused_halt_after=key_refused_halt_after,
        )
        finest = {symbol: min(frames, key=timeframe_ms) for symbol, frames in timeframes.items()}
        self._venue = VenueSync(
            broker=ports.broker, executor=executor, book=book, control=control, status=self.status,
            excursions=ExcursionRecorder(ports.market, ports.store, scope.run_id, finest),
        )  # fmt: skip
        self._intents = IntentPipeline(
            ports=ports,
            scope=scope,
            chain=chain,
            executor=executor,
            book=book,
            control=control,
            marks=self._marks,
            status=self.status,
            venue=self._venue,
        )

    @property
    def run_id(self) -> int:
        return self._scope.run_id

    def tick(
        self, candle_close: datetime | None = None, *, due: Collection[tuple[str, str]] | None = None
    ) -> None:
        """Process the candles that closed at ``candle_close`` (default: ``clock.now()``, as in sim).

        On a wall clock the scheduler fires a little after the close, so it passes the boundary it is
        for; strategies then see exactly the candles closed by that boundary, never a forming one.
        ``due``: run only these (strategy, symbol) pairs (a backtest's event planner knows the others would
        return nothing here); ``None`` runs every one.
        """
        with self._lock, self._health.guard():
            now = self._ports.clock.now()
            close_ms = datetime_to_ms(candle_close or now)
            self.status.ticks += 1
            structlog.contextvars.bind_contextvars(tick=self.status.ticks, at=now.isoformat())
            try:
                self._housekeeping(now)
                self._reads.clear()
                for strategy in self._strategies:
                    if close_ms % timeframe_ms(strategy.timeframe) != 0:
                        continue  # not this strategy's candle close
                    structlog.contextvars.bind_contextvars(strategy=strategy.name)
                    for symbol in self._symbols_for[strategy.name]:
                        if due is not None and (strategy.name, symbol) not in due:
                            continue
                        structlog.contextvars.bind_contextvars(symbol=symbol)
                        self._run_strategy(strategy, symbol, now, close_ms)
                self._venue.poll(now)
                self._snapshot(now)
            finally:
                structlog.contextvars.unbind_contextvars("tick", "at", "strategy", "symbol")

    def monitor(self) -> None:
        """Between candle closes (wall clock only): fills, stops, timeouts, commands and breakers."""
        with self._lock, self._health.guard():
            now = self._ports.clock.now()
            self._housekeeping(now)
            self._venue.poll(now)
            self._snapshot(now)

    def reconcile(self, reconciler: Reconciler) -> None:
        """The periodic check against the exchange (wall clock, live): adopt what it stored, and let its
        verdict tighten the trading state (or lift a REDUCING it imposed itself)."""
        with self._lock, self._health.guard():
            now = self._ports.clock.now()
            report = reconciler.reconcile(settled=lambda o: self._executor.not_found_is_final(o, now))
            self.status.reconciliations[report.outcome] += 1
            result = self._executor.adopt_reconciled(report.order_updates, report.adopted_fills, now)
            self._venue.take_in(result, now)
            self._control.impose(report.trading_status())

    def _housekeeping(self, now: datetime) -> None:
        self._venue.poll(now)
        self._marks.refresh(datetime_to_ms(now))  # breakers, a flatten and repricing see today's prices
        equity = self._equity()[0]
        command = self._control.poll_commands(equity)
        if command is not None and command.flatten:
            self._intents.flatten(now)
        active = self._control.state is TradingState.ACTIVE
        self._executor.manage(now, self._marks.prices, entries_allowed=active)
        self._control.evaluate(equity, now)
        if self._control.state is not TradingState.ACTIVE:
            self._executor.cancel_entries(now)  # REDUCING/HALTED: no entry may still fill
        self.status.trading_state = self._control.state.value

    def _run_strategy(self, strategy: Strategy, symbol: str, now: datetime, now_ms: int) -> None:
        candles = self._ports.market.closed_candles(
            symbol, strategy.timeframe, until_ms=now_ms, limit=strategy.warmup
        )
        if not candles:
            return
        rules = self._ports.market.rules(symbol)
        self._marks.observe(candles[-1])
        if candles[-1].close_time != now_ms:
            log.debug("stale_candle_skipped", last_close_ms=candles[-1].close_time)
            return  # a gap in the data: never decide on an old candle
        if len(candles) < strategy.warmup:
            return
        market, reads = self._ports.market, self._reads

        def source(of: str, timeframe: str, limit: int) -> Sequence[Candle]:
            key = (of, timeframe, limit, now_ms)
            if key not in reads:
                reads[key] = market.closed_candles(of, timeframe, until_ms=now_ms, limit=limit)
            return reads[key]

        position = self._book.position(symbol)
        basket = tuple(self._symbols_for[strategy.name])
        view = StrategyView(symbol, strategy.timeframe, candles, position, rules, now, basket, source)
        intents = self._guard.intents(strategy, view)
        wanted = intents and self._intents.needs_volatility
        ratio = volatility_ratio(candle_columns(candles).close) if wanted else None
        for intent in intents:
            scoped = replace(intent, intent_id=make_intent_id(self._scope.id_scope, intent.intent_id))
            self._intents.decide(scoped, now, timeframe_ms(strategy.timeframe) // 1000, ratio)

    def _equity(self, balances: dict[str, Balance] | None = None) -> tuple[Decimal, Decimal, Decimal]:
        return self._marks.equity(
            self._ports.broker.balances() if balances is None else balances,
            self._book,
            self._scope.quote_currency,
        )

    def _snapshot(self, now: datetime) -> None:
        self._record_equity(now, *self._equity())

    def disabled_strategies(self) -> dict[str, str]:
        """Strategies disabled for this run by a failure of their own: name -> why (file and line)."""
        return dict(self.status.disabled_strategies)

    def open_positions(self) -> dict[str, Position]:
        """The open positions now (a copy: what the HTTP API shows, read from its own thread)."""
        return self._book.positions()

    def close_books(self) -> None:
        """At the end of a run: one last equity snapshot with the marks of what is held, so the report
        values holdings at the prices the run ended on. Skipped (logged) if the venue cannot be read."""
        with self._lock, self._health.guard():
            self._last_recorded = None
            self._snapshot(self._ports.clock.now())

    def _record_equity(self, now: datetime, equity: Decimal, cash: Decimal, positions_value: Decimal) -> None:
        status = self.status
        status.peak_equity = max(status.peak_equity, equity)
        if status.peak_equity > 0:
            status.deepest_drawdown = max(status.deepest_drawdown, float(1 - equity / status.peak_equity))
        status.equity = equity
        status.cash, status.positions_value = cash, positions_value
        status.now = now
        if self._last_recorded == (equity, cash):
            return  # flat and idle: nothing new to record (keeps the per-candle path free of DB writes)
        self._last_recorded = (equity, cash)
        snapshot = EquitySnapshot(
            now, equity, cash, positions_value, status.peak_equity, self._holding_marks()
        )
        self._ports.store.record_equity(self._scope.run_id, snapshot)

    def _holding_marks(self) -> dict[str, Decimal]:
        """The price each holding was valued at (a report of a run killed later values it from here)."""
        prices = self._marks.prices
        return {h.symbol: prices.get(h.symbol, h.average_price) for h in self._book.holdings()}

    # ----------------------------------------------------------------- skipping quiet closes (backtests)

    def activity(self) -> tuple[object, ...]:
        """What the engine has done so far, comparably: intents decided, fills, the trading state, the
        working orders (each with its state, fill and prices), each position's stop (a client-side stop
        trails in memory only) and the exits waiting for their stop. Unchanged by a tick that did nothing:
        a backtest's shadow mode checks so every close its planner skipped."""
        orders = sorted(
            (o.client_order_id, o.status.value, o.filled_quantity, o.price, o.stop_price)
            for o in self._executor.open_orders()
        )
        stops = sorted((s, p.stop_price) for s, p in self._book.positions().items())
        waiting = self._executor.deferred_exits()
        return (
            sorted(self.status.verdicts.items()),
            self.status.fills,
            self._control.state,
            orders,
            stops,
            waiting,
        )

    def strategy_symbols(self) -> list[tuple[Strategy, tuple[str, ...]]]:
        return [(s, tuple(self._symbols_for[s.name])) for s in self._strategies]

    def quiet_watch(self) -> QuietWatch:
        """What would make the coming closes' ticks act (see :mod:`bot.core.wake_conditions`); ask right
        after a tick."""
        now = self._ports.clock.now()
        next_close, due_ms, prices = self._executor.quiet_watch()
        quote = self._ports.broker.balances().get(self._scope.quote_currency)
        return QuietWatch(
            next_close=next_close,
            due_ms=due_ms,
            prices=tuple(prices),
            equity=self._control.equity_watch(now),
            cash=quote.total if quote is not None else ZERO,
            holdings={s: p.quantity for s, p in self._book.positions().items()},
            snapshot_peak=self.status.peak_equity,
            deepest=self.status.deepest_drawdown,
        )

    def absorb_quiet(self, marks: Sequence[QuietMark]) -> None:
        """Take in the equity marks of skipped quiet closes, as their ticks would have made them."""
        for mark in marks:
            at = ms_to_datetime(mark.at_ms)
            self._control.mark_quiet(mark.equity, at)
            self._record_equity(at, mark.equity, mark.cash, mark.positions_value)
