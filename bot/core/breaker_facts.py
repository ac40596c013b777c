"""The facts the circuit breakers judge by, kept by the engine from equity marks and closed trades.

- Day-start equity is the first mark of each UTC day (equity with open positions at market), so a
  loss on open positions counts the moment it happens, not when the position is closed.
- Peak equity is the highest mark since the run began, or since a human resumed after a halt (a
  resume accepts the loss; without the reset the drawdown breaker would trip again at once).
- A closed round trip with a net loss extends the losing streak; a winning one resets it. A trade
  closed by its stop order starts that symbol's cooldown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.core.positions import Trade
from bot.domain import AccountState


@dataclass(slots=True)
class AccountTracker:
    day_start_equity: Decimal | None = None
    peak_equity: Decimal = Decimal(0)
    consecutive_losses: int = 0
    last_loss_at: datetime | None = None
    entries_today: int = 0
    last_stop_out: dict[str, datetime] = field(default_factory=dict)
    _day: object = None

    def mark(self, equity: Decimal, now: datetime) -> None:
        """Record the equity at ``now``; the first mark of a UTC day starts that day."""
        day = now.date()
        if day != self._day:
            self._day = day
            self.day_start_equity = equity
            self.entries_today = 0
        self.peak_equity = max(self.peak_equity, equity)

    def on_trade_closed(self, trade: Trade, *, stopped_out: bool) -> None:
        if trade.net_pnl < 0:
            self.consecutive_losses += 1
            self.last_loss_at = trade.closed_at
        else:
            self.consecutive_losses = 0
        if stopped_out:
            self.last_stop_out[trade.symbol] = trade.closed_at

    def on_entry_sent(self) -> None:
        self.entries_today += 1

    def reset_peak(self, equity: Decimal) -> None:
        """A human resumed after a halt: measure drawdown from here on."""
        self.peak_equity = equity
        self.day_start_equity = equity

    def state(self, equity: Decimal) -> AccountState:
        start = self.day_start_equity if self.day_start_equity is not None else equity
        return AccountState(
            day_start_equity=start,
            peak_equity=max(self.peak_equity, equity),
            consecutive_losses=self.consecutive_losses,
            last_loss_at=self.last_loss_at,
            entries_today=self.entries_today,
            last_stop_out=dict(self.last_stop_out),
        )
