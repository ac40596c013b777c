"""One scenario on one portfolio: each holding's move, its loss with and without its stop, the breakers.

**The move** of a holding, against the quote currency, is the first that applies of:

1. ``moves[symbol]``, given in the scenario;
2. ``shock``: beta × shock, the beta of the holding to the reference estimated from the candles
   (:func:`bot.app.stress.candles.beta`); the reference itself moves by the shock. A portfolio valued
   in BTC does not move when BTC/USDT does, except through its pairs' betas to BTC/USDT;
3. ``move``: the same for every holding;
4. ``venue_down_hours`` alone: the holding's worst historical return over that many hours;
5. otherwise 0 (the scenario leaves it alone).

A scenario that needs what the candles cannot give (no reference candles, a holding without candles)
is **skipped**, with the reason, rather than guessed.

**The loss** of a holding of ``q`` at mark ``P`` moved to ``P' = P (1 + move)``:

- without stops: ``q (P - P')``, the holding marked at the shocked price;
- with stops, when ``P'`` is at or below the stop ``S``: the stop sells the quantity it covers at
  ``S (1 - s)`` and pays the taker fee on it; when the price gaps through the stops
  (``gap_through_stops``) or the venue is down while it moves (``venue_down_hours``), at
  ``P' (1 - s)``. Any quantity the stop does not cover, and a holding whose stop is not reached, loses
  ``q (P - P')`` as without stops. A stop-limit is treated as a stop-market (it is chased at the market
  once triggered). ``s`` = ``risk.slippage_allowance`` (the exit slippage the sizer budgets for) ÷
  ``depth_factor``: half the depth at every price level makes the same sale walk twice as far down
  the book.

**The breakers** judge the equity after the loss with stops, as the engine would at its next tick:
``daily_loss`` from the day's start equity, ``max_drawdown`` from the peak
(:func:`risk.breakers.loss_reached`, the breakers' own rule). A breach halts new entries from then
on; it does not undo the loss, which is why the figure and the limit are both reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.app.stress.candles import Closes, beta, worst_move
from bot.app.stress.portfolio import Holding, Portfolio
from bot.app.stress.scenarios import Scenario
from bot.domain.clock import ms_to_datetime
from risk.breakers import loss_fraction, loss_reached

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Move:
    fraction: float
    source: str  # how it was found: "given", "beta 1.12 x shock -20%", "worst 6h from ..."


@dataclass(frozen=True, slots=True)
class HoldingLoss:
    holding: Holding
    move: Move
    shocked_price: Decimal
    loss_without_stops: Decimal
    loss_with_stops: Decimal
    exit_price: Decimal | None  # where the stop sold, when it did
    stop_outcome: str  # "no stop", "not reached", "stopped", "gapped through"


@dataclass(frozen=True, slots=True)
class BreakerCheck:
    name: str  # "daily_loss" or "max_drawdown"
    figure: Decimal  # the loss from the day's start / the peak, a fraction
    limit: Decimal
    breached: bool


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    reference: str | None
    skipped: str | None  # why it could not be computed, else None
    holdings: tuple[HoldingLoss, ...] = ()
    loss_without_stops: Decimal = ZERO
    loss_with_stops: Decimal = ZERO
    equity: Decimal = ZERO
    breakers: tuple[BreakerCheck, ...] = ()

    def of_equity(self, amount: Decimal) -> float:
        return float(amount / self.equity) if self.equity > 0 else 0.0


class Unavailable(Exception):
    """The candles cannot give what the scenario needs (the message says what)."""


def move_of(symbol: str, scenario: Scenario, reference: str | None, closes: Mapping[str, Closes]) -> Move:
    if symbol in scenario.moves:
        return Move(scenario.moves[symbol], "given")
    if scenario.shock is not None and reference is not None:
        if symbol == reference:
            return Move(scenario.shock, "the reference")
        if reference not in closes:
            raise Unavailable(f"no candles for the reference {reference} (give its file with --data)")
        if symbol not in closes:
            raise Unavailable(f"no candles for {symbol} to estimate its beta to {reference}")
        b = beta(closes[symbol], closes[reference])
        if b is None:
            raise Unavailable(f"{symbol} and {reference} share too few candles for a beta")
        return Move(b * scenario.shock, f"beta {b:.3f} x shock {scenario.shock:+.0%}")
    if scenario.move is not None:
        return Move(scenario.move, "every holding")
    if scenario.venue_down_hours > 0:
        if symbol not in closes:
            raise Unavailable(
                f"no candles for {symbol} to find its worst {scenario.venue_down_hours:g}h move"
            )
        worst = worst_move(closes[symbol], scenario.venue_down_hours)
        if worst is None:
            raise Unavailable(f"{symbol}'s candles span less than {scenario.venue_down_hours:g}h")
        since = ms_to_datetime(worst.start_ms).strftime("%Y-%m-%d %H:%M")
        return Move(worst.move, f"worst {scenario.venue_down_hours:g}h, from {since} UTC")
    return Move(0.0, "not moved")


def holding_loss(holding: Holding, move: Move, scenario: Scenario, portfolio: Portfolio) -> HoldingLoss:
    price, quantity, stop = holding.price, holding.quantity, holding.stop
    shocked = max(ZERO, price * (1 + Decimal(repr(move.fraction))))
    without = quantity * (price - shocked)
    if stop is None or shocked > stop.price:
        return HoldingLoss(holding, move, shocked, without, without, None,
                           "no stop" if stop is None else "not reached")  # fmt: skip
    slippage = portfolio.slippage / Decimal(repr(scenario.depth_factor))
    covered = min(quantity, stop.quantity)
    sold_at = (stop.price if scenario.stops_can_act else shocked) * (1 - slippage)
    loss = covered * (price - sold_at) + covered * sold_at * portfolio.taker_fee
    loss += (quantity - covered) * (price - shocked)
    outcome = "stopped" if scenario.stops_can_act else "gapped through"
    return HoldingLoss(holding, move, shocked, without, loss, sold_at, outcome)


def breakers(portfolio: Portfolio, equity_after: Decimal) -> tuple[BreakerCheck, ...]:
    day, peak = portfolio.day_start_equity, portfolio.peak_equity
    return (
        BreakerCheck("daily_loss", loss_fraction(day, equity_after), portfolio.daily_loss_limit,
                     loss_reached(day, equity_after, portfolio.daily_loss_limit)),
        BreakerCheck("max_drawdown", loss_fraction(peak, equity_after), portfolio.max_drawdown,
                     loss_reached(peak, equity_after, portfolio.max_drawdown)),
    )  # fmt: skip


def stress(
    portfolio: Portfolio, scenario: Scenario, reference: str | None, closes: Mapping[str, Closes]
) -> ScenarioResult:
    """The scenario's losses on ``portfolio``; ``closes`` are the candles of the lookback."""
    try:
        moves = {h.symbol: move_of(h.symbol, scenario, reference, closes) for h in portfolio.holdings}
    except Unavailable as why:
        return ScenarioResult(scenario, reference, skipped=str(why), equity=portfolio.equity)
    losses = tuple(holding_loss(h, moves[h.symbol], scenario, portfolio) for h in portfolio.holdings)
    with_stops = sum((h.loss_with_stops for h in losses), ZERO)
    return ScenarioResult(
        scenario,
        reference,
        skipped=None,
        holdings=losses,
        loss_without_stops=sum((h.loss_without_stops for h in losses), ZERO),
        loss_with_stops=with_stops,
        equity=portfolio.equity,
        breakers=breakers(portfolio, portfolio.equity - with_stops),
    )
