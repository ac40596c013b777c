"""Positions and round-trip trades, derived from fills alone.

Both the engine (live state) and the report (read back from the audit DB) replay fills through
:class:`PositionBook`, so the two can never disagree. Cost basis is the average price; fees are
kept apart from gross P&L so the accounting identity stays visible:
``final equity = start + realized P&L + unrealized P&L - fees``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from bot.domain import Fill, Position, Side

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Trade:
    """A round trip: from flat to flat on one symbol."""

    symbol: str
    opened_at: datetime
    closed_at: datetime
    quantity: Decimal  # the largest size held during the round trip
    entry_price: Decimal  # average buy price
    exit_price: Decimal  # average sell price
    gross_pnl: Decimal
    fees: Decimal

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


class PositionBook:
    """Long-only spot positions per symbol, built by applying fills in order."""

    def __init__(self) -> None:
        self._positions: dict[str, Position] = {}
        self._trips: dict[str, _OpenTrip] = {}
        self.trades: list[Trade] = []
        self.realized_pnl = ZERO
        self.fees = ZERO

    def apply(self, fill: Fill) -> Trade | None:
        """Apply one fill; returns the trade it closed, if it closed one."""
        self.fees += fill.fee
        trip = self._trips.setdefault(fill.symbol, _OpenTrip(opened_at=fill.occurred_at))
        trip.fees += fill.fee
        position = self._positions.get(fill.symbol)
        if fill.side is Side.BUY:
            self._buy(fill, position, trip)
            return None
        return self._sell(fill, position, trip)

    def _buy(self, fill: Fill, position: Position | None, trip: _OpenTrip) -> None:
        trip.bought_qty += fill.quantity
        trip.bought_cost += fill.notional
        if position is None:
            position = Position(fill.symbol, fill.quantity, fill.price, fill.occurred_at, entry_fees=fill.fee)
        else:
            qty = position.quantity + fill.quantity
            avg = (position.average_price * position.quantity + fill.notional) / qty
            position = replace(
                position, quantity=qty, average_price=avg, entry_fees=position.entry_fees + fill.fee
            )
        trip.peak_qty = max(trip.peak_qty, position.quantity)
        self._positions[fill.symbol] = position

    def _sell(self, fill: Fill, position: Position | None, trip: _OpenTrip) -> Trade | None:
        if position is None or fill.quantity > position.quantity:
            held = position.quantity if position else ZERO
            raise ValueError(
                f"sell fill {fill.trade_id} of {fill.quantity} {fill.symbol} exceeds the position {held}: "
                "spot positions are long-only"
            )
        pnl = (fill.price - position.average_price) * fill.quantity
        self.realized_pnl += pnl
        trip.gross_pnl += pnl
        trip.sold_qty += fill.quantity
        trip.sold_value += fill.notional
        remaining = position.quantity - fill.quantity
        if remaining > 0:
            self._positions[fill.symbol] = replace(position, quantity=remaining)
            return None
        del self._positions[fill.symbol]
        del self._trips[fill.symbol]
        trade = Trade(
            symbol=fill.symbol,
            opened_at=trip.opened_at,
            closed_at=fill.occurred_at,
            quantity=trip.peak_qty,
            entry_price=trip.bought_cost / trip.bought_qty,
            exit_price=trip.sold_value / trip.sold_qty,
            gross_pnl=trip.gross_pnl,
            fees=trip.fees,
        )
        self.trades.append(trade)
        return trade

    def set_stop(self, symbol: str, stop_price: Decimal | None) -> None:
        position = self._positions.get(symbol)
        if position is not None:
            self._positions[symbol] = replace(position, stop_price=stop_price)

    def position(self, symbol: str) -> Position | None:
        return self._positions.get(symbol)

    def positions(self) -> dict[str, Position]:
        return dict(self._positions)

    @property
    def open_count(self) -> int:
        """How many positions are open."""
        return len(self._positions)

    def unrealized_pnl(self, prices: dict[str, Decimal]) -> Decimal:
        return sum((p.unrealized_pnl(prices[s]) for s, p in self._positions.items() if s in prices), ZERO)

    @classmethod
    def from_fills(cls, fills: Iterable[Fill]) -> PositionBook:
        book = cls()
        for fill in fills:
            book.apply(fill)
        return book
