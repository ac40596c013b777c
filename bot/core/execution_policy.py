"""How intents become orders: order types, limit prices, repricing, stop maintenance (one frozen policy).

Every price here is rounded to the tick the safe way: a buy never above its cap, a sell never below it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from bot.domain import IntentKind, MarketRules, Order, OrderIntent, OrderPurpose, OrderStatus, OrderType, Side

OnUnfilled = Literal["cancel", "marketable"]
_ONE = Decimal(1)
_NEXT_CLOSE = timedelta(microseconds=1)  # due at any later moment: the next close


@dataclass(frozen=True, slots=True)
class ExecutionPolicy:
    """The execution knobs, each with a safe default.

    Entries (issue 3, "limit first"):

    - ``entry_order`` (LIMIT): LIMIT rests at the reference price (or the strategy's limit) lowered by
      ``entry_offset`` (0; a fraction, 0 <= x < 0.1), rounded down. MARKET sends a market order.
    - ``entry_timeout`` (15 min) / ``reprice_after`` (None = ``entry_timeout``): an entry unfilled for this
      long is cancelled and re-placed at the *current* last price, at most ``max_reprices`` (2) times, each
      a new order (attempt + 1) under the same intent. A reprice never raises the quantity and lowers it
      so the entry-to-stop loss stays within what the risk chain approved; it stops when the price is at
      or below the stop, or when the venue refuses the order (e.g. insufficient funds).
    - ``on_unfilled`` ("cancel"): after the last reprice, "cancel" gives up; "marketable" sends one
      marketable limit buy capped at last × (1 + ``max_slippage``) (0.005), cancelled if still unfilled.
      Without a last price for the symbol an unfilled entry is simply cancelled.

    Exits (a user must never be trapped):

    - ``exit_order`` (MARKET): MARKET means a *marketable limit* sell capped at
      reference × (1 − ``max_slippage``) rounded up (never sell cheaper); LIMIT rests at the reference
      price first. Either way an exit still open at the next ``manage`` is re-placed at the new last
      price capped the same way, every tick, until it fills: it is never abandoned.

    Stops:

    - ``stop_order`` (STOP_MARKET): the one order type the issue allows at market — a stop-out at the
      venue. STOP_LIMIT rests at stop × (1 − ``stop_limit_slippage``) (0.005) once triggered; one that
      triggered without filling (still open with the last price at/below its stop) is chased like an exit.
    - ``trailing_stop`` (None; fraction 0 < x < 0.5): each ``manage`` raises the stop to
      last × (1 − trail) rounded down when that is higher. A stop only ever tightens.
    - ``take_profit_r`` (None; > 0): a take-profit sell limit at entry + R × (entry − stop), paired
      one-cancels-other with the stop (see :mod:`bot.core.stops`).
    """

    entry_order: OrderType = OrderType.LIMIT
    exit_order: OrderType = OrderType.MARKET
    stop_order: OrderType = OrderType.STOP_MARKET
    entry_timeout: timedelta = timedelta(minutes=15)
    entry_offset: Decimal = Decimal(0)
    reprice_after: timedelta | None = None
    max_reprices: int = 2
    on_unfilled: OnUnfilled = "cancel"
    max_slippage: Decimal = Decimal("0.005")
    stop_limit_slippage: Decimal = Decimal("0.005")
    trailing_stop: Decimal | None = None
    take_profit_r: Decimal | None = None

    def __post_init__(self) -> None:
        _check(self.entry_order in (OrderType.LIMIT, OrderType.MARKET), "entry_order", self.entry_order,
               "limit or market")  # fmt: skip
        _check(self.exit_order in (OrderType.LIMIT, OrderType.MARKET), "exit_order", self.exit_order,
               "limit or market")  # fmt: skip
        _check(self.stop_order in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT), "stop_order",
               self.stop_order, "stop_market or stop_limit")  # fmt: skip
        _check(self.entry_timeout > timedelta(0), "entry_timeout", self.entry_timeout, "> 0")
        _check(self.reprice_after is None or self.reprice_after > timedelta(0), "reprice_after",
               self.reprice_after, "> 0 or None")  # fmt: skip
        _check(isinstance(self.max_reprices, int) and 0 <= self.max_reprices <= 20, "max_reprices",
               self.max_reprices, "a whole number 0..20")  # fmt: skip
        _check(self.on_unfilled in ("cancel", "marketable"), "on_unfilled", self.on_unfilled,
               "cancel or marketable")  # fmt: skip
        for name in ("entry_offset", "max_slippage", "stop_limit_slippage"):
            value = getattr(self, name)
            _check(isinstance(value, Decimal) and 0 <= value < Decimal("0.1"), name, value, "0 <= x < 0.1")
        trail = self.trailing_stop
        _check(trail is None or 0 < trail < Decimal("0.5"), "trailing_stop", trail, "0 < x < 0.5 or None")
        r = self.take_profit_r
        _check(r is None or 0 < r <= 100, "take_profit_r", r, "0 < x <= 100 or None")

    @property
    def reprice_age(self) -> timedelta:
        """How long an entry order may rest before it is repriced (or cancelled)."""
        return self.reprice_after if self.reprice_after is not None else self.entry_timeout

    # ----------------------------------------------------------------- when rules act (the one definition:
    # the engine acts by these, and a backtest's planner wakes by them, bot.core.wake_conditions)

    def due_at(self, order: Order) -> datetime | None:
        """When :meth:`bot.core.execution.OrderExecutor.manage` acts on a working ``order``: a placement
        of unknown outcome at once (it is looked up), an exit at any close after the one it was placed at
        (it is chased), an entry once it is :attr:`reprice_age` old (repriced or cancelled); ``None`` for
        the stop keeper's orders (stops, take-profits)."""
        if order.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN):
            return order.created_at
        if order.purpose is OrderPurpose.ENTRY:
            return order.created_at + self.reprice_age
        if order.purpose is OrderPurpose.EXIT:
            return order.created_at + _NEXT_CLOSE
        return None

    def trail_level(self, stop_price: Decimal) -> Decimal | None:
        """The last price a trailing stop at ``stop_price`` cannot move at or below: last × (1 − trail)
        must exceed the stop (None when trailing is off). :meth:`tightened_stop` then rounds to the tick."""
        if self.trailing_stop is None:
            return None
        return stop_price / (_ONE - self.trailing_stop)

    @staticmethod
    def chase_level(stop: Order) -> Decimal | None:
        """The last price at or below which a working stop-limit is taken as triggered without filling,
        and replaced by a chased exit (None: a stop-market fills by itself)."""
        return stop.stop_price if stop.order_type is OrderType.STOP_LIMIT else None

    def shape(self, intent: OrderIntent, rules: MarketRules) -> OrderIntent:
        """The intent as it will be sent: order type and limit price per this policy.

        Applied *before* the risk chain, so the guards judge the real order (a market entry is costed
        with slippage; a limit one at its price; an exit at its worst acceptable price).
        """
        if intent.kind is IntentKind.ENTRY:
            if self.entry_order is OrderType.MARKET:
                return replace(intent, order_type=OrderType.MARKET, limit_price=None)
            base = intent.limit_price if intent.limit_price is not None else intent.reference_price
            return replace(intent, order_type=OrderType.LIMIT, limit_price=self.entry_price(base, rules))
        if self.exit_order is OrderType.MARKET or intent.side is not Side.SELL:
            price = self.sell_cap(intent.reference_price, rules)
        else:
            base = intent.limit_price if intent.limit_price is not None else intent.reference_price
            price = rules.round_price_up(base)
        return replace(intent, order_type=OrderType.LIMIT, limit_price=price)

    # ----------------------------------------------------------------- prices

    def entry_price(self, reference: Decimal, rules: MarketRules) -> Decimal:
        """A resting entry buy: ``reference`` lowered by the offset, rounded down."""
        return rules.round_price_down(reference * (_ONE - self.entry_offset))

    def buy_cap(self, last: Decimal, rules: MarketRules) -> Decimal:
        """A marketable limit buy: never pays more than last × (1 + max_slippage)."""
        return rules.round_price_down(last * (_ONE + self.max_slippage))

    def sell_cap(self, last: Decimal, rules: MarketRules) -> Decimal:
        """A marketable limit sell: never sells below last × (1 − max_slippage)."""
        return rules.round_price_up(last * (_ONE - self.max_slippage))

    def stop_limit_price(self, stop: Decimal, rules: MarketRules) -> Decimal | None:
        """The limit of a stop order (None for a stop-market)."""
        if self.stop_order is not OrderType.STOP_LIMIT:
            return None
        return rules.round_price_down(stop * (_ONE - self.stop_limit_slippage))

    def tightened_stop(self, stop_price: Decimal, last: Decimal, rules: MarketRules) -> Decimal | None:
        """Where a trailing stop at ``stop_price`` moves at ``last``: last × (1 − trail) rounded down to
        the tick, if that is above it (a stop only ever tightens); None when it stays (or trailing is off)."""
        level = self.trail_level(stop_price)
        if level is None or self.trailing_stop is None or last <= level:
            return None
        candidate = rules.round_price_down(last * (_ONE - self.trailing_stop))
        return candidate if candidate > stop_price else None

    def take_profit_price(self, entry: Decimal, stop: Decimal, rules: MarketRules) -> Decimal | None:
        """entry + R × (entry − stop), rounded up (None when take-profit is off or the stop is not below)."""
        if self.take_profit_r is None or stop >= entry:
            return None
        return rules.round_price_up(entry + self.take_profit_r * (entry - stop))


def _check(ok: bool, name: str, value: object, allowed: str) -> None:
    if not ok:
        raise ValueError(f"ExecutionPolicy.{name}={value!r} is invalid: allowed {allowed}")
