"""Balances and positions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    free: Decimal
    locked: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class Position:
    """An open long spot position. ``stop_price`` is the protective stop working for it."""

    symbol: str
    quantity: Decimal
    average_price: Decimal
    opened_at: datetime
    stop_price: Decimal | None = None
    entry_fees: Decimal = Decimal(0)

    def market_value(self, price: Decimal) -> Decimal:
        return self.quantity * price

    def unrealized_pnl(self, price: Decimal) -> Decimal:
        return (price - self.average_price) * self.quantity


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    taken_at: datetime
    equity: Decimal
    cash: Decimal
    positions_value: Decimal
    peak_equity: Decimal

    @property
    def drawdown(self) -> Decimal:
        """Drawdown from peak as a fraction (0 at a new high)."""
        if self.peak_equity <= 0:
            return Decimal(0)
        return (self.peak_equity - self.equity) / self.peak_equity
