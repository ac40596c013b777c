"""One intent's way from a strategy (or the kill switch) to the venue: shaped into the order that would
really be sent, judged by the whole risk chain, recorded with every decision, then submitted.

DESIGN invariant 1: nothing reaches the executor without passing the chain, and a denial is data (the
intent and its decisions are stored, nothing is sent). The engine calls :meth:`IntentPipeline.decide` for
every intent a strategy returns and :meth:`IntentPipeline.flatten` for ``spotbot halt --flatten``.

The market regime (``[regime]``, :mod:`bot.core.regime`) is computed here, for entries only, and put in
the guards' context: the chain's ``regime`` guard carries how it is computed (its ``RegimeSpec``), so
the regime exists exactly when a guard judges by it, and the engine needs no wiring of its own. The
latest one computed is shown in :class:`EngineStatus` (the API's status, ``/metrics``). The one-day
returns of the portfolio-risk guards (``max_cvar``, ``max_cluster_fraction``; :mod:`bot.core.portfolio_risk`)
are computed the same way, for entries only, for the symbols held and the entry's; the held portfolio's
1-day VaR/CVaR then goes to the status.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from bot.core.engine_status import EngineStatus
from bot.core.execution import OrderExecutor
from bot.core.mark_prices import Marks
from bot.core.portfolio_risk import PortfolioRisk, ReturnsWatch
from bot.core.ports import Ports, RunScope
from bot.core.positions import PositionBook
from bot.core.regime import RegimeWatch
from bot.core.trading_control import TradingControl
from bot.core.venue_sync import VenueSync
from bot.domain import IntentKind, OrderIntent, OrderType, Regime, RiskContext, Side, Verdict, make_intent_id
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from bot.logs import get_logger
from risk.chain import RiskChain
from risk.concentration import occupied_symbols
from risk.portfolio_guards import ClusterGuard, CvarGuard, current_figures, holdings, missing_history
from risk.regime_guard import RegimeGuard

log = get_logger(__name__)
ZERO = Decimal(0)


class IntentPipeline:
    def __init__(
        self,
        *,
        ports: Ports,
        scope: RunScope,
        chain: RiskChain,
        executor: OrderExecutor,
        book: PositionBook,
        control: TradingControl,
        marks: Marks,
        status: EngineStatus,
        venue: VenueSync,
    ) -> None:
        self._ports = ports
        self._scope = scope
        self._chain = chain
        self._executor = executor
        self._book = book
        self._control = control
        self._marks = marks
        self._status = status
        self._venue = venue  # takes in what the venue did (an order may fill on arrival)
        gate = next((g for g in chain.guards if isinstance(g, RegimeGuard)), None)
        self._regime = RegimeWatch(ports.market, gate.spec) if gate is not None else None
        portfolio = [g for g in chain.guards if isinstance(g, CvarGuard | ClusterGuard)]
        if any(g.spec is None for g in portfolio):
            raise ValueError(
                "a portfolio-risk guard needs its returns' timeframe: build_chain(timeframe=...)"
            )
        spec = portfolio[0].spec if portfolio else None
        self._returns = ReturnsWatch(ports.market, spec) if spec is not None else None

    @property
    def needs_volatility(self) -> bool:
        """Whether a guard uses the symbol's volatility ratio (volatility targeting is on)."""
        return self._chain.needs_volatility

    def decide(
        self, intent: OrderIntent, now: datetime, timeframe_seconds: int, vol_ratio: Decimal | None = None
    ) -> None:
        # The chain must judge the order that will really be sent (e.g. a market entry's slippage).
        intent = self._executor.shape(intent, self._ports.market.rules(intent.symbol))
        regime = self.regime(now) if intent.kind is IntentKind.ENTRY else None
        ctx = self.risk_context(intent.symbol, now, timeframe_seconds, vol_ratio, regime=regime)
        if intent.kind is IntentKind.ENTRY:
            ctx = self.with_returns(ctx, intent.symbol, now)
        result = self._chain.evaluate(intent, ctx)
        if not self._ports.store.record_intent(self._scope.run_id, intent, result.decisions):
            log.info("intent_already_decided", intent_id=intent.intent_id)
            return
        verdicts = {d.verdict for d in result.decisions}
        outcome = (
            Verdict.DENIED
            if result.intent is None
            else Verdict.RESIZED
            if Verdict.RESIZED in verdicts
            else Verdict.APPROVED
        )
        self._status.verdicts[outcome.value] += 1
        last = result.decisions[-1] if result.decisions else None
        log.info(
            "intent_decided",
            intent_id=intent.intent_id,
            kind=intent.kind.value,
            side=intent.side.value,
            verdict=outcome.value,
            guard=last.guard if last else None,
            reason=last.reason if last else None,
            quantity=str(result.intent.quantity) if result.intent else None,
        )
        if result.intent is not None:
            sent = self._executor.submit(result.intent, now)
            if sent is not None and intent.kind is IntentKind.ENTRY:
                self._control.account.on_entry_sent()
            # An order may fill at once (market, marketable limit): take its fills into the positions now,
            # so the next intent's equity sees the position, not just the cash that paid for it, and the
            # stop goes on without waiting for the next poll.
            self._venue.poll(now)

    def flatten(self, now: datetime) -> None:
        """Kill switch with --flatten: exit every position (through the chain, like any exit)."""
        for symbol, position in self._book.positions().items():
            price = self._marks.prices.get(symbol, position.average_price)
            intent = OrderIntent(
                intent_id=make_intent_id(self._scope.id_scope, "flatten", symbol, datetime_to_ms(now)),
                strategy="kill_switch",
                symbol=symbol,
                side=Side.SELL,
                kind=IntentKind.EXIT,
                order_type=OrderType.MARKET,
                reference_price=price,
                created_at=now,
                reason="flatten",
                quantity=position.quantity,
            )
            self.decide(intent, now, 0)

    def regime(self, now: datetime) -> Regime | None:
        """The market regime as of now's close (None without ``[regime]``); shown in the status."""
        if self._regime is None:
            return None
        regime = self._regime.at(now)
        self._status.regime = regime
        return regime

    def with_returns(self, ctx: RiskContext, symbol: str, now: datetime) -> RiskContext:
        """``ctx`` with the returns of the symbols held and ``symbol`` (a portfolio-risk guard on); the
        held portfolio's 1-day figures go to the status."""
        if self._returns is None:
            return ctx
        history = self._returns.at(now, {*occupied_symbols(ctx), symbol})
        ctx = replace(ctx, returns=history)
        figures = current_figures(ctx)
        note = (
            "" if figures is not None else missing_history(history, set(holdings(ctx))) or "too few returns"
        )
        self._status.portfolio_risk = PortfolioRisk(history.as_of, history.lookback, figures, note)
        return ctx

    def risk_context(
        self,
        symbol: str,
        now: datetime,
        timeframe_seconds: int,
        vol_ratio: Decimal | None = None,
        *,
        regime: Regime | None = None,
    ) -> RiskContext:
        """Everything the guards may look at for an intent on ``symbol``, as of now."""
        balances = self._ports.broker.balances()
        quote = balances.get(self._scope.quote_currency)
        equity, _, _ = self._marks.equity(balances, self._book, self._scope.quote_currency)
        last_close = self._marks.closes.get(symbol)
        return RiskContext(
            now=now,
            equity=equity,
            quote_currency=self._scope.quote_currency,
            free_quote=quote.free if quote else ZERO,
            rules=self._ports.market.rules(symbol),
            last_price=self._marks.prices[symbol],
            positions=self._book.positions(),
            open_orders=self._executor.open_orders(),
            trading_state=self._control.state,
            prices=dict(self._marks.prices),
            account=self._control.account_state(equity),
            last_candle_close=ms_to_datetime(last_close) if last_close is not None else None,
            timeframe_seconds=timeframe_seconds,
            volatility_ratio=vol_ratio,
            regime=regime,
        )
