"""The equity chart of a long backtest is thinned to what a chart can show, keeping every extreme."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.app.backtest.chart import MOST_POINTS, chart_points, drawdown_curve, write_equity_chart


def test_a_short_curve_is_drawn_whole() -> None:
    curve = np.linspace(100, 110, 500)
    assert chart_points(curve, drawdown_curve(curve)).tolist() == list(range(500))


def test_a_long_curve_keeps_its_ends_its_highs_its_lows_and_its_deepest_drawdown() -> None:
    curve = 10_000 * np.exp(np.cumsum(np.random.default_rng(3).normal(0, 0.001, 1_000_003)))
    drawdown = drawdown_curve(curve)
    kept = set(chart_points(curve, drawdown).tolist())
    assert len(kept) <= MOST_POINTS + 10
    assert {0, len(curve) - 1, int(np.argmax(curve)), int(np.argmin(curve)), int(np.argmin(drawdown))} <= kept


def test_the_chart_of_a_million_closes_is_written(tmp_path: Path) -> None:
    closes = 1_704_067_260_000 + np.arange(1_000_000, dtype=np.int64) * 60_000
    curve = 10_000 + np.cumsum(np.random.default_rng(1).normal(0, 1, closes.size))
    write_equity_chart(tmp_path / "equity.png", closes, curve, title="t", quote="USDT")
    assert (tmp_path / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
