"""Positions from stored fills against the venue's balances, and trade cursors from stored fills. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from bot.core.positions import PositionBook
from bot.core.reconcile.report import MismatchKind, PositionMismatch
from bot.domain import Balance, Fill

ZERO = Decimal(0)


def base_asset(symbol: str) -> str:
    return symbol.split("/", 1)[0]


def stored_trade_cursors(fills: Iterable[Fill], venue: str) -> dict[str, int]:
    """The highest numeric trade id stored per symbol for ``venue``: where a broker's trade polling
    resumes after a restart (``CcxtBroker(trade_cursors=...)``)."""
    cursors: dict[str, int] = {}
    for fill in fills:
        if fill.venue == venue and fill.trade_id.isdigit():
            cursors[fill.symbol] = max(cursors.get(fill.symbol, -1), int(fill.trade_id))
    return cursors


def compare_holdings(
    fills: Iterable[Fill],
    balances: Mapping[str, Balance],
    *,
    venue: str,
    symbols: Iterable[str],
    step_for: Callable[[str], Decimal],
    yours: frozenset[str] = frozenset(),
) -> list[PositionMismatch]:
    """Mismatches between the base-asset holdings ``venue``'s fills give and the venue's totals.

    Each base asset of ``symbols`` (and of every symbol the fills hold something of) is compared: expected
    = what the fills leave in the account (buys net of fees taken in the coin, dust included); allowed
    difference = the largest lot step of its symbols. A balance for an asset the bot trades but holds
    nothing of counts as excess, except for the assets in ``yours`` (``exchange.leave_alone = "all"``:
    anything beyond the bot's holdings is the user's); a shortfall always counts.
    """
    ours = [f for f in fills if f.venue == venue]
    try:
        book = PositionBook.from_fills(ours)
    except ValueError as exc:
        return [_inconsistent(ours, str(exc))]
    held: dict[str, Decimal] = defaultdict(lambda: ZERO)
    symbols_of: dict[str, set[str]] = defaultdict(set)
    for symbol in symbols:
        symbols_of[base_asset(symbol)].add(symbol)
    for holding in book.holdings():
        held[base_asset(holding.symbol)] += holding.quantity
        symbols_of[base_asset(holding.symbol)].add(holding.symbol)
    mismatches: list[PositionMismatch] = []
    for asset in sorted(symbols_of):
        tolerance = max(step_for(s) for s in symbols_of[asset])
        expected = held[asset]
        balance = balances.get(asset)
        venue_qty = balance.total if balance is not None else ZERO
        if venue_qty < expected - tolerance:
            kind = MismatchKind.VENUE_SHORT
        elif venue_qty > expected + tolerance and asset not in yours:
            kind = MismatchKind.VENUE_EXCESS
        else:
            continue
        mismatches.append(
            PositionMismatch(
                asset=asset,
                symbols=tuple(sorted(symbols_of[asset])),
                kind=kind,
                bot_quantity=held[asset],
                expected=expected,
                venue_quantity=venue_qty,
                tolerance=tolerance,
            )
        )
    return mismatches


def _inconsistent(fills: list[Fill], detail: str) -> PositionMismatch:
    symbols = tuple(sorted({f.symbol for f in fills}))
    return PositionMismatch(
        asset="*",
        symbols=symbols,
        kind=MismatchKind.FILLS_INCONSISTENT,
        bot_quantity=ZERO,
        expected=ZERO,
        venue_quantity=ZERO,
        tolerance=ZERO,
        detail=detail,
    )
