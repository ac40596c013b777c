"""Reconciliation with the venue, at start-up and periodically: orders, fills, balances.

The venue is the truth about orders and fills; the audit DB is brought in step with it, never the
other way round. Rules:

1. Every order the DB holds as not terminal (PENDING, OPEN, PARTIALLY_FILLED, UNKNOWN), in any run of
   this venue, is looked up by client order id and the venue's answer recorded (event "reconciled").
   An order the venue definitely does not have (``OrderNotFound`` twice in a row) is marked EXPIRED
   ("not at venue after restart"). Nothing is ever sent or re-sent here: the engine decides.
2. Orders open at the venue under our client id prefix that the DB lacks are reported, never cancelled.
3. Fills since the broker's trade cursors (seed them with :func:`stored_trade_cursors`) are stored once.
4. The venue's base-asset balances are compared with the positions the stored fills give; a mismatch is
   reported (and recommends HALTED or REDUCING), never "fixed".

A failed venue call (``RetryLater``, ``OutcomeUnknown``, ...) leaves what it concerned untouched and
makes the report incomplete. ``FatalBrokerError`` propagates: trading must stop.
Run it on the engine's thread (not during a tick): it records order states the executor also keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from bot.core.ports import Broker, Clock
from bot.core.reconcile.holdings import compare_holdings, stored_trade_cursors
from bot.core.reconcile.orders import Findings, OrderReconciler, ReconcileStore
from bot.core.reconcile.report import PositionMismatch, ReconcileReport
from bot.domain import Balance, BrokerError, FatalBrokerError, MarketRules, Order, TradingState
from bot.logs import get_logger

log = get_logger(__name__)


class Reconciler:
    """Brings the audit DB in step with ``venue`` through ``broker`` and reports what does not match.

    ``rules`` gives each symbol's lot step: the dust allowed between position and balance (none without
    it). ``id_prefix`` marks the client order ids this bot makes.
    """

    def __init__(
        self,
        broker: Broker,
        store: ReconcileStore,
        *,
        venue: str,
        quote: str,
        bot_symbols: Iterable[str],
        clock: Clock,
        rules: Callable[[str], MarketRules] | None = None,
        id_prefix: str = "sb",
        yours: frozenset[str] = frozenset(),
    ) -> None:
        self._broker = broker
        self._store = store
        self._venue = venue
        self._quote = quote
        self._symbols = frozenset(bot_symbols)
        self._clock = clock
        self._rules = rules
        self._yours = yours  # assets whose excess at the venue is the user's (exchange.leave_alone = "all")
        self._orders = OrderReconciler(broker, store, venue=venue, id_prefix=id_prefix)

    def reconcile(self, settled: Callable[[Order], bool] | None = None) -> ReconcileReport:
        """``settled(order)``: whether the venue's "not found" is final for ``order`` (a running bot's
        gateway knows when each request it sent can no longer execute); ``None`` (at start-up): every
        order was sent before this process began."""
        found = Findings(at=self._clock.now())
        working = self._orders.stored_working_orders()
        for order in working:
            self._orders.check_stored(order, found, settled)
        for symbol in sorted(self._symbols | {o.symbol for o in working}):
            self._orders.check_venue_open(symbol, found)
        self._adopt_fills(found)
        mismatches, quote_balance = self._check_holdings(found)
        report = ReconcileReport(
            at=found.at,
            complete=not found.failures,
            checked_orders=found.checked,
            order_updates=tuple(found.updates.values()),
            expired_orders=tuple(found.expired),
            unknown_open_orders=tuple(found.unknown.values()),
            duplicate_orders=tuple(found.duplicates.values()),
            adopted_fills=tuple(found.fills),
            mismatches=tuple(mismatches),
            failures=tuple(found.failures),
            quote_balance=quote_balance,
        )
        level = log.info if report.recommended_state is TradingState.ACTIVE else log.warning
        level("reconciled", venue=self._venue, **report.summary())
        return report

    # --- 3. fills ------------------------------------------------------------------------------

    def _adopt_fills(self, found: Findings) -> None:
        self._warn_unseeded_cursors()
        try:
            update = self._broker.poll(found.at)
        except FatalBrokerError:
            raise
        except BrokerError as exc:
            found.fail("poll", "fills", exc)
            return
        # A broker that reports the symbols it had to skip (reads failed after retries) makes them count
        # as failed lookups; CcxtBroker.poll today only logs them ("exchange_poll_deferred").
        for symbol in getattr(update, "deferred", ()):
            found.fail("poll", str(symbol), RuntimeError("fills not read: symbol deferred"))
        for venue_order in update.orders:
            self._orders.venue_says(venue_order, found)
        adopted = self._store.record_fills(update.fills)
        self._broker.acknowledge(update.fills)
        found.fills.extend(adopted)
        for fill in adopted:
            log.info(
                "reconcile_fill_adopted",
                trade_id=fill.trade_id,
                client_order_id=fill.client_order_id,
                symbol=fill.symbol,
                side=fill.side.value,
                quantity=str(fill.quantity),
            )

    def _warn_unseeded_cursors(self) -> None:
        cursors = getattr(self._broker, "trade_cursors", None)
        if not isinstance(cursors, dict):
            return
        for symbol, stored in stored_trade_cursors(self._store.fills(), self._venue).items():
            if cursors.get(symbol, -1) < stored:
                log.warning("reconcile_trade_cursor_not_seeded", symbol=symbol, stored=stored)

    # --- 4. balances against positions ---------------------------------------------------------

    def _check_holdings(self, found: Findings) -> tuple[list[PositionMismatch], Balance | None]:
        """Compare; on a mismatch, adopt fills and compare once more (a fill landing between the trade
        read and the balance read looks like a mismatch once, not twice). If the second look fails, the
        first one's mismatches stand."""
        first, quote = self._compare(found)
        if not first:
            return [], quote
        self._adopt_fills(found)
        second, second_quote = self._compare(found)
        if second is None:
            return first, quote
        return second, second_quote

    def _compare(self, found: Findings) -> tuple[list[PositionMismatch] | None, Balance | None]:
        """Mismatches and the quote balance; (None, None) if the balances could not be read."""
        try:
            balances: dict[str, Balance] = self._broker.balances()
        except FatalBrokerError:
            raise
        except BrokerError as exc:
            found.fail("balances", "account", exc)
            return None, None
        mismatches = compare_holdings(
            self._store.fills(),
            balances,
            venue=self._venue,
            symbols=self._symbols | {f.symbol for f in found.fills},
            step_for=lambda symbol: self._step(symbol, found),
            yours=self._yours,
        )
        return mismatches, balances.get(self._quote)

    def _step(self, symbol: str, found: Findings) -> Decimal:
        if self._rules is None:
            return Decimal(0)
        try:
            return self._rules(symbol).step_size
        except FatalBrokerError:
            raise
        except BrokerError as exc:
            found.fail("rules", symbol, exc)
            return Decimal(0)
