"""The books of one run, from its records alone: what it started with, what it did, what it ended with.

- A bot on a real venue (live, or paper on a venue's data) is one life across restarts: a run starts
  with the positions its earlier runs left (:func:`earlier_runs`) and with the balances recorded when it
  started (``runs.start_balances``: the venue's, for a live run). Offline simulations start fresh.
- Holdings are valued at the last marks known: the newest equity snapshot's, or the price of a fill
  after it (a run killed between two snapshots). Nothing is read from a stale total.
- The accounting identity holds by construction of the numbers, and is tested:
  ``final = start + realized + (unrealized - starting unrealized) - fees``; the starting unrealized P&L
  is that of the positions carried in (zero for a run that starts flat).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.positions import PositionBook, Trade, in_venue_order
from bot.domain import EquitySnapshot, Fill, Position, Side
from bot.domain.records import RunRecord

ZERO = Decimal(0)
OFFLINE_VENUE = "paper"  # the venue of a simulated market (see ``Settings.venue``)
BACKTEST = "backtest"


def earlier_runs(runs: Iterable[RunRecord], run: RunRecord) -> tuple[int, ...]:
    """The runs before ``run`` in the same bot's life: same bot name, same real venue, not backtests.

    On an offline market every run is a separate simulation, so there are none.
    """
    if run.venue == OFFLINE_VENUE or run.kind == BACKTEST:
        return ()
    return tuple(
        sorted(
            r.id
            for r in runs
            if r.id < run.id and r.venue == run.venue and r.bot_name == run.bot_name and r.kind != BACKTEST
        )
    )


def balances_from_fills(starting: Mapping[str, Decimal], fills: Iterable[Fill]) -> dict[str, Decimal]:
    """Starting balances moved by every fill (a fee comes out of the currency it was taken in)."""
    balances: dict[str, Decimal] = defaultdict(lambda: ZERO, starting)
    for fill in fills:
        sign = 1 if fill.side is Side.BUY else -1
        balances[fill.base] += sign * fill.quantity
        balances[fill.quote] -= sign * fill.notional
        balances[fill.fee_currency] -= fill.fee
    return dict(balances)


def lot_steps(run: RunRecord) -> Callable[[str], Decimal] | None:
    """Each symbol's lot step as the run recorded it (None for runs recorded before it was kept)."""
    steps = {symbol: Decimal(str(rules["step_size"])) for symbol, rules in (run.markets or {}).items()}
    if not steps:
        return None
    return lambda symbol: steps.get(symbol, ZERO)


def quote_currency(run: RunRecord) -> str:
    bot = run.config.get("bot", {}) if isinstance(run.config, dict) else {}
    quote = bot.get("quote_currency") if isinstance(bot, dict) else None
    return quote if isinstance(quote, str) else "USDT"


def start_balances(run: RunRecord) -> dict[str, Decimal]:
    """What the run started with: the balances recorded at its start (a live run: the venue's), else the
    configured paper balances."""
    recorded = run.start_balances
    if recorded is None:
        bot = run.config.get("bot", {}) if isinstance(run.config, dict) else {}
        recorded = bot.get("starting_balances", {}) if isinstance(bot, dict) else {}
    return {str(k): Decimal(str(v)) for k, v in (recorded or {}).items()}


@dataclass(frozen=True, slots=True)
class RunBooks:
    trades: list[Trade]  # round trips closed in this run
    carried_positions: dict[str, Position]  # positions the run started with (earlier runs of the bot)
    open_positions: dict[str, Position]
    dust: dict[str, Decimal]  # symbol -> quantity held below the lot step
    realized_pnl: Decimal
    unrealized_pnl: Decimal  # of what is held at the end, at the last marks
    starting_unrealized_pnl: Decimal  # of the carried positions, at the first marks
    fees: Decimal  # in the quote currency
    starting_equity: Decimal
    final_equity: Decimal
    balances: dict[str, Decimal]  # start balances moved by this run's fills


def run_books(
    run: RunRecord, carried: Sequence[Fill], fills: Sequence[Fill], snapshots: Sequence[EquitySnapshot]
) -> RunBooks:
    """The books of ``run``: ``carried`` are the fills of its earlier runs, ``fills`` its own."""
    book = PositionBook.from_fills(carried, lot_steps(run))
    carried_positions, carried_holdings = book.positions(), book.holdings()
    realized_before, fees_before, trades_before = book.realized_pnl, book.fees, len(book.trades)
    for fill in in_venue_order(fills):
        book.apply(fill)
    quote = quote_currency(run)
    starting = start_balances(run)
    balances = balances_from_fills(starting, fills)
    known = {fill.symbol: fill.price for fill in in_venue_order(carried)}  # before any snapshot of the run
    start_marks = {**known, **(snapshots[0].marks if snapshots else {})}
    end_marks = last_marks(snapshots, fills, known)
    starting_value, starting_unrealized = _valued(carried_holdings, start_marks)
    final_value, unrealized = _valued(book.holdings(), end_marks)
    return RunBooks(
        trades=book.trades[trades_before:],
        carried_positions=carried_positions,
        open_positions=book.positions(),
        dust={symbol: lot.quantity for symbol, lot in book.dust().items()},
        realized_pnl=book.realized_pnl - realized_before,
        unrealized_pnl=unrealized,
        starting_unrealized_pnl=starting_unrealized,
        fees=book.fees - fees_before,
        starting_equity=starting.get(quote, ZERO) + starting_value,
        final_equity=balances.get(quote, ZERO) + final_value,
        balances=balances,
    )


def last_marks(
    snapshots: Sequence[EquitySnapshot], fills: Sequence[Fill], known: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """The newest price known per symbol: the last snapshot's marks, or the price of a fill after it
    (or of any fill, for a symbol the snapshot did not value); ``known`` for the others."""
    last = snapshots[-1] if snapshots else None
    valued = dict(last.marks) if last is not None else {}
    marks = {**known, **valued}
    for fill in in_venue_order(fills):
        if last is None or fill.occurred_at > last.taken_at or fill.symbol not in valued:
            marks[fill.symbol] = fill.price
    return marks


def _valued(holdings: Iterable[Position], marks: Mapping[str, Decimal]) -> tuple[Decimal, Decimal]:
    """(market value, unrealized P&L) of ``holdings`` at ``marks`` (a holding without a mark: its cost)."""
    value = unrealized = ZERO
    for holding in holdings:
        price = marks.get(holding.symbol, holding.average_price)
        value += holding.market_value(price)
        unrealized += holding.unrealized_pnl(price)
    return value, unrealized
