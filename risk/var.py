"""Value at risk (VaR) and expected shortfall (CVaR) of a return series: historical and parametric.

Pure numpy and the standard library. Conventions, written once here:

- **Inputs** are simple returns as fractions (``0.01`` = +1 %), one per outcome, all over the same
  horizon: the figures are for that horizon (1-day returns give 1-day figures, see
  :func:`one_day_returns`).
- **Outputs are losses, positive**: ``var = 0.05`` means "lose 5 % of the value". A negative figure is
  a gain (every outcome in the tail was a gain); it is not clipped to zero.
- ``level`` is the confidence level, strictly between 0 and 1 (``0.95``, ``0.99``). VaR is the loss
  exceeded in at most ``1 - level`` of the outcomes; CVaR (expected shortfall) is the mean loss in that
  worst ``1 - level`` tail, so CVaR >= VaR.

**Historical**: of ``n`` outcomes, take the worst ``k = ceil(n * (1 - level))`` (at least one);
VaR is the least bad of them (the ``k``-th largest loss), CVaR their mean. No interpolation: every
VaR is a loss that happened and every CVaR the mean of losses that did, so a test checks them by
sorting by hand; and the mean of the ``k`` largest losses of a portfolio is convex in its holdings
(a maximum of linear functions), which the CVaR guard's search for the largest fitting size relies on.

**Parametric (normal)**: ``mu`` the mean, ``sigma`` the sample standard deviation (``n - 1``),
``z = Phi^-1(level)`` (1.6449 at 95 %, 2.3263 at 99 %), ``phi`` the standard normal density::

    VaR  = z * sigma - mu
    CVaR = sigma * phi(z) / (1 - level) - mu

i.e. the returns' tail mean below ``mu - z * sigma`` is ``mu - sigma * phi(z) / (1 - level)`` and the
loss is its negative. Crypto returns have fat tails: the normal figures are the optimistic ones,
shown beside the historical ones for comparison.

**Portfolio (historical simulation)**: today's holdings (values in the quote currency) replayed over
the aligned return series of their assets: ``r_t = sum_i value_i * r_i,t / equity`` (the quote
currency held has no return in itself), then the figures above of that series, as fractions of equity.

**The 1-day horizon from candles of any timeframe** (:func:`one_day_returns`): overlapping one-day
windows, ``c_t / c_(t-k) - 1`` with ``k`` the candles in a day (288 on 5m), one return per candle
close. Daily closes would give one return a day: 30 over a 30-day lookback, a 99 % figure that is
simply the worst day, and figures that move once a day under a bot trading 5-minute candles. The
overlapping windows keep the same horizon and use every candle; the price is that neighbouring
windows share most of their day, so the effective sample is about the lookback in days, not the
count of returns: the 99 % figures of a 30-day lookback rest on a handful of bad days.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Returns = Sequence[float] | FloatArray
LEVELS = (0.95, 0.99)  # the levels shown in the status, the API, /metrics and the report


class VarCvar(NamedTuple):
    """One level's figures, losses as positive fractions (``var, cvar = historical_var_cvar(...)``)."""

    var: float
    cvar: float


