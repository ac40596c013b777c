"""Positions and round-trip trades, derived from fills alone.

Both the engine (live state) and the report (read back from the audit DB) replay fills through
:class:`PositionBook`, so the two can never disagree. The rules (DESIGN invariant 11: what the account
really holds):

- A position is what the account holds: a buy adds its quantity less any fee taken in the coin
  (Binance takes a buy's fee from the base bought), a sell removes its quantity.
- Cost basis is what the units held cost at their fill prices (a running total: a sale removes its
  share, a close removes the rest, so realized and unrealized P&L add up exactly); the average price is
  that cost per unit. Every fee is valued in the quote currency at its fill price and kept apart from
  gross P&L, so the accounting identity stays visible:
  ``final equity = start + realized P&L + unrealized P&L - fees``.
- Dust: with ``lot_step`` known, a sell that leaves less than one lot step (the venue cannot sell it)
  closes the round trip; the remainder is kept as *dust*, valued like a position, never traded on its own,
  and folded into the next position on that symbol.
- Fills are replayed in the venue's time order, then trade id (:func:`in_venue_order`), whatever order
  they were stored in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from bot.domain import Fill, Position, Side

ZERO = Decimal(0)
# A sale's share of the cost basis is rounded here, once, so that what stays in the basis and what is
# realized add up to the cost exactly (an unrounded share would carry 28 digits and drift).
_COST_QUANTUM = Decimal("1E-12")


@dataclass(frozen=True, slots=True)
class Trade:
    """A round trip: from flat (or dust) to flat (or dust) on one symbol."""

    symbol: str
    opened_at: datetime
    closed_at: datetime
    quantity: Decimal  # the largest quantity held during the round trip
    entry_price: Decimal  # average buy price
    exit_price: Decimal  # average sell price
    gross_pnl: Decimal
    fees: Decimal  # in the quote currency

    @property
    def net_pnl(self) -> Decimal:
        return self.gross_pnl - self.fees


@dataclass(slots=True)
class _OpenTrip:
    opened_at: datetime
    bought_qty: Decimal = ZERO
    bought_cost: Decimal = ZERO
    sold_qty: Decimal = ZERO
    sold_value: Decimal = ZERO
    gross_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    peak_qty: Decimal = ZERO


def in_venue_order(fills: Iterable[Fill]) -> list[Fill]:
    """``fills`` in the order they happened at the venue: by time, then by numeric trade id (a venue's ids
    grow); ids that are not numbers (paper fills) keep the order they were given in."""

    def key(fill: Fill) -> tuple[datetime, int]:
        return fill.occurred_at, int(fill.trade_id) if fill.trade_id.isdigit() else -1

    return sorted(fills, key=key)


class PositionBook:
    """Long-only spot positions per symbol, built by applying fills in order.

    ``lot_step(symbol)`` is the venue's amount increment: what is left below it after a sell is dust.
    Without it only an exactly flat position closes a round trip.

    ``keep_trades``: keep every closed round trip in :attr:`trades` (reports); a running engine only
    counts them (:attr:`trade_count`): its memory must not grow with every trade.

    A sell of more than the position is an error (spot is long-only). ``lenient``: it sells what there is
    and the excess is noted in :attr:`inconsistencies` instead; for a daemon that must start (HALTED) on a
    history it cannot explain, e.g. after two daemons traded one account.
    """

    def __init__(
        self,
        lot_step: Callable[[str], Decimal] | None = None,
        *,
        lenient: bool = False,
        keep_trades: bool = True,
    ) -> None:
        self._lot_step = lot_step
        self._lenient = lenient
        self._keep_trades = keep_trades
        self.inconsistencies: list[str] = []
        self._positions: dict[str, Position] = {}
        self._dust: dict[str, Position] = {}
        self._trips: dict[str, _OpenTrip] = {}
        self.trades: list[Trade] = []  # the round trips closed, oldest first (only with keep_trades)
        self.trade_count = 0  # round trips closed (always)
        self.realized_pnl = ZERO
        self.fees = ZERO  # every fee, valued in the quote currency

    def apply(self, fill: Fill) -> Trade | None:
        """Apply one fill; returns the trade it closed, if it closed one."""
        fee = fill.fee_in_quote
        self.fees += fee
        trip = self._trips.setdefault(fill.symbol, _OpenTrip(opened_at=fill.occurred_at))
        trip.fees += fee
        position = self._positions.get(fill.symbol)
        if fill.side is Side.BUY:
            self._buy(fill, position, trip)
            return None
        return self._sell(fill, position, trip)

    def _buy(self, fill: Fill, position: Position | None, trip: _OpenTrip) -> None:
        held = fill.held_change
        if held <= 0:
            raise ValueError(
                f"buy fill {fill.trade_id} of {fill.quantity} {fill.symbol} leaves nothing after its fee"
            )
        trip.bought_qty += fill.quantity
        trip.bought_cost += fill.notional
        if position is None:
            carried = self._dust.pop(fill.symbol, None)
            position = Position(fill.symbol, ZERO, fill.price, fill.occurred_at, cost_basis=ZERO)
            if carried is not None:
                position = replace(position, quantity=carried.quantity, cost_basis=carried.cost)
        quantity = position.quantity + held
        cost = position.cost + fill.price * held  # a fee taken in the coin is a fee, not a cost of units held
        position = replace(
            position, quantity=quantity, average_price=cost / quantity, cost_basis=cost,
            entry_fees=position.entry_fees + fill.fee_in_quote,
        )  # fmt: skip
        trip.peak_qty = max(trip.peak_qty, position.quantity)
        self._positions[fill.symbol] = position

    def _sell(self, fill: Fill, position: Position | None, trip: _OpenTrip) -> Trade | None:
        removed = -fill.held_change  # the quantity sold, and a fee taken in the coin if any
        if position is None or removed > position.quantity:
            held = position.quantity if position else ZERO
            problem = f"sell fill {fill.trade_id} of {removed} {fill.symbol} exceeds the position {held}"
            if not self._lenient:
                raise ValueError(f"{problem}: spot positions are long-only")
            self.inconsistencies.append(problem)
            if position is None:
                self._trips.pop(fill.symbol, None)
                return None
            removed = position.quantity
        remaining = position.quantity - removed
        closed = remaining == 0 or self.is_dust(fill.symbol, remaining)
        cost_removed = (
            (position.cost * removed / position.quantity).quantize(_COST_QUANTUM)
            if remaining
            else position.cost
        )
        pnl = fill.price * removed - cost_removed
        self.realized_pnl += pnl
        trip.gross_pnl += pnl
        trip.sold_qty += fill.quantity
        trip.sold_value += fill.notional
        left = replace(position, quantity=remaining, cost_basis=position.cost - cost_removed)
        if not closed:
            self._positions[fill.symbol] = left
            return None
        del self._positions[fill.symbol]
        del self._trips[fill.symbol]
        if remaining > 0:
            self._dust[fill.symbol] = replace(left, stop_price=None, entry_fees=ZERO)
        trade = Trade(
            symbol=fill.symbol,
            opened_at=trip.opened_at,
            closed_at=fill.occurred_at,
            quantity=trip.peak_qty,
            entry_price=trip.bought_cost / trip.bought_qty if trip.bought_qty else position.average_price,
            exit_price=trip.sold_value / trip.sold_qty,
            gross_pnl=trip.gross_pnl,
            fees=trip.fees,
        )
        self.trade_count += 1
        if self._keep_trades:
            self.trades.append(trade)
        return trade

    def is_dust(self, symbol: str, quantity: Decimal) -> bool:
        """Less than one lot step of ``symbol``: the venue would refuse to sell it."""
        return self._lot_step is not None and 0 < quantity < self._lot_step(symbol)

    def set_stop(self, symbol: str, stop_price: Decimal | None) -> None:
        position = self._positions.get(symbol)
        if position is not None:
            self._positions[symbol] = replace(position, stop_price=stop_price)

    def position(self, symbol: str) -> Position | None:
        return self._positions.get(symbol)

    def positions(self) -> dict[str, Position]:
        """The open positions (dust left below the lot step is not a position: see :meth:`dust`)."""
        return dict(self._positions)

    def dust(self) -> dict[str, Position]:
        """What is left below the lot step after a position was closed, per symbol (held, not traded)."""
        return dict(self._dust)

    def holdings(self) -> list[Position]:
        """Everything the book holds, positions and dust: what equity values at market."""
        return [*self._positions.values(), *self._dust.values()]

    def held(self, symbol: str) -> Decimal:
        """The base quantity held on ``symbol``: its position and its dust."""
        return sum((p.quantity for p in (self._positions.get(symbol), self._dust.get(symbol)) if p), ZERO)

    @property
    def open_count(self) -> int:
        """How many positions are open."""
        return len(self._positions)

    def unrealized_pnl(self, prices: dict[str, Decimal]) -> Decimal:
        """Open P&L of positions and dust at ``prices`` (holdings without a price count zero)."""
        return sum((p.unrealized_pnl(prices[p.symbol]) for p in self.holdings() if p.symbol in prices), ZERO)

    @classmethod
    def from_fills(
        cls,
        fills: Iterable[Fill],
        lot_step: Callable[[str], Decimal] | None = None,
        *,
        lenient: bool = False,
        keep_trades: bool = True,
    ) -> PositionBook:
        """A book with ``fills`` applied in venue order (:func:`in_venue_order`)."""
        book = cls(lot_step, lenient=lenient, keep_trades=keep_trades)
        for fill in in_venue_order(fills):
            book.apply(fill)
        return book
