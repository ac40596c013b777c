"""When nothing can happen: the conditions under which the engine's next ticks would do nothing.

A tick acts only if a strategy decides, an order fills or triggers, a timer is due, a stop would be
trailed or chased, or a breaker would change the trading state. A backtest asks the engine, after each
tick, for a :class:`QuietWatch`: what is due at the very next close, the earliest timer, the price levels
that would make stop maintenance act, and the equity levels that would move a breaker. Until one of
them is reached (and no strategy or resting order needs the candle) every tick would be a no-op, so the
backtest skips them (``bot.app.backtest.events``), having folded in their one effect: equity marks.

Each condition is defined once, where the engine acts by it, and only turned into a wake here: when
an order is due (:meth:`~bot.core.execution_policy.ExecutionPolicy.due_at`), the price a trailing stop
cannot move at or below (``trail_level``), the price a stop-limit is chased at (``chase_level``), a
breaker's equity level (:func:`risk.breakers.loss_floor`, also applied to running peaks in array form
by the planner). Which of them applies in which state still follows
:meth:`bot.core.execution.OrderExecutor.manage`, :meth:`bot.core.stops.StopKeeper.maintain` and
:func:`risk.trading_state.next_status`. Levels are floats, loosened by :data:`MARGIN` so that a level
a float cannot tell apart still wakes the engine (an extra tick costs time, never correctness). The
parity tests compare the every-close daemon with the skipping backtest, and shadow mode
(``bot.app.backtest.event_replay``) checks every skipped close against the engine itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.core.execution_policy import ExecutionPolicy
from bot.core.stops import WORKING, ClientStop
from bot.domain import Order, OrderPurpose, Position, TradingState, TradingStatus
from bot.domain.clock import datetime_to_ms
from risk.breakers import loss_floor
from risk.limits import RiskLimits
from risk.trading_state import DAILY_LOSS

MARGIN = 1e-9  # relative: levels are widened by this much towards waking up


@dataclass(frozen=True, slots=True)
class PriceWatch:
    """Wake at the first close of ``symbol`` at or below ``at_or_below``, or at or above ``at_or_above``."""

    symbol: str
    at_or_below: float | None = None
    at_or_above: float | None = None


@dataclass(frozen=True, slots=True)
class EquityWatch:
    """Breaker levels on equity (open positions at market) while nothing trades.

    Wake when equity <= its running peak × (1 − ``drawdown``), <= ``floor`` or >= ``ceiling``;
    ``None`` disables a level. ``peak`` is the peak so far.
    """

    peak: Decimal
    drawdown: float | None = None
    floor: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True, slots=True)
class QuietWatch:
    next_close: bool  # something is due at the very next close: tick it
    due_ms: int | None  # the earliest timer (an entry's reprice age), ms
    prices: tuple[PriceWatch, ...]
    equity: EquityWatch
    cash: Decimal  # quote balance, free + locked: constant while nothing fills
    holdings: Mapping[str, Decimal] = field(default_factory=dict)  # position quantity per symbol
    snapshot_peak: Decimal = Decimal(0)  # the highest equity recorded so far (for drawdowns)
    deepest: float = 0.0  # the deepest fall from the running peak recorded so far, a fraction


@dataclass(frozen=True, slots=True)
class QuietMark:
    """Equity at a skipped close, as the engine would have marked it there."""

    at_ms: int
    equity: Decimal
    cash: Decimal
    positions_value: Decimal


def order_watch(open_orders: Iterable[Order], due_at: Callable[[Order], datetime | None]) -> int | None:
    """``OrderExecutor.manage`` acts on an order at its ``due_at`` (:meth:`ExecutionPolicy.due_at`, the
    same definition): the earliest due moment (ms; one already past wakes the next close)."""
    moments = [datetime_to_ms(at) for order in open_orders if (at := due_at(order)) is not None]
    return min(moments, default=None)


def stop_watch(
    positions: Mapping[str, Position],
    working: Mapping[tuple[str, OrderPurpose], Order],
    client_stops: Mapping[str, ClientStop],
    policy: ExecutionPolicy,
) -> tuple[bool, list[PriceWatch]]:
    """``StopKeeper.maintain``, per open position: a missing stop is re-armed on the next tick; a
    stop-limit (or a client-side stop) acts once the last price is at or below its stop; a trailing stop
    moves once last × (1 − trail) rises above it. ``working``: the working order per (symbol, purpose)."""
    next_close = False
    watches: list[PriceWatch] = []
    for symbol in positions:
        if (symbol, OrderPurpose.EXIT) in working:
            continue  # the exit is chased every tick (order_watch)
        stop = working.get((symbol, OrderPurpose.STOP))
        client = client_stops.get(symbol)
        if stop is None and client is not None:
            level = client.stop_price
            watches.append(PriceWatch(symbol, _below(level), _trail_level(level, policy)))
        elif stop is None:
            next_close = True
        elif stop.stop_price is not None and stop.status in WORKING:
            chase = policy.chase_level(stop)
            below = None if chase is None else _below(chase)
            watches.append(PriceWatch(symbol, below, _trail_level(stop.stop_price, policy)))
    return next_close, watches


def breaker_watch(status: TradingStatus, peak: Decimal, day_start: Decimal | None, now: datetime,
                  limits: RiskLimits) -> EquityWatch:  # fmt: skip
    """``next_status``: HALTED never moves by itself; otherwise a drawdown from the peak halts, a daily
    loss from the day's start reduces an ACTIVE bot, and a daily-loss REDUCING from an earlier day lifts
    once the loss is no longer at the limit."""
    if status.state is TradingState.HALTED:
        return EquityWatch(peak)
    drawdown = float(limits.max_drawdown)
    limit_level = None
    if day_start is not None and day_start > 0:
        limit_level = float(loss_floor(day_start, limits.daily_loss_limit))
    if status.state is TradingState.ACTIVE:
        floor = None if limit_level is None else limit_level * (1 + MARGIN)
        return EquityWatch(peak, drawdown, floor=floor)
    later_day = now.date() > status.since.date()
    if status.reason == DAILY_LOSS and later_day and limit_level is not None:
        return EquityWatch(peak, drawdown, ceiling=limit_level * (1 - MARGIN))
    return EquityWatch(peak, drawdown)


def _below(level: Decimal) -> float:
    return float(level) * (1 + MARGIN)


def _trail_level(stop: Decimal, policy: ExecutionPolicy) -> float | None:
    """The last price above which ``policy.tightened_stop`` could move ``stop`` (None: no trailing)."""
    level = policy.trail_level(stop)
    return None if level is None else float(level) * (1 - MARGIN)