def _checked_returns(returns: Returns, least: int) -> FloatArray:
    values = np.asarray(returns, dtype=np.float64)
    if values.ndim != 1 or values.size < least:
        raise ValueError(f"returns: a flat series of at least {least}, not shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("returns: finite numbers only (a NaN or an infinity was given)")
    return values


def _checked_level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level: strictly between 0 and 1 (e.g. 0.95), not {level}")
    return float(level)


def tail_count(samples: int, level: float) -> int:
    """``ceil(samples * (1 - level))``, at least 1: how many worst outcomes the historical tail holds.

    Rounded to 9 places first, so 100 outcomes at 95 % make a tail of 5 (not 6 from ``0.05000...04``)."""
    return max(1, math.ceil(round(samples * (1 - _checked_level(level)), 9)))


def historical_var_cvar(returns: Returns, level: float) -> VarCvar:
    """Historical VaR and CVaR of ``returns`` at ``level`` (see the module docstring)."""
    values = _checked_returns(returns, 1)
    k = tail_count(values.size, level)
    # The k largest losses. Sorted, not np.partition'ed: introselect slows down 10-20x on many equal values,
    # and a flat equity curve (no position held) is mostly zero returns: 161 ms against 17 ms for 1M of them.
    worst = np.sort(-values)[values.size - k :]
    return VarCvar(float(worst.min()) + 0.0, float(worst.mean()) + 0.0)  # + 0.0: a flat curve's -0.0 is 0


def parametric_var_cvar(returns: Returns, level: float) -> VarCvar:
    """Normal VaR and CVaR of ``returns`` at ``level`` from their mean and sample std (module docstring)."""
    values = _checked_returns(returns, 2)
    level = _checked_level(level)
    mu = float(values.mean())
    sigma = float(values.std(ddof=1))
    normal = NormalDist()
    z = normal.inv_cdf(level)
    return VarCvar(z * sigma - mu, sigma * normal.pdf(z) / (1 - level) - mu)


def candles_per_day(timeframe_ms: int) -> int:
    """``k`` of the one-day windows: the candles in a day (288 on 5m); 1 for a timeframe of a day or
    more, whose figures are then for one candle. ValueError for a timeframe that does not divide a day."""
    day = 86_400_000
    if timeframe_ms <= 0:
        raise ValueError(f"timeframe: above zero, not {timeframe_ms} ms")
    if timeframe_ms >= day:
        return 1
    if day % timeframe_ms:
        raise ValueError(f"timeframe: one that divides a day (5m, 1h, 4h...), not {timeframe_ms} ms")
    return day // timeframe_ms


def one_day_returns(closes: Returns, per_day: int) -> FloatArray:
    """One-day returns ending at each close: ``closes[t] / closes[t - per_day] - 1`` (overlapping
    windows; ``per_day`` from :func:`candles_per_day`). Closes must be regularly spaced (gaps filled by
    the caller); a NaN close (no price yet) gives NaN returns where it is used."""
    prices = np.asarray(closes, dtype=np.float64)
    if per_day < 1:
        raise ValueError(f"per_day: at least 1, not {per_day}")
    if prices.size <= per_day:
        return np.empty(0, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        returns: FloatArray = prices[per_day:] / prices[:-per_day] - 1.0
    return returns


def portfolio_returns(
    returns: Mapping[str, Returns], holdings: Mapping[str, float], equity: float
) -> FloatArray:
    """The portfolio's return series by historical simulation: ``sum_i holdings[i] * returns[i] / equity``.

    ``returns``: each held asset's series, aligned (same length, same times); ``holdings``: the value held
    in each (quote currency), ``equity`` the account's value in the same currency (cash included).
    ValueError if a holding has no series, the series differ in length, or equity is not above zero.
    """
    if not equity > 0:
        raise ValueError(f"equity: above zero, not {equity}")
    missing = sorted(set(holdings) - set(returns))
    if missing:
        raise ValueError(f"returns: no series for the holdings {', '.join(missing)}")
    series = {symbol: _checked_returns(returns[symbol], 1) for symbol in holdings}
    lengths = {values.size for values in series.values()}
    if len(lengths) > 1:
        raise ValueError(f"returns: aligned series of one length, not lengths {sorted(lengths)}")
    if not series:
        return np.zeros(0, dtype=np.float64)
    total = np.zeros(lengths.pop(), dtype=np.float64)
    for symbol, values in series.items():
        total += float(holdings[symbol]) * values
    result: FloatArray = total / float(equity)
    return result


def portfolio_var_cvar(
    returns: Mapping[str, Returns],
    holdings: Mapping[str, float],
    equity: float,
    level: float,
    *,
    parametric: bool = False,
) -> VarCvar:
    """VaR and CVaR of the portfolio (:func:`portfolio_returns`) as fractions of equity."""
    series = portfolio_returns(returns, holdings, equity)
    return parametric_var_cvar(series, level) if parametric else historical_var_cvar(series, level)


@dataclass(frozen=True, slots=True)
class RiskFigures:
    """The portfolio's 1-day VaR/CVaR, historical and parametric, at 95 % and 99 % (fractions of equity)."""

    historical_95: VarCvar
    historical_99: VarCvar
    parametric_95: VarCvar
    parametric_99: VarCvar
    samples: int  # the returns they come from (overlapping one-day windows: see the module docstring)

    @classmethod
    def of(cls, series: Returns) -> RiskFigures:
        """The four pairs of figures of one portfolio return series (at least 2 returns)."""
        values = _checked_returns(series, 2)
        return cls(
            historical_var_cvar(values, 0.95),
            historical_var_cvar(values, 0.99),
            parametric_var_cvar(values, 0.95),
            parametric_var_cvar(values, 0.99),
            int(values.size),
        )

    def as_dict(self) -> dict[str, float | int]:
        """``{"historical_95_var": ..., "historical_95_cvar": ..., "samples": n}``, 6 places."""
        out: dict[str, float | int] = {}
        for name in ("historical_95", "historical_99", "parametric_95", "parametric_99"):
            pair: VarCvar = getattr(self, name)
            out[f"{name}_var"] = round(pair.var, 6)
            out[f"{name}_cvar"] = round(pair.cvar, 6)
        out["samples"] = self.samples
        return out
