"""Backtest metrics: pure functions of an equity curve, round-trip trades and risk decisions.

Conventions (documented in the README, "Backtesting"):

- The **candle timeline** is the list of candle close times (ms) replayed. The equity curve gives equity
  at each of them: cash plus positions at the last close, rebuilt from the fills
  (:mod:`bot.app.backtest.curve`), whichever closes the engine actually ticked at.
- Returns are simple per-candle returns of that curve. **Sharpe** = mean / sample standard deviation
  (ddof 1) × √(periods per year), risk-free rate 0; **Sortino** = mean / downside deviation × √(periods
  per year), the downside deviation being √(mean(min(r, 0)²)) over all returns (empyrical's
  ``downside_risk`` with a required return of 0). Either is ``None`` when undefined: fewer than two
  returns, a constant curve (no volatility), or no losing candle (Sortino).
- **Periods per year** are counted on the calendar, like CAGR: the returns observed per 365-day year
  of the span from the first to the last close (:func:`observed_periods_per_year`). Without missing
  candles that is exactly 365·86400 / timeframe seconds (105 120 for 5m); with gaps (a return across a
  gap is one observation over a longer interval) the annual mean is still the sum of returns per
  calendar year and the annual variance the realised variance per calendar year, so Sharpe, Sortino
  and CAGR all annualise over the same calendar time.
- **CAGR** compounds the total return over the span from the first to the last candle close
  (365-day years); ``None`` for a zero span or when it overflows (a gain over a tiny span).
- **Max drawdown** is the largest fall from a running peak as a fraction of it; its duration runs from
  that peak's close time to the close time of the first candle back at or above it (or to the last
  close, ``recovered = False``), measured on the timestamps, so candles missing inside it count.
- **CVaR 95 %** (expected shortfall, historical, :func:`risk.var.historical_var_cvar`: the shared
  definition, losses positive) of the curve's per-candle returns, and of its one-day returns: the
  overlapping windows ``equity[t] / equity[t - one day] - 1`` of :func:`risk.var.one_day_returns` on
  the candle grid, a missing candle carrying the equity of the last one (nothing could change while
  the market had no candle). ``None`` without a return (the 1-day figure: a span under a day).
- **Exposure** is the fraction of candles whose interval [close − timeframe, close) overlaps a position's
  holding interval [opened, closed) (open positions: to the end).
- **Profit factor** = gross winnings / gross losses of trades' net P&L; ``None`` with no losing trade.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from bot.core.positions import Trade
from bot.domain.clock import datetime_to_ms
from risk.var import candles_per_day, historical_var_cvar, one_day_returns

FloatArray = npt.NDArray[np.float64]
Closes = Sequence[int] | npt.NDArray[np.int64]  # candle close times, ms, ascending
YEAR_SECONDS = 365 * 86_400
CVAR_LEVEL = 0.95


@dataclass(frozen=True, slots=True)
class Drawdown:
    max_drawdown: float  # fraction of the peak, 0.0 for a curve that never falls
    peak_index: int
    trough_index: int
    duration_candles: int  # candle closes from the peak to recovery (or to the end); gaps not counted
    recovered: bool
    end_index: int = 0  # the recovery's index, or the last one when not recovered


@dataclass(frozen=True, slots=True)
class BacktestMetrics:
    candles: int
    trades: int
    wins: int
    losses: int
    win_rate: float | None
    profit_factor: float | None
    starting_equity: float
    final_equity: float
    total_return: float
    cagr: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    max_drawdown_duration_candles: int
    max_drawdown_duration_seconds: int
    max_drawdown_recovered: bool
    exposure: float
    fees: Decimal
    trades_by_symbol: dict[str, int] = field(default_factory=dict)
    risk_by_reason: dict[str, int] = field(default_factory=dict)
    periods_per_year: float = 0.0  # what Sharpe and Sortino annualise by (observed_periods_per_year)
    cvar_95: float | None = None  # per-candle returns' expected shortfall, a positive loss fraction
    cvar_95_1d: float | None = None  # the same of the one-day returns


def periods_per_year(timeframe_seconds: int) -> float:
    """Candles per 365-day year on an unbroken grid."""
    return YEAR_SECONDS / timeframe_seconds


def observed_periods_per_year(close_times_ms: Closes, timeframe_seconds: int) -> float:
    """Returns observed per 365-day year of the span from the first to the last close: what Sharpe and
    Sortino annualise by, so that they count the same calendar time as CAGR. Equal to
    :func:`periods_per_year` when no candle is missing; the grid's rate for a zero span."""
    span_seconds = (int(close_times_ms[-1]) - int(close_times_ms[0])) / 1000 if len(close_times_ms) else 0.0
    if span_seconds <= 0:
        return periods_per_year(timeframe_seconds)
    return (len(close_times_ms) - 1) / (span_seconds / YEAR_SECONDS)


