"""Every configurable risk limit in one frozen value: what ``[risk]`` in the config becomes.

The settings layer validates user input and builds this; the chain factory reads only this. Values are
checked again here (ValueError naming the field, the value and what is allowed) so the pure core can
never run with limits the README says are impossible, e.g. more than 2 % risk per trade or leverage
above 1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal

MAX_RISK_PER_TRADE = Decimal("0.02")


@dataclass(frozen=True, slots=True)
class RiskLimits:
    # --- sizing and stops
    risk_per_trade: Decimal = Decimal("0.01")  # fraction of equity a stop-out may lose, (0, 0.02]
    slippage_allowance: Decimal = Decimal("0.001")  # assumed on entry and stop fills when sizing
    volatility_target: bool = False  # divide an entry's size by recent/usual volatility when above 1
    max_stop_distance: Decimal = Decimal("0.10")  # stop at most this far below entry
    # --- exposure (spot never borrows)
    max_leverage: Decimal = Decimal("1.0")  # gross exposure / equity, (0, 1]
    max_asset_fraction: Decimal = Decimal("0.25")  # one asset's exposure / equity, (0, 1]
    max_open_positions: int = 5
    # --- sanity ("fat finger")
    max_order_notional: Decimal | None = None  # quote currency; None: no cap
    price_band: Decimal = Decimal("0.02")  # a limit price within +-2 % of the last price
    stale_after_candles: int = 2  # entries blocked when the last candle is older than this many timeframes
    # --- circuit breakers
    daily_loss_limit: Decimal = Decimal("0.03")  # from the UTC day's start equity -> REDUCING till tomorrow
    max_drawdown: Decimal = Decimal("0.10")  # from peak equity -> HALTED until a human resumes
    max_consecutive_losses: int = 3
    loss_cooldown: timedelta = timedelta(hours=4)  # after max_consecutive_losses losing trades
    max_trades_per_day: int = 20  # entries sent per UTC day
    symbol_cooldown: timedelta = timedelta(hours=1)  # no new entry on a symbol this long after a stop-out

    def __post_init__(self) -> None:
        ceiling = "2 % of equity per trade is the ceiling"
        _fraction(self, "risk_per_trade", high=MAX_RISK_PER_TRADE, why=ceiling)
        _fraction(self, "slippage_allowance", high=Decimal("0.1"), low_inclusive=True)
        _fraction(self, "max_stop_distance", high=Decimal(1), high_inclusive=False)
        _fraction(self, "max_leverage", high=Decimal(1), why="spot never borrows; 1.0 is the ceiling")
        _fraction(self, "max_asset_fraction", high=Decimal(1))
        _fraction(self, "price_band", high=Decimal("0.5"))
        _fraction(self, "daily_loss_limit", high=Decimal(1), high_inclusive=False)
        _fraction(self, "max_drawdown", high=Decimal(1), high_inclusive=False)
        counts = ("max_open_positions", "stale_after_candles", "max_consecutive_losses", "max_trades_per_day")
        for name in counts:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} is invalid: allowed a whole number >= 1")
        for name in ("loss_cooldown", "symbol_cooldown"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise ValueError(f"{name}={value!r} is invalid: allowed a duration >= 0")
        if self.max_order_notional is not None and not (
            isinstance(self.max_order_notional, Decimal) and self.max_order_notional > 0
        ):
            shown = self.max_order_notional
            raise ValueError(f"max_order_notional={shown!r} is invalid: allowed > 0 or None")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def _fraction(
    limits: RiskLimits,
    name: str,
    *,
    high: Decimal,
    why: str = "",
    low_inclusive: bool = False,
    high_inclusive: bool = True,
) -> None:
    value = getattr(limits, name)
    ok = isinstance(value, Decimal) and (value >= 0 if low_inclusive else value > 0)
    ok = ok and (value <= high if high_inclusive else value < high)
    if not ok:
        low = ">= 0" if low_inclusive else "> 0"
        top = f"<= {high}" if high_inclusive else f"< {high}"
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name}={value!r} is invalid: allowed a Decimal fraction {low} and {top}{reason}")
