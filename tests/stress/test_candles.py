"""Betas and worst N-hour moves on the real candles, against independent computations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bot.app.stress.candles import Closes, beta, candle_files, load_closes, worst_move

SYMBOLS = ("ETH/BTC", "LTC/BTC", "ETC/BTC", "XLM/BTC")


@pytest.fixture
def closes(shared_data: Path) -> dict[str, Closes]:
    return load_closes(candle_files([shared_data], SYMBOLS, "5m"))


def frame(path: Path) -> pd.Series:
    candles = pd.read_csv(path)
    return pd.Series(candles.close.to_numpy(), index=candles.timestamp + 300_000)


@pytest.mark.parametrize("symbol", ["LTC/BTC", "ETC/BTC", "XLM/BTC"])
def test_a_beta_is_the_least_squares_slope_of_returns_on_the_shared_closes(
    closes: dict[str, Closes], shared_data: Path, symbol: str
) -> None:
    asset = frame(shared_data / f"{symbol.replace('/', '_')}-5m.csv")
    reference = frame(shared_data / "ETH_BTC-5m.csv")
    both = pd.concat([asset, reference], axis=1, join="inner")  # ETC/BTC misses one candle
    returns = both.pct_change().dropna().to_numpy()
    design = np.column_stack([np.ones(len(returns)), returns[:, 1]])
    (_, slope), *_ = np.linalg.lstsq(design, returns[:, 0], rcond=None)
    assert beta(closes[symbol], closes["ETH/BTC"]) == pytest.approx(slope, rel=1e-9)


def test_the_reference_has_a_beta_of_one_to_itself(closes: dict[str, Closes]) -> None:
    assert beta(closes["ETH/BTC"], closes["ETH/BTC"]) == pytest.approx(1.0)


def test_the_worst_six_hours_is_the_lowest_close_six_hours_later_over_the_close_then(
    closes: dict[str, Closes], shared_data: Path
) -> None:
    series = frame(shared_data / "ETC_BTC-5m.csv")  # one missing candle: the price then is the last one
    worst = (0.0, 0)
    for start, price in series.items():
        if start + 6 * 3_600_000 > series.index[-1]:
            break
        later = series[series.index <= start + 6 * 3_600_000].iloc[-1]
        worst = min(worst, (later / price - 1, start))
    found = worst_move(closes["ETC/BTC"], 6)
    assert found is not None
    assert (found.move, found.start_ms) == (pytest.approx(worst[0], rel=1e-12), worst[1])


def test_a_lookback_keeps_the_closes_of_that_long_before_the_portfolios_time(
    closes: dict[str, Closes],
) -> None:
    at = datetime(2018, 1, 20, 12, 2, tzinfo=UTC)
    window = closes["ETH/BTC"].before(at, timedelta(days=2))
    assert (window.times[0], window.times[-1]) == (
        int(datetime(2018, 1, 18, 12, 5, tzinfo=UTC).timestamp() * 1000),
        int(datetime(2018, 1, 20, 12, 0, tzinfo=UTC).timestamp() * 1000),
    )
    assert len(window.times) == 2 * 288
