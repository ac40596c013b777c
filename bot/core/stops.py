"""Stop maintenance: every position keeps a stop (DESIGN invariant 3), optionally trailed and paired with a
take-profit.

- After an entry fills, a stop covering the whole position is placed (re-placed when the position grows
  or shrinks). If the venue refuses it, the position is closed rather than left unprotected.
- Its price is the highest known: the latest entry's stop, or the one last armed if higher (trailed, or
  an earlier entry's). A resize never loosens a stop, so earlier units keep the loss they were sized for.
- While an exit sells part of a position, a stop covers the rest (held less what working exits sell).
- Trailing (``ExecutionPolicy.trailing_stop``): on each ``maintain`` the stop is raised to
  last × (1 − trail) when that is higher — cancel, then place with the next attempt number. A stop
  only ever tightens, and always sits below the last price.
- A stop-limit that triggered without filling (still open with the last price at or below its stop) is
  cancelled and replaced by an exit that is chased until it fills.
- Take-profit (``ExecutionPolicy.take_profit_r``): a sell limit at entry + R × (entry − stop) whose
  ``oco_with`` names the stop. The stop already locks the position's base, so the two legs form a
  one-cancels-other pair: the paper broker fills whichever comes first (the stop, when one candle spans
  both), cancels the other, and lets the pair share the stop's lock. The ccxt adapter maps the pair to a
  Binance OCO order list (``POST /api/v3/orderList/oco``: a LIMIT_MAKER above and a STOP_LOSS[_LIMIT]
  below, same quantity): on a take-profit with ``oco_with`` it cancels the lone stop and places the list,
  keeping both legs' client order ids. Cancelling either leg cancels both, so protection is always
  replaced as a pair: take-profit first, then stop.
- Client-side stop: where the venue refuses the stop's order type as unsupported (``UnsupportedOrderType``:
  no native stop orders on this spot market), the stop is kept here instead (``client_side_stop_armed``)
  and the symbol sends no stop orders again in this run. Each ``maintain`` (every tick and every monitor
  run) sends the exit (a capped marketable limit, chased until filled) once the last price is at or below
  it; it trails like a stop order, and is dropped with the rest of the protection (position closed,
  exit requested, resize). A take-profit beside it is a plain sell limit (no ``oco_with``), cancelled
  before the exit. It lives in memory: after a restart the first ``maintain`` arms it again. A refusal
  for any other reason still closes the position at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.core.execution_policy import ExecutionPolicy
from bot.core.order_gateway import OrderGateway
from bot.core.positions import PositionBook
from bot.domain import MarketRules, Order, OrderPurpose, OrderStatus, OrderType, Side
from bot.domain.errors import UnsupportedOrderType
from bot.logs import get_logger

log = get_logger(__name__)

WORKING = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)  # statuses of a live order at the venue


@dataclass(slots=True)
class ClientStop:
    """A stop the bot watches itself (the venue has no stop order): exit once the last price <= it."""

    intent_id: str
    stop_price: Decimal
    quantity: Decimal


class StopKeeper:
    """Places, trails and replaces the protective orders of open positions, through the order gateway."""

    def __init__(
        self,
        *,
        gateway: OrderGateway,
        book: PositionBook,
        rules: Callable[[str], MarketRules],
        policy: ExecutionPolicy,
    ) -> None:
        self._gateway = gateway
        self._book = book
        self._rules = rules
        self._policy = policy
        self._stop_for_intent: dict[str, Decimal] = {}
        self._client_stops: dict[str, ClientStop] = {}  # by symbol
        self._no_native_stop: set[str] = set()  # symbols whose venue refused the stop order type

    # ----------------------------------------------------------------- queries

    def remember_stop(self, intent_id: str, stop_price: Decimal) -> None:
        self._stop_for_intent[intent_id] = stop_price

    def stop_for(self, intent_id: str) -> Decimal | None:
        return self._stop_for_intent.get(intent_id)

    def client_stop(self, symbol: str) -> ClientStop | None:
        """The stop watched client-side for ``symbol``'s position, if the venue has no stop orders."""
        return self._client_stops.get(symbol)

    def working(self, symbol: str, purpose: OrderPurpose) -> Order | None:
        for order in self._gateway.open_orders.values():
            if order.symbol == symbol and order.purpose is purpose:
                return order
        return None

    # ----------------------------------------------------------------- protection

    def protect(self, symbol: str, now: datetime) -> None:
        """Make the working stop cover the whole open position (or remove protection when flat)."""
        position = self._book.position(symbol)
        if position is None:
            self.cancel_protection(symbol, now, "position closed")
            return
        rules = self._rules(symbol)
        quantity = rules.round_quantity(self.unsold(symbol, position.quantity))  # what the venue can sell
        if quantity <= 0 and self.working(symbol, OrderPurpose.EXIT) is not None:
            return  # exits are selling the whole position and hold its base; they are chased until filled
        stop = self.working(symbol, OrderPurpose.STOP)
        if stop is not None and stop.remaining_quantity == quantity:
            return
        client = self._client_stops.get(symbol)
        if client is not None and client.quantity == quantity:
            return
        entry = self._latest_entry(symbol)
        entry_stop = self._stop_for_intent.get(entry.intent_id) if entry else None
        known = (stop.stop_price if stop else None, client.stop_price if client else None)
        stop_price = _tightest(entry_stop, position.stop_price, *known)  # the position's: last armed
        if entry is None or stop_price is None or quantity <= 0:
            log.error("position_without_stop_price", symbol=symbol)
            return
        if not self.cancel_protection(symbol, now, "stop resized"):
            return
        risk_unit = entry_stop if entry_stop is not None else stop_price  # R of a take-profit: the entry's
        target = self._policy.take_profit_price(position.average_price, risk_unit, rules)
        self._arm(entry.intent_id, symbol, quantity, stop_price, target, now)

    def unsold(self, symbol: str, held: Decimal) -> Decimal:
        """What of ``held`` no working exit is selling: the part a stop must cover."""
        selling = sum(
            (o.remaining_quantity for o in self._gateway.open_orders.values()
             if o.symbol == symbol and o.purpose is OrderPurpose.EXIT),
            Decimal(0),
        )  # fmt: skip
        return held - selling

    def cancel_protection(self, symbol: str, now: datetime, reason: str) -> bool:
        """Cancel the take-profit, then the stop; True if neither is working any more."""
        for purpose in (OrderPurpose.TAKE_PROFIT, OrderPurpose.STOP):
            order = self.working(symbol, purpose)
            if order is not None and not self._gateway.cancel(order, now, reason):
                return False
        if self._client_stops.pop(symbol, None) is not None:
            log.info("client_side_stop_dropped", symbol=symbol, reason=reason)
        return True

    def maintain(self, prices: Mapping[str, Decimal], now: datetime) -> None:
        """Per open position: re-arm a missing stop, chase a triggered stop-limit, trail the stop."""
        for symbol, position in self._book.positions().items():
            unsold = self.unsold(symbol, position.quantity)
            if unsold < position.quantity and self._rules(symbol).round_quantity(unsold) <= 0:
                continue  # exits are selling all of it; they are chased every tick
            stop = self.working(symbol, OrderPurpose.STOP)
            last = prices.get(symbol)
            client = self._client_stops.get(symbol)
            if stop is None and client is not None:
                if last is not None:
                    self._watch(symbol, client, unsold, last, now)
                continue
            if stop is None:
                self.protect(symbol, now)  # safety net: no position is ever left without a stop
                continue
            if last is None or stop.stop_price is None or stop.status not in WORKING:
                continue
            chase = self._policy.chase_level(stop)
            if chase is not None and last <= chase:
                log.warning("stop_limit_triggered_unfilled", symbol=symbol, stop_price=str(stop.stop_price))
                if self.cancel_protection(symbol, now, "stop-limit triggered without filling"):
                    self.send_exit(stop.intent_id, symbol, unsold, last, now)
                continue
            self._trail(stop, last, now)

    def _watch(
        self, symbol: str, client: ClientStop, quantity: Decimal, last: Decimal, now: datetime
    ) -> None:
        """A client-side stop: sell once the last price is at or below it, else trail it."""
        if last <= client.stop_price:
            log.warning("client_side_stop_triggered", symbol=symbol, stop_price=str(client.stop_price),
                        last=str(last))  # fmt: skip
            take_profit = self.working(symbol, OrderPurpose.TAKE_PROFIT)
            if take_profit is not None and not self._gateway.cancel(take_profit, now, "stop triggered"):
                return  # it may have just filled; the next maintain sees
            if self.send_exit(client.intent_id, symbol, quantity, last, now) is None:
                log.error("client_side_stop_exit_refused", symbol=symbol, quantity=str(quantity))
            return
        candidate = self._policy.tightened_stop(client.stop_price, last, self._rules(symbol))
        if candidate is not None:
            log.info("stop_trailed", symbol=symbol, old=str(client.stop_price), new=str(candidate),
                     client_side=True)  # fmt: skip
            client.stop_price = candidate
            self._book.set_stop(symbol, candidate)

    def _trail(self, stop: Order, last: Decimal, now: datetime) -> None:
        if stop.stop_price is None:
            return
        candidate = self._policy.tightened_stop(stop.stop_price, last, self._rules(stop.symbol))
        if candidate is None:
            return
        take_profit = self.working(stop.symbol, OrderPurpose.TAKE_PROFIT)
        target = take_profit.price if take_profit is not None else None
        if not self.cancel_protection(stop.symbol, now, "stop tightened"):
            return
        log.info("stop_trailed", symbol=stop.symbol, old=str(stop.stop_price), new=str(candidate))
        self._arm(stop.intent_id, stop.symbol, stop.remaining_quantity, candidate, target, now)

    def _arm(
        self,
        intent_id: str,
        symbol: str,
        quantity: Decimal,
        stop_price: Decimal,
        target: Decimal | None,
        now: datetime,
    ) -> None:
        """Place the stop (and its take-profit); if the venue refuses the stop order type, watch the stop
        client-side; if it refuses the stop for another reason, close the position."""
        oco_with = self._place_stop(intent_id, symbol, quantity, stop_price, now)
        if oco_with is None and symbol not in self._client_stops:
            return  # refused: the position is being closed
        self._book.set_stop(symbol, stop_price)
        if target is None:
            return
        take_profit = self._new_order(
            intent_id, symbol, OrderPurpose.TAKE_PROFIT, OrderType.LIMIT, quantity, now,
            price=target, oco_with=oco_with,
        )  # fmt: skip
        if self._gateway.send(take_profit).refused:
            log.warning("take_profit_refused", symbol=symbol, price=str(target))

    def _place_stop(
        self, intent_id: str, symbol: str, quantity: Decimal, stop_price: Decimal, now: datetime
    ) -> str | None:
        """The stop order's client id once placed; ``None`` if the stop is client-side or was refused."""
        if symbol not in self._no_native_stop:
            rules = self._rules(symbol)
            stop = self._new_order(
                intent_id, symbol, OrderPurpose.STOP, self._policy.stop_order, quantity, now,
                price=self._policy.stop_limit_price(stop_price, rules), stop_price=stop_price,
            )  # fmt: skip
            sent = self._gateway.send(stop)
            if not sent.refused:
                return stop.client_order_id
            if not isinstance(sent.refusal, UnsupportedOrderType):
                # refused for a reason of its own (e.g. the market is already below the stop)
                log.error("stop_refused_closing_position", symbol=symbol, stop_price=str(stop_price))
                self.send_exit(intent_id, symbol, quantity, None, now)
                return None
            self._no_native_stop.add(symbol)
        self._client_stops[symbol] = ClientStop(intent_id, stop_price, quantity)
        log.warning(
            "client_side_stop_armed", symbol=symbol, stop_price=str(stop_price), quantity=str(quantity)
        )
        return None

    def send_exit(
        self, intent_id: str, symbol: str, quantity: Decimal, last: Decimal | None, now: datetime
    ) -> Order | None:
        """Sell ``quantity``: a marketable limit capped at last × (1 − max_slippage), or, with no last price
        known (an emergency: a refused stop found on a venue update), a market order."""
        rules = self._rules(symbol)
        quantity = rules.round_quantity(quantity)
        if last is None:
            order = self._new_order(intent_id, symbol, OrderPurpose.EXIT, OrderType.MARKET, quantity, now)
        else:
            price = self._policy.sell_cap(last, rules)
            order = self._new_order(
                intent_id, symbol, OrderPurpose.EXIT, OrderType.LIMIT, quantity, now, price=price
            )
        sent = self._gateway.send(order)
        return None if sent.refused else sent.order

    def _new_order(
        self,
        intent_id: str,
        symbol: str,
        purpose: OrderPurpose,
        order_type: OrderType,
        quantity: Decimal,
        now: datetime,
        *,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        oco_with: str | None = None,
    ) -> Order:
        return self._gateway.new_order(
            intent_id, symbol, Side.SELL, purpose, order_type, quantity, now,
            price=price, stop_price=stop_price, oco_with=oco_with,
        )  # fmt: skip

    def _latest_entry(self, symbol: str) -> Order | None:
        """The entry that opened (or last added to) the position on ``symbol``: its intent owns the stop."""
        return self._gateway.latest_filled_entry(symbol)


def _tightest(*stops: Decimal | None) -> Decimal | None:
    """The highest of the known stop prices (None if none is known)."""
    return max((stop for stop in stops if stop is not None), default=None)
