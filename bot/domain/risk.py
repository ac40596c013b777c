"""Risk decisions and what a guard is given to decide on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from bot.domain.market import MarketRules, timeframe_ms
from bot.domain.orders import Order
from bot.domain.portfolio import Position
from bot.domain.regime import Regime


class Verdict(StrEnum):
    APPROVED = "approved"
    RESIZED = "resized"  # approved with a smaller quantity (guards only ever resize down)
    DENIED = "denied"


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"  # exits only
    HALTED = "halted"  # nothing new; stops and exits still work


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """One guard's verdict on one intent. A denial is data with a reason code, never an exception."""

    intent_id: str
    guard: str
    verdict: Verdict
    reason: str  # short machine-readable code, e.g. "ok", "no_stop", "below_min_notional"
    quantity_before: Decimal | None
    quantity_after: Decimal | None
    decided_at: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TradingStatus:
    """The trading state, why it is what it is, and since when (a change is an audited event)."""

    state: TradingState
    reason: str  # e.g. "start", "daily_loss_limit", "max_drawdown", "kill_switch", "resumed"
    since: datetime


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the circuit breakers look at, kept by the engine from equity and closed trades.

    Equity always includes open positions at market (a drawdown measured without open P&L is a known
    failure of other bots).
    """

    day_start_equity: Decimal  # equity at the start of the current UTC day
    peak_equity: Decimal  # highest equity seen since the run (or the last human resume) began
    consecutive_losses: int = 0  # closed round trips with a net loss, in a row
    last_loss_at: datetime | None = None
    entries_today: int = 0  # entry orders sent since the start of the current UTC day
    last_stop_out: Mapping[str, datetime] = field(default_factory=dict)  # per symbol


@dataclass(frozen=True, slots=True)
class ReturnsSpec:
    """How the portfolio-risk guards' returns are computed: from ``timeframe`` candles (the market's),
    one-day windows ending at each close of ``lookback`` (one candle's at least), see
    ``bot.core.portfolio_risk``; why one-day windows: ``risk.var``."""

    timeframe: str
    lookback: timedelta

    def __post_init__(self) -> None:
        timeframe_ms(self.timeframe)  # ValueError naming a bad timeframe (all of them divide a day)


@dataclass(frozen=True, slots=True)
class ReturnHistory:
    """One-day returns of the symbols held and the entry's, aligned on the same candle closes, as of a
    decision's close: what the portfolio-risk guards (``risk.portfolio_guards``) judge by. Built by
    ``bot.core.portfolio_risk`` from closed candles only (how, and why one-day windows: ``risk.var``)."""

    as_of: datetime  # the candle close the returns end at
    lookback: timedelta
    returns: Mapping[str, tuple[float, ...]]  # symbol -> its returns, oldest first; all of one length
    short: Mapping[str, int] = field(default_factory=dict)  # too little history: symbol -> returns it has
    needed: int = 0  # the returns a symbol needs to count (half the lookback's)
    note: str = ""  # why the candles could not be read, if they could not


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything a guard may look at. Guards are pure functions of the intent and this context."""

    now: datetime
    equity: Decimal  # cash + open positions at market, in the quote currency
    quote_currency: str
    free_quote: Decimal  # free (unlocked) quote balance
    rules: MarketRules
    last_price: Decimal
    positions: Mapping[str, Position] = field(default_factory=dict)
    open_orders: tuple[Order, ...] = ()
    trading_state: TradingState = TradingState.ACTIVE
    prices: Mapping[str, Decimal] = field(default_factory=dict)  # last price per symbol, for exposure
    account: AccountState | None = None  # None: nothing known yet (breakers then use equity itself)
    last_candle_close: datetime | None = None  # close time of the newest candle of the intent's symbol
    timeframe_seconds: int = 0  # the intent's strategy timeframe (0: unknown)
    volatility_ratio: Decimal | None = None  # recent / usual volatility of the symbol (None: unknown)
    regime: Regime | None = None  # the market regime, for entries when [regime] is configured
    returns: ReturnHistory | None = None  # for entries, when a portfolio-risk guard is on
