"""What the engine shows while it runs (read by the status line and the end-of-run summary)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.core.portfolio_risk import PortfolioRisk
from bot.domain import Regime

ZERO = Decimal(0)


@dataclass(slots=True)
class EngineStatus:
    """Counters for the live status display and the end-of-run summary (read from another thread)."""

    ticks: int = 0
    now: datetime | None = None
    equity: Decimal = ZERO
    cash: Decimal = ZERO  # the quote currency held
    positions_value: Decimal = ZERO  # the open positions at market
    peak_equity: Decimal = ZERO
    deepest_drawdown: float = 0.0  # the deepest fall from peak_equity among the equity recorded
    fills: int = 0
    fees: Decimal = ZERO  # every fee of this run, valued in the quote currency
    trades: int = 0
    open_positions: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    reconciliations: Counter[str] = field(default_factory=Counter)  # clean, mismatch, incomplete
    last_event: str = ""
    trading_state: str = "active"
    exchange_ok: bool = True
    regime: Regime | None = None  # the market regime at the latest entry decided ([regime] configured)
    portfolio_risk: PortfolioRisk | None = None  # 1-day VaR/CVaR at the latest entry (max_cvar/cluster on)
    disabled_strategies: dict[str, str] = field(default_factory=dict)  # name -> why, file and line
