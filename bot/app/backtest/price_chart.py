"""``prices.png``: each traded symbol's closes with the round trips on them (entries ▲, exits ▼), so a
backtest's trades can be seen where they happened. matplotlib's object API on the Agg canvas, as the
equity chart; a long series is thinned to its lows and highs per slice (the markers stay exact)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.app.backtest.chart import chart_points
from bot.core.positions import Trade
from bot.domain.clock import ms_to_datetime
from bot.domain.series import CandleSeries

MOST_SYMBOLS = 6  # more would be too small to read: the busiest six are drawn


def write_price_chart(
    path: Path, series: Mapping[str, CandleSeries], trades: Sequence[Trade], *, title: str
) -> None:
    """Save a PNG with one panel per symbol (the most traded ``MOST_SYMBOLS``), its closes and trades."""
    counts = {symbol: sum(1 for t in trades if t.symbol == symbol) for symbol in series}
    symbols = sorted(series, key=lambda s: (-counts[s], s))[:MOST_SYMBOLS]
    figure = Figure(figsize=(11, 2.6 * len(symbols) + 0.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(symbols), 1, squeeze=False)[:, 0]
    for axis, symbol in zip(axes, symbols, strict=True):
        one = series[symbol]
        closes = np.asarray(one.close)
        keep = chart_points(closes, -closes)  # per slice its lowest and highest close
        times = [ms_to_datetime(int(t)) for t in np.asarray(one.close_time)[keep]]
        axis.plot(times, closes[keep], color="#444444", linewidth=0.8)
        mine = [t for t in trades if t.symbol == symbol]
        axis.scatter([t.opened_at for t in mine], [float(t.entry_price) for t in mine], marker="^", s=28,
                     color="#2ca02c", label="entry", zorder=3)  # fmt: skip
        axis.scatter([t.closed_at for t in mine], [float(t.exit_price) for t in mine], marker="v", s=28,
                     color="#d62728", label="exit", zorder=3)  # fmt: skip
        axis.set_title(f"{symbol}: {len(mine)} round trips", fontsize=10, loc="left")
        axis.grid(alpha=0.3)
        axis.legend(loc="upper left", fontsize=8)
    figure.suptitle(title)
    figure.savefig(path, format="png")
