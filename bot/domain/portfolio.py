"""Balances and positions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    """An open long spot position. ``stop_price`` is the protective stop working for it.

    ``cost_basis`` is what the units held cost in the quote currency (``None``: quantity x average
    price); kept as a running total so that realized plus unrealized P&L add up exactly, where an
    average price would carry rounding.
    """

    symbol: str
    quantity: Decimal
    average_price: Decimal
    opened_at: datetime
    stop_price: Decimal | None = None
    entry_fees: Decimal = Decimal(0)
    cost_basis: Decimal | None = None

    @property
    def cost(self) -> Decimal:
        return self.cost_basis if self.cost_basis is not None else self.quantity * self.average_price

    def market_value(self, price: Decimal) -> Decimal:
        return self.quantity * price

    def unrealized_pnl(self, price: Decimal) -> Decimal:
        return self.quantity * price - self.cost


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """Equity at a moment: cash plus holdings valued at ``marks`` (the price of each symbol held)."""

    taken_at: datetime
    equity: Decimal
    cash: Decimal
    positions_value: Decimal
    peak_equity: Decimal
    marks: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def drawdown(self) -> Decimal:
        """Drawdown from peak as a fraction (0 at a new high)."""
        if self.peak_equity <= 0:
            return Decimal(0)
        return (self.peak_equity - self.equity) / self.peak_equity


# What a trading bot's API key should not be able to do: move money out, or trade on borrowed money.
RISKY_KEY_PERMISSIONS = ("withdrawals", "margin", "futures", "transfers", "options", "portfolio_margin")


@dataclass(frozen=True, slots=True)
class KeyPermissions:
    """What the venue says the API key may do; ``risky``: which of :data:`RISKY_KEY_PERMISSIONS` it has."""

    spot_trading: bool
    ip_restricted: bool
    risky: frozenset[str] = frozenset()