def simple_returns(curve: FloatArray) -> FloatArray:
    if len(curve) < 2:
        return np.zeros(0, dtype=np.float64)
    return np.diff(curve) / curve[:-1]


def sharpe_ratio(returns: FloatArray, per_year: float) -> float | None:
    if len(returns) < 2:
        return None
    std = float(np.std(returns, ddof=1))
    if std <= 1e-15:
        return None
    return float(np.mean(returns)) / std * math.sqrt(per_year)


def sortino_ratio(returns: FloatArray, per_year: float) -> float | None:
    if len(returns) < 2:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    if downside <= 1e-15:
        return None
    return float(np.mean(returns)) / downside * math.sqrt(per_year)


def cvar(returns: FloatArray, level: float = CVAR_LEVEL) -> float | None:
    """Historical CVaR of ``returns`` (a positive loss fraction), ``None`` without a return."""
    return historical_var_cvar(returns, level).cvar if len(returns) else None


def on_grid(close_times_ms: Closes, curve: FloatArray, step_ms: int) -> FloatArray:
    """The curve at every close of the regular grid from its first close to its last: a missing candle
    carries the equity of the last close before it."""
    closes = np.asarray(close_times_ms, dtype=np.int64)
    grid = np.arange(int(closes[0]), int(closes[-1]) + 1, step_ms, dtype=np.int64)
    return curve[np.searchsorted(closes, grid, side="right") - 1]


def one_day_cvar(close_times_ms: Closes, curve: FloatArray, timeframe_seconds: int) -> float | None:
    """CVaR of the curve's overlapping one-day returns (:func:`risk.var.one_day_returns`)."""
    step_ms = timeframe_seconds * 1000
    daily = one_day_returns(on_grid(close_times_ms, curve, step_ms), candles_per_day(step_ms))
    return cvar(daily)


def cagr(start: float, final: float, span_seconds: float) -> float | None:
    if span_seconds <= 0 or start <= 0:
        return None
    if final <= 0:
        return -1.0
    try:
        return float((final / start) ** (YEAR_SECONDS / span_seconds) - 1.0)
    except OverflowError:  # a gain compounded over a tiny span: no meaningful annual rate
        return None


def max_drawdown(curve: FloatArray) -> Drawdown:
    """The deepest fall from a running peak, where it started and ended, and how long until recovered."""
    if len(curve) == 0:
        return Drawdown(0.0, 0, 0, 0, True, 0)
    peaks = np.maximum.accumulate(curve)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(peaks > 0, (peaks - curve) / peaks, 0.0)
    trough = int(np.argmax(depth))
    worst = float(depth[trough])
    if worst <= 0:
        return Drawdown(0.0, 0, 0, 0, True, 0)
    peak = int(np.flatnonzero(curve[: trough + 1] == peaks[trough])[-1])
    after = np.flatnonzero(curve[trough:] >= peaks[trough])
    end = trough + int(after[0]) if after.size else len(curve) - 1
    return Drawdown(worst, peak, trough, end - peak, bool(after.size), end)


def drawdown_seconds(close_times_ms: Closes, drawdown: Drawdown) -> int:
    """How long the drawdown lasted on the clock: from its peak's close time to its recovery's (or the
    last close), whatever candles are missing in between."""
    if len(close_times_ms) == 0:
        return 0
    return (int(close_times_ms[drawdown.end_index]) - int(close_times_ms[drawdown.peak_index])) // 1000


