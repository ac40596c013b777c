"""The paper broker: a simulated spot venue that fills orders against a market's closed candles.

Time reaches the broker in two ways, and it never reads a wall clock of its own:

- the injected :class:`bot.core.ports.Clock` stamps each placement (``placed_ms``: the order then takes part
  only in candles opening at or after it; never the candle the strategy just saw);
- :meth:`PaperBroker.poll` ``(now)`` matches resting orders against every candle that closed by ``now``.

A placement is never stamped earlier than the last poll, so a lagging clock cannot cause look-back fills.
Market and marketable orders fill on arrival (:mod:`bot.adapters.paper.arrival`): against the order book when
the
market provides one (:class:`bot.core.ports.BookDepth`, paper mode on a real exchange), else at the current
price.
Fills are whole (no partial fills). Fees are charged in the quote currency for buys and sells alike
(Binance charges a buy's fee in the base asset unless paid in BNB: a real buy of 1 BTC credits
0.999 BTC; here it credits 1 BTC and costs ``price * qty * (1 + fee)`` quote). State is in memory only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from bot.adapters.paper.arrival import BOOK_FILLED, book_fill, current_price_fill
from bot.adapters.paper.balances import ZERO, BalanceBook
from bot.adapters.paper.candle_feed import ActiveCandles, EveryCandle
from bot.adapters.paper.fill_rules import Execution, match_candle
from bot.adapters.paper.paper_order import PaperOrder, fill_cost, resting_lock, resting_price
from bot.adapters.paper.settlement import settle
from bot.adapters.paper.validation import (
    check_min_notional,
    check_oco_pair,
    check_order_shape,
    check_stop_not_triggered,
)
from bot.core.ports import BookDepth, BrokerUpdate, Clock, MarketData, SeriesSource
from bot.domain import (
    Balance,
    Fill,
    InvalidOrder,
    Liquidity,
    MarketRules,
    Order,
    OrderNotFound,
    OrderStatus,
    Side,
    timeframe_ms,
)
from bot.domain.clock import datetime_to_ms
from bot.logs import get_logger

log = get_logger(__name__)
NOTHING_NEW = BrokerUpdate()
KEEP_FINISHED = 1_000
"""Finished (terminal) orders the simulated venue still answers about, newest first; older ones are
forgotten ("no such order"), as a real venue archives old orders, so a long run's memory stays flat."""


