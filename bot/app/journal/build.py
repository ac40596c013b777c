"""The journal of a run, built at report time from the audit DB: the round trips the report shows, each
with the orders and intents behind its fills, its recorded price range and its notes.

Reasons come from the intents (what the strategy said when it asked), the exit reason from the order
that sold the last units:

- a stop order → ``stop``; ``trailing_stop`` when that stop sat above every stop its entries were given
  (it had been trailed: ``execution.trailing_stop``);
- a take-profit order → ``take_profit``;
- an exit order sent for a strategy's exit intent → ``signal`` (detail: the strategy's reason); for the
  kill switch's intent (strategy ``kill_switch``, reason ``flatten``) → ``flatten``;
- an exit order the bot sent under the *entry's* intent is a stop it executed itself (a stop-limit that
  triggered without filling and was chased, a stop watched client-side where the venue has no stop
  orders, or a stop the venue refused) → ``stop``, or ``trailing_stop`` when the newest stop order
  placed for it had been trailed (a stop watched client-side trails in memory only: it shows ``stop``);
- an order the journal does not hold → ``unknown``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.adapters.audit.journal import OrderOrigin, SqlTradeJournal
from bot.app.journal.model import ZERO, JournalEntry
from bot.core.positions import PositionBook, Trade, in_venue_order
from bot.core.run_books import lot_steps
from bot.domain import Fill, IntentKind, OrderPurpose, Side
from bot.domain.journal import ExitReason, PriceExcursion, TradeNote
from bot.domain.records import RunRecord

KILL_SWITCH = "kill_switch"  # the strategy name of the kill switch's flatten intents (bot.core)


@dataclass(frozen=True, slots=True)
class RoundTrip:
    trade_id: str
    trade: Trade
    fills: tuple[Fill, ...]  # in venue order; the last one closed it


def round_trips(run: RunRecord, carried: Sequence[Fill], fills: Sequence[Fill]) -> list[RoundTrip]:
    """The round trips ``run`` closed, with their fills, replayed exactly as the report replays them
    (:func:`bot.core.run_books.run_books`): ``carried`` are the fills of the bot's earlier runs."""
    book = PositionBook(lot_steps(run))
    trips: dict[str, list[Fill]] = defaultdict(list)
    closed: list[RoundTrip] = []
    for fill in in_venue_order(carried):
        trips[fill.symbol].append(fill)
        if book.apply(fill) is not None:
            trips.pop(fill.symbol)
    for fill in in_venue_order(fills):
        trips[fill.symbol].append(fill)
        trade = book.apply(fill)
        if trade is not None:
            closed.append(RoundTrip(f"{run.id}-{len(closed) + 1}", trade, tuple(trips.pop(fill.symbol))))
    return closed


def build_journal(
    journal: SqlTradeJournal, run: RunRecord, carried: Sequence[Fill], fills: Sequence[Fill]
) -> list[JournalEntry]:
    """The journal entries of ``run``'s round trips, oldest close first."""
    trips = round_trips(run, carried, fills)
    if not trips:
        return []
    origins = journal.order_origins({fill.client_order_id for trip in trips for fill in trip.fills})
    chased = {
        origin.intent_id
        for trip in trips
        if (origin := origins.get(trip.fills[-1].client_order_id)) is not None
        and origin.purpose is OrderPurpose.EXIT and origin.intent_kind is IntentKind.ENTRY
    }  # fmt: skip
    newest_stops = journal.newest_stops(chased) if chased else {}
    with_tables = journal.has_tables()
    ranges = _ranges(journal.excursions(run.id)) if with_tables else {}
    notes: dict[str, list[TradeNote]] = defaultdict(list)
    for note in journal.notes(run.id) if with_tables else []:
        notes[note.trade_id].append(note)
    return [
        _entry(trip, origins, newest_stops, ranges, tuple(notes.get(trip.trade_id, ()))) for trip in trips
    ]


def _ranges(excursions: Iterable[PriceExcursion]) -> dict[tuple[str, object, object], PriceExcursion]:
    return {(e.symbol, e.opened_at, e.closed_at): e for e in excursions}


def _entry(
    trip: RoundTrip,
    origins: dict[str, OrderOrigin],
    newest_stops: dict[str, Decimal],
    ranges: dict[tuple[str, object, object], PriceExcursion],
    notes: tuple[TradeNote, ...],
) -> JournalEntry:
    trade = trip.trade
    buys = [fill for fill in trip.fills if fill.side is Side.BUY]
    opening = origins.get(buys[0].client_order_id) if buys else None
    entry_stops = [origins[b.client_order_id].intent_stop if b.client_order_id in origins else None
                   for b in buys]  # fmt: skip
    reason, detail = exit_reason(origins.get(trip.fills[-1].client_order_id), entry_stops, newest_stops)
    excursion = ranges.get((trade.symbol, trade.opened_at, trade.closed_at))
    prices = [fill.price for fill in trip.fills]
    lowest = highest = None
    if excursion is not None:
        lowest = min(p for p in (*prices, excursion.lowest) if p is not None)
        highest = max(p for p in (*prices, excursion.highest) if p is not None)
    return JournalEntry(
        trade_id=trip.trade_id,
        trade=trade,
        strategy=opening.strategy if opening else None,
        entry_reason=opening.reason if opening else None,
        exit_reason=reason,
        exit_detail=detail,
        initial_risk=initial_risk(buys, entry_stops),
        lowest=lowest,
        highest=highest,
        notes=notes,
    )


def initial_risk(buys: Sequence[Fill], stops: Sequence[Decimal | None]) -> Decimal | None:
    """Σ quantity × (fill price − its entry's stop) over the buys; None if a buy's stop is unknown."""
    if not buys or any(stop is None for stop in stops):
        return None
    return sum((b.quantity * (b.price - stop) for b, stop in zip(buys, stops, strict=True) if stop), ZERO)


def exit_reason(
    closing: OrderOrigin | None, entry_stops: Sequence[Decimal | None], newest_stops: dict[str, Decimal]
) -> tuple[ExitReason, str]:
    """Why the round trip closed, and a detail, from the order that sold its last units (module docs)."""
    if closing is None:
        return ExitReason.UNKNOWN, "the closing order is not in the audit DB"
    given = max((stop for stop in entry_stops if stop is not None), default=None)

    def stop_kind(stop_price: Decimal | None, how: str) -> tuple[ExitReason, str]:
        if stop_price is not None and given is not None and stop_price > given:
            return ExitReason.TRAILING_STOP, f"{how} at {stop_price:f} (trailed from {given:f})"
        at = f" at {stop_price:f}" if stop_price is not None else ""
        return ExitReason.STOP, f"{how}{at}"

    if closing.purpose is OrderPurpose.STOP:
        return stop_kind(closing.stop_price, "stop order")
    if closing.purpose is OrderPurpose.TAKE_PROFIT:
        return ExitReason.TAKE_PROFIT, "take-profit limit"
    if closing.purpose is OrderPurpose.ENTRY or closing.intent_kind is None:
        return ExitReason.UNKNOWN, f"closed by order {closing.client_order_id}"
    if closing.intent_kind is IntentKind.ENTRY:  # the bot executed the entry's stop itself
        return stop_kind(newest_stops.get(closing.intent_id), "stop executed by the bot")
    if closing.strategy == KILL_SWITCH:
        return ExitReason.FLATTEN, closing.reason or "flatten"
    return ExitReason.SIGNAL, closing.reason or ""
