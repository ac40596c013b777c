"""What a trial maximises, measured on one backtest window. Every score is a finite float.

- ``sharpe``: the annualised Sharpe ratio of the window (``bot.app.backtest.metrics``).
- ``calmar``: CAGR ÷ max drawdown, the drawdown floored at 1 % (a window that never fell is not ∞).
  Annualised, so it swings widely on short windows.
- ``return_dd``: total return − 2 × max drawdown (a plain return with a drawdown penalty).

Every score is floored at the objective's **penalty** (:data:`PENALTY`), which is also the score of
a window **without a trade** (no position held at any time: no round trip, nothing left open) and of
an undefined or non-finite value (no volatility, a CAGR that overflows): −3 for return_dd (its worst
possible value: −100 % return with a 100 % drawdown), −100 for calmar (its worst: CAGR −100 % over
the 1 % drawdown floor) and −100 for sharpe (below any realistic annualised Sharpe). So doing nothing
never beats trading, and the mean over windows is always finite. Never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bot.app.backtest.metrics import BacktestMetrics

MIN_DRAWDOWN = 0.01


def _sharpe(m: BacktestMetrics) -> float | None:
    return m.sharpe


def _calmar(m: BacktestMetrics) -> float | None:
    return None if m.cagr is None else m.cagr / max(m.max_drawdown, MIN_DRAWDOWN)


def _return_dd(m: BacktestMetrics) -> float | None:
    return m.total_return - 2.0 * m.max_drawdown


OBJECTIVES: dict[str, Callable[[BacktestMetrics], float | None]] = {
    "sharpe": _sharpe,
    "calmar": _calmar,
    "return_dd": _return_dd,
}
PENALTY: dict[str, float] = {"sharpe": -100.0, "calmar": -100.0, "return_dd": -3.0}


def check_objective(name: str) -> str:
    if name not in OBJECTIVES:
        raise ValueError(f"--objective {name!r}: one of {', '.join(OBJECTIVES)}")
    return name


def score(metrics: BacktestMetrics, objective: str) -> float:
    """The window's objective value floored at the penalty; the penalty without a trade, undefined, ∞."""
    floor = PENALTY[objective]
    if metrics.trades == 0 and metrics.exposure == 0:
        return floor
    value = OBJECTIVES[objective](metrics)
    if value is None or not math.isfinite(value):
        return floor
    return max(float(value), floor)


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
