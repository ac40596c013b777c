"""``equity.png``: the equity curve over the candle timeline, with the drawdown below it.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global state), so it
works on a headless server and from several threads. A long curve is thinned before drawing: the
chart is about a thousand pixels wide, so per slice of the timeline only its lowest and highest
equity and its deepest drawdown are drawn (the shape, the peaks and the troughs stay exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.app.backtest.metrics import FloatArray
from bot.domain.clock import ms_to_datetime
from bot.domain.series import IntArray

MOST_POINTS = 6000


def drawdown_curve(curve: FloatArray) -> FloatArray:
    """Drawdown from the running peak at each point, as a negative fraction (0 at a new high)."""
    peaks = np.maximum.accumulate(curve)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peaks > 0, curve / peaks - 1.0, 0.0)


def chart_points(curve: FloatArray, drawdown: FloatArray, most: int = MOST_POINTS) -> IntArray:
    """Indices worth drawing: all of a short curve; of a long one, per slice its lowest and highest
    equity and its deepest drawdown, and both ends."""
    n = len(curve)
    if n <= most:
        return np.arange(n)
    size = -(-n // (most // 3))  # ceiling: each slice gives three points
    whole = n // size * size
    starts = np.arange(0, whole, size)
    slices = (curve[:whole].reshape(-1, size), drawdown[:whole].reshape(-1, size))
    picks = [
        starts + slices[0].argmin(axis=1),
        starts + slices[0].argmax(axis=1),
        starts + slices[1].argmin(axis=1),
    ]
    return np.unique(np.concatenate([*picks, np.arange(whole, n), [0, n - 1]]))


def write_equity_chart(
    path: Path, close_times_ms: Sequence[int] | IntArray, curve: FloatArray, *, title: str, quote: str
) -> None:
    """Save a PNG: equity (top) and drawdown in % (bottom) against the candle close times (UTC)."""
    full_drawdown = drawdown_curve(curve) * 100
    keep = chart_points(curve, full_drawdown)
    times: list[datetime] = [ms_to_datetime(int(t)) for t in np.asarray(close_times_ms)[keep]]
    curve, drawdown = curve[keep], full_drawdown[keep]
    figure = Figure(figsize=(11, 6.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.plot(times, curve, color="#1f77b4", linewidth=1.1)
    top.axhline(curve[0], color="grey", linewidth=0.7, linestyle="--")
    top.set_ylabel(f"equity ({quote})")
    top.set_title(title)
    top.grid(alpha=0.3)
    bottom.fill_between(times, drawdown, 0, color="#d62728", alpha=0.4, linewidth=0)
    bottom.plot(times, drawdown, color="#d62728", linewidth=0.8)
    bottom.set_ylabel("drawdown (%)")
    bottom.set_xlabel("time (UTC)")
    bottom.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.savefig(path, format="png")
