"""The equity curve of a backtest: equity at every candle close, rebuilt from the fills and the candles.

Equity is what the engine marks: the quote currency's balance plus every position valued at its
symbol's last close. Between fills both are piecewise constant in the holdings, so the whole curve is a
few cumulative sums and one multiplication per symbol (floats, like every ratio computed from it).
Rebuilding it rather than reading equity snapshots keeps the metrics independent of how often the
engine ticked: the daemon ticks every close, a backtest only the closes where something can happen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from bot.adapters.market.offline import OfflineMarket
from bot.domain import Fill, Side
from bot.domain.clock import datetime_to_ms

FloatArray = npt.NDArray[np.float64]


def last_closes(market: OfflineMarket, symbol: str, close_times_ms: npt.NDArray[np.int64]) -> FloatArray:
    """The symbol's last close as of each close time (NaN before its first candle has closed)."""
    series = market.series(symbol)
    latest = np.searchsorted(series.close_time, close_times_ms, side="right") - 1
    closes = series.close[np.clip(latest, 0, None)].astype(np.float64)
    closes[latest < 0] = np.nan
    return closes


def equity_curve(
    close_times_ms: Sequence[int] | npt.NDArray[np.int64],
    market: OfflineMarket,
    fills: Sequence[Fill],
    starting: Mapping[str, Decimal],
    quote: str,
) -> FloatArray:
    """Equity in ``quote`` at each close: a fill counts from the first close at or after it.

    Balances are accumulated exactly (``Decimal``, per fill) and turned into floats once per fill.
    """
    closes = np.asarray(close_times_ms, dtype=np.int64)
    cash = Decimal(starting.get(quote, Decimal(0)))
    cash_steps: list[tuple[int, float]] = []
    held: dict[str, Decimal] = {}
    held_steps: dict[str, list[tuple[int, float]]] = {}
    for fill in fills:
        at = int(np.searchsorted(closes, datetime_to_ms(fill.occurred_at), side="left"))
        base, fill_quote = fill.symbol.split("/")
        sign = 1 if fill.side is Side.BUY else -1
        quantity = held.get(fill.symbol, Decimal(0)) + sign * fill.quantity
        if fill_quote == quote:
            cash -= sign * fill.notional
        if fill.fee_currency == quote:
            cash -= fill.fee
        elif fill.fee_currency == base:
            quantity -= fill.fee
        held[fill.symbol] = quantity
        cash_steps.append((at, float(cash)))
        held_steps.setdefault(fill.symbol, []).append((at, float(quantity)))
    equity = _steps(closes.size, float(starting.get(quote, Decimal(0))), cash_steps)
    for symbol, steps in held_steps.items():
        amounts = _steps(closes.size, 0.0, steps)
        equity += np.where(amounts != 0, amounts * last_closes(market, symbol, closes), 0.0)
    return equity


def _steps(size: int, initial: float, steps: list[tuple[int, float]]) -> FloatArray:
    """A piecewise-constant series: ``initial``, then each step's value from its index on."""
    if not steps:
        return np.full(size, initial)
    starts = np.array([at for at, _ in steps], dtype=np.int64)
    values = np.array([initial] + [value for _, value in steps])
    return values[np.searchsorted(starts, np.arange(size), side="right")]