class PaperBroker:
    """Implements :class:`bot.core.ports.Broker` against any :class:`bot.core.ports.MarketData` on
    ``timeframe``."""

    def __init__(
        self,
        market: MarketData,
        clock: Clock,
        *,
        timeframe: str,
        starting_balances: Mapping[str, Decimal],
        slippage_bps: Decimal = Decimal(5),
        venue: str = "paper",
        id_prefix: str = "paper",
    ) -> None:
        if slippage_bps < 0:
            raise ValueError(f"slippage_bps must be >= 0, got {slippage_bps}")
        self.venue = venue
        self._market = market
        self._depth = market if isinstance(market, BookDepth) else None  # fill on arrival from the book
        self._feed = (
            ActiveCandles(market, timeframe)
            if isinstance(market, SeriesSource)
            else EveryCandle(market, timeframe)
        )
        self._clock = clock
        self._timeframe = timeframe
        self._step_ms = timeframe_ms(timeframe)
        self._slippage_bps = Decimal(slippage_bps)
        self._id_prefix = id_prefix
        self._book = BalanceBook(starting_balances)
        self._symbols = frozenset(market.symbols())
        self._orders: dict[str, PaperOrder] = {}  # by client order id (the latest order with that id)
        self._resting: dict[str, list[PaperOrder]] = {}  # open orders per symbol, in placement order
        self._matched_until: dict[str, int] = {}  # per symbol: close time of the last candle matched
        self._last_poll_ms = 0
        self._order_seq = 0
        self._trade_seq = 0
        self._changed: dict[str, Order] = {}
        self._new_fills: list[Fill] = []

    # --- Broker -------------------------------------------------------------------------------

    def place_order(self, order: Order) -> Order:
        rules = self._rules(order.symbol)
        previous = self._orders.get(order.client_order_id)
        if previous is not None and not previous.order.status.is_terminal:
            raise InvalidOrder(f"duplicate order: client order id {order.client_order_id} is still open")
        check_order_shape(order, rules)
        partner = self._oco_partner(order)
        placed_ms = max(datetime_to_ms(self._clock.now()), self._last_poll_ms)
        current_f, fill_price = self._arrival(order, rules, placed_ms)
        check_min_notional(order, rules, fill_price if fill_price is not None else resting_price(order))
        check_stop_not_triggered(order, current_f)
        if partner is not None and fill_price is not None:
            raise InvalidOrder(
                f"order {order.client_order_id} ({order.symbol}): a take-profit paired with a stop must "
                f"rest; limit {order.price} would fill at once (at {fill_price})"
            )
        lock_currency = rules.quote if order.side is Side.BUY else rules.base
        purpose = f"order {order.client_order_id} ({order.symbol})"
        if fill_price is not None:
            needed = fill_cost(order, rules, fill_price) if order.side is Side.BUY else order.quantity
            self._book.require_free(lock_currency, needed, purpose=purpose)
        elif partner is not None:
            needed = ZERO  # the pair shares the base its stop already locks
        else:
            needed = resting_lock(order, rules)
            self._book.lock(lock_currency, needed, purpose=purpose)

        self._order_seq += 1
        acknowledged = replace(
            order,
            status=OrderStatus.OPEN,
            exchange_order_id=f"{self._id_prefix}-o-{self._order_seq}",
            filled_quantity=ZERO,
            average_fill_price=None,
        )
        paper = PaperOrder.create(
            acknowledged, rules, seq=self._order_seq, placed_ms=placed_ms, lock_currency=lock_currency
        )
        if fill_price is None:
            paper.lock_amount = needed
            self._resting.setdefault(order.symbol, []).append(paper)
        if partner is not None:
            paper.partner, partner.partner = partner, paper
        self._orders.pop(order.client_order_id, None)  # newest last: the oldest are forgotten first
        self._orders[order.client_order_id] = paper
        log.debug(
            "paper_order_placed",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side.value,
            order_type=order.order_type.value,
            quantity=str(order.quantity),
            placed_ms=placed_ms,
        )
        if fill_price is not None:
            self._execute(Execution(paper, fill_price, Liquidity.TAKER), placed_ms)
        return acknowledged

    def cancel_order(self, symbol: str, client_order_id: str) -> Order:
        paper = self._find(symbol, client_order_id)
        if paper.order.status.is_terminal:
            return paper.order
        self._release_lock(paper)
        self._resting[symbol].remove(paper)
        paper.order = replace(paper.order, status=OrderStatus.CANCELED)
        log.debug("paper_order_canceled", client_order_id=client_order_id, symbol=symbol)
        self._cancel_partner(paper)
        return paper.order

    def fetch_order(self, symbol: str, client_order_id: str) -> Order:
        return self._find(symbol, client_order_id).order

    def open_orders(self, symbol: str | None = None) -> Sequence[Order]:
        symbols = [symbol] if symbol is not None else sorted(self._resting)
        return [paper.order for s in symbols for paper in self._resting.get(s, [])]

    def balances(self) -> dict[str, Balance]:
        return self._book.snapshot()

    def outcome_deadline(self) -> datetime:
        """A simulated venue answers at once: nothing is ever still in flight."""
        return self._clock.now()

    def acknowledge(self, fills: Sequence[Fill]) -> None:
        """Paper fills are reported once: a simulation that cannot store them fails its tick anyway."""

    def poll(self, now: datetime) -> BrokerUpdate:
        """Match resting orders against candles closed by ``now``; report changes since the last poll.

        The update holds orders whose state the venue changed (fills) and the new fills, including those of
        market and marketable orders filled at placement. Cancels are not repeated: ``cancel_order``
        returned them.
        """
        now_ms = datetime_to_ms(now)
        self._last_poll_ms = max(self._last_poll_ms, now_ms)
        for symbol in sorted(self._resting):
            if self._resting[symbol]:
                self._match_symbol(symbol, self._last_poll_ms)
        self._forget_finished()
        if not self._changed and not self._new_fills:
            return NOTHING_NEW
        update = BrokerUpdate(orders=tuple(self._changed.values()), fills=tuple(self._new_fills))
        self._changed = {}
        self._new_fills = []
        return update

    def _forget_finished(self) -> None:
        """Forget all but the newest :data:`KEEP_FINISHED` finished orders (once twice as many are held)."""
        if len(self._orders) <= 2 * KEEP_FINISHED:
            return
        finished = [cid for cid, paper in self._orders.items() if paper.order.status.is_terminal]
        for cid in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._orders[cid]

    # --- matching -----------------------------------------------------------------------------

    def _match_symbol(self, symbol: str, now_ms: int) -> None:
        resting = self._resting[symbol]
        start_ms = self._match_start(symbol)
        if start_ms >= now_ms:  # matched through now already (a second poll at one time): no candle
            return  # opening at or after start_ms can have closed by now
        for candle in self._feed.candles(symbol, start_ms, now_ms, resting):
            for execution in match_candle(resting, candle, self._slippage_bps):
                resting.remove(execution.order)
                self._cancel_partner(execution.order)
                self._execute(execution, candle.close_time)
            self._matched_until[symbol] = candle.close_time
            if not resting:
                return
        through = self._feed.skipped_through(symbol, now_ms)
        if through is not None:  # the candles it skipped could not have filled anything
            self._matched_until[symbol] = max(self._matched_until.get(symbol, 0), through)

    def _match_start(self, symbol: str) -> int:
        """Candles opening before this are matched already (or predate every resting order)."""
        return max(self._matched_until.get(symbol, 0), min(p.placed_ms for p in self._resting[symbol]))

    def next_fill_check_ms(self, until_ms: int) -> int | None:
        """The earliest candle close, by ``until_ms``, at which a resting order could fill or trigger;
        ``None`` if no candle until then could. Only on markets with numpy history (backtests)."""
        if not isinstance(self._feed, ActiveCandles):
            raise TypeError("looking ahead for fills needs a market with numpy history (SeriesSource)")
        closes = [
            self._feed.first_active_close(symbol, resting, self._match_start(symbol), until_ms)
            for symbol, resting in self._resting.items()
            if resting
        ]
        found = [close for close in closes if close is not None]
        return min(found, default=None)

    @property
    def has_unreported(self) -> bool:
        """Order changes or fills not yet returned by a poll (e.g. a take-profit the venue cancelled when
        its stop was cancelled)."""
        return bool(self._changed or self._new_fills)

    def _execute(self, execution: Execution, at_ms: int) -> None:
        """Fill the whole order at the execution price: move the money, record the fill."""
        paper = execution.order
        self._release_lock(paper)
        self._trade_seq += 1
        trade_id = f"{self._id_prefix}-{self._trade_seq}"
        paper.order, fill = settle(execution, self._book, venue=self.venue, trade_id=trade_id, at_ms=at_ms)
        self._changed[fill.client_order_id] = paper.order
        self._new_fills.append(fill)
        log.debug(
            "paper_order_filled",
            client_order_id=fill.client_order_id,
            symbol=fill.symbol,
            side=fill.side.value,
            price=str(fill.price),
            quantity=str(fill.quantity),
            fee=str(fill.fee),
            liquidity=fill.liquidity.value,
            at_ms=at_ms,
        )

    # --- placement helpers --------------------------------------------------------------------

    def _arrival(
        self, order: Order, rules: MarketRules, placed_ms: int
    ) -> tuple[float | None, Decimal | None]:
        """The current price (``None`` when the book decides) and the taker price if the order fills on
        arrival (``None``: it rests)."""
        if self._depth is not None and order.order_type in BOOK_FILLED:
            return None, book_fill(self._depth, order, rules, self._slippage_bps)
        current_f = self._market.current_price(order.symbol, placed_ms)
        current = None if current_f is None else Decimal(repr(current_f))
        return current_f, current_price_fill(order, rules, current, self._slippage_bps)

    def _oco_partner(self, order: Order) -> PaperOrder | None:
        """The open stop a take-profit is paired with (``order.oco_with``), checked like Binance's OCO."""
        if order.oco_with is None:
            return None
        partner = self._orders.get(order.oco_with)
        check_oco_pair(order, partner)
        return partner

    def _cancel_partner(self, paper: PaperOrder) -> None:
        """One-cancels-other: ``paper`` filled or was cancelled, so its partner is cancelled by the venue."""
        partner = paper.partner
        if partner is None:
            return
        paper.partner = partner.partner = None
        if partner.order.status.is_terminal:
            return
        self._release_lock(partner)
        self._resting[partner.order.symbol].remove(partner)
        partner.order = replace(partner.order, status=OrderStatus.CANCELED)
        self._changed[partner.order.client_order_id] = partner.order  # reported by the next poll
        log.debug("paper_oco_partner_canceled", client_order_id=partner.order.client_order_id)

    def _release_lock(self, paper: PaperOrder) -> None:
        if paper.lock_amount:
            self._book.unlock(paper.lock_currency, paper.lock_amount)
            paper.lock_amount = ZERO

    def _rules(self, symbol: str) -> MarketRules:
        if symbol not in self._symbols:
            allowed = ", ".join(sorted(self._symbols))
            raise InvalidOrder(f"unknown symbol {symbol!r}; this venue trades: {allowed}")
        return self._market.rules(symbol)

    def _find(self, symbol: str, client_order_id: str) -> PaperOrder:
        paper = self._orders.get(client_order_id)
        if paper is None or paper.order.symbol != symbol:
            raise OrderNotFound(f"no order with client order id {client_order_id!r} on {symbol}")
        return paper
