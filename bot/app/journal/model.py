"""One round trip as the journal shows it, and the definitions of its figures.

- **Trade id** ``<run>-<n>``: the n-th round trip closed in run ``run`` (1, 2, ... in close order). The
  fills decide it, so it is the same in every report of that run, in every view.
- **Initial risk** (quote): what the round trip stood to lose at its stops, before fees: the sum over its
  buys of quantity × (fill price − the stop of the entry that bought it). The position sizer sizes on
  a worse case (the same distance plus taker fees both ways and the slippage allowance, see
  :func:`risk.sizing.worst_case_loss_per_unit`), so 1R is a little less than ``risk_per_trade`` of equity.
- **R multiple** = net P&L (fees included) / initial risk: a stop-out at exactly the stop shows a little
  below -1R, the difference being its fees. None when a buy has no known stop.
- **MAE / MFE** (fractions of the average entry price): how far the price went against the position and
  for it while it was open: (entry − lowest) / entry and (highest − entry) / entry, never below 0. Lowest
  and highest are taken over the candles recorded when it closed (:mod:`bot.core.excursions`) and the
  round trip's own fill prices. In quote: the same distance × the largest quantity held. None when the
  run recorded no range (a database from before the journal, or a venue that could not be read).
- **Holding time** = last fill − first fill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from bot.core.positions import Trade
from bot.domain.journal import ExitReason, TradeNote

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    trade_id: str
    trade: Trade
    strategy: str | None  # of the entry that opened it (None: an order the journal does not hold)
    entry_reason: str | None
    exit_reason: ExitReason
    exit_detail: str  # the strategy's reason for a signal; what kind of stop; whose flatten
    initial_risk: Decimal | None
    lowest: Decimal | None  # the lowest price while open (candles and fills); None: no range recorded
    highest: Decimal | None
    notes: tuple[TradeNote, ...] = field(default_factory=tuple)

    @property
    def r_multiple(self) -> Decimal | None:
        if self.initial_risk is None or self.initial_risk <= 0:
            return None
        return self.trade.net_pnl / self.initial_risk

    @property
    def mae(self) -> Decimal | None:
        """Maximum adverse excursion, a fraction of the entry price (0.02: it went 2 % against)."""
        if self.lowest is None:
            return None
        return max(ZERO, self.trade.entry_price - self.lowest) / self.trade.entry_price

    @property
    def mfe(self) -> Decimal | None:
        """Maximum favourable excursion, a fraction of the entry price."""
        if self.highest is None:
            return None
        return max(ZERO, self.highest - self.trade.entry_price) / self.trade.entry_price

    @property
    def mae_quote(self) -> Decimal | None:
        """The adverse excursion in quote: (entry − lowest) × the largest quantity held."""
        if self.lowest is None:
            return None
        return max(ZERO, self.trade.entry_price - self.lowest) * self.trade.quantity

    @property
    def mfe_quote(self) -> Decimal | None:
        if self.highest is None:
            return None
        return max(ZERO, self.highest - self.trade.entry_price) * self.trade.quantity

    @property
    def holding(self) -> timedelta:
        return self.trade.closed_at - self.trade.opened_at


def holding_text(held: timedelta) -> str:
    """``3d 04h``, ``2h 05m``, ``7m 30s``: the two largest units."""
    seconds = int(held.total_seconds())
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s"