def exposure_fraction(
    close_times_ms: Closes, step_ms: int, holdings: Sequence[tuple[int, int | None]]
) -> float:
    """Fraction of candles [close − step, close) overlapping any holding [opened, closed) (None: open).

    Each holding covers a run of consecutive candles; the runs are added up in one difference array,
    so the cost is candles + holdings, not their product."""
    closes = np.asarray(close_times_ms, dtype=np.int64)
    if closes.size == 0:
        return 0.0
    opens = closes - step_ms
    cover = np.zeros(closes.size + 1, dtype=np.int64)
    for opened, closed in holdings:
        # a round trip opened and closed at the same instant still held a position in that candle
        end = np.iinfo(np.int64).max if closed is None else max(closed, opened + 1)
        first = int(np.searchsorted(closes, opened, side="right"))  # first candle with close > opened
        stop = int(np.searchsorted(opens, end, side="left"))  # candles with open < end
        if first < stop:
            cover[first] += 1
            cover[stop] -= 1
    return float((np.cumsum(cover[:-1]) > 0).mean())


def profit_factor(trades: Sequence[Trade]) -> float | None:
    gains = sum((t.net_pnl for t in trades if t.net_pnl > 0), Decimal(0))
    losses = -sum((t.net_pnl for t in trades if t.net_pnl < 0), Decimal(0))
    if losses == 0:
        return None
    return float(gains / losses)


def holdings_of(trades: Sequence[Trade], open_since: Sequence[datetime]) -> list[tuple[int, int | None]]:
    """Holding intervals in ms: closed trades, then positions still open at the end."""
    closed: list[tuple[int, int | None]] = [
        (datetime_to_ms(t.opened_at), datetime_to_ms(t.closed_at)) for t in trades
    ]
    return closed + [(datetime_to_ms(opened), None) for opened in open_since]


def compute_metrics(
    *,
    close_times_ms: Closes,
    timeframe_seconds: int,
    curve: FloatArray,
    trades: Sequence[Trade],
    open_since: Sequence[datetime] = (),
    fees: Decimal | None = None,
    risk_by_reason: dict[str, int] | None = None,
) -> BacktestMetrics:
    """Every metric of one backtest (see the module docstring for the definitions); ``curve`` is the
    equity at each of ``close_times_ms`` (:func:`bot.app.backtest.curve.equity_curve`)."""
    if len(curve) != len(close_times_ms) or len(curve) == 0:
        raise ValueError(f"an equity curve of {len(curve)} values for {len(close_times_ms)} candle closes")
    returns = simple_returns(curve)
    per_year = observed_periods_per_year(close_times_ms, timeframe_seconds)
    drawdown = max_drawdown(curve)
    step_ms = timeframe_seconds * 1000
    span_seconds = (int(close_times_ms[-1]) - int(close_times_ms[0])) / 1000 if len(close_times_ms) else 0.0
    wins = sum(1 for t in trades if t.net_pnl > 0)
    start, final = float(curve[0]), float(curve[-1])
    return BacktestMetrics(
        candles=len(curve),
        trades=len(trades),
        wins=wins,
        losses=len(trades) - wins,
        win_rate=wins / len(trades) if trades else None,
        profit_factor=profit_factor(trades),
        starting_equity=start,
        final_equity=final,
        total_return=final / start - 1.0 if start > 0 else 0.0,
        cagr=cagr(start, final, span_seconds),
        sharpe=sharpe_ratio(returns, per_year),
        sortino=sortino_ratio(returns, per_year),
        max_drawdown=drawdown.max_drawdown,
        max_drawdown_duration_candles=drawdown.duration_candles,
        max_drawdown_duration_seconds=drawdown_seconds(close_times_ms, drawdown),
        max_drawdown_recovered=drawdown.recovered,
        exposure=exposure_fraction(close_times_ms, step_ms, holdings_of(trades, open_since)),
        fees=fees if fees is not None else sum((t.fees for t in trades), Decimal(0)),
        trades_by_symbol=dict(sorted(Counter(t.symbol for t in trades).items())),
        risk_by_reason=dict(sorted((risk_by_reason or {}).items())),
        periods_per_year=per_year,
        cvar_95=cvar(returns),
        cvar_95_1d=one_day_cvar(close_times_ms, curve, timeframe_seconds),
    )


def format_duration(seconds: int) -> str:
    """``93900`` -> ``"1d 2h 5m"``; ``"0m"`` for zero."""
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{v}{unit}" for v, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if v]
    return " ".join(parts) or "0m"
