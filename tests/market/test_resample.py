"""A second, longer timeframe offline: built from the market's own candles, seen only once closed."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from bot.adapters.market.offline import OfflineMarket
from bot.adapters.market.rules import derive_rules
from bot.domain.series import CandleSeries

HOUR = 3_600_000
FIVE = 300_000


def _eth(shared_data: Path) -> CandleSeries:
    with (shared_data / "ETH_BTC-5m.csv").open() as f:
        rows = list(csv.DictReader(f))
    column = {
        name: np.array([float(r[name]) for r in rows]) for name in ("open", "high", "low", "close", "volume")
    }
    opens = np.array([int(r["timestamp"]) for r in rows], dtype=np.int64)
    return CandleSeries("ETH/BTC", "5m", opens, **column)


def _market(series: CandleSeries) -> OfflineMarket:
    rules = derive_rules(series.symbol, series.median_close(), min_notional=Decimal("0.0001"))
    return OfflineMarket({series.symbol: series}, {series.symbol: rules}, series.timeframe)


def test_an_hour_candle_is_its_twelve_five_minute_candles_aggregated(shared_data: Path) -> None:
    series = _eth(shared_data)
    market = _market(series)
    until = int(series.open_time[0]) // HOUR * HOUR + 5 * HOUR  # a few whole hours in
    hours = market.closed_candles("ETH/BTC", "1h", until_ms=until, limit=2)
    fives = market.closed_candles("ETH/BTC", "5m", until_ms=until, limit=24)
    assert [h.open_time for h in hours] == [until - 2 * HOUR, until - HOUR]
    for hour, part in zip(hours, (fives[:12], fives[12:]), strict=True):
        assert [c.open_time for c in part] == [hour.open_time + i * FIVE for i in range(12)]
        assert hour.open == part[0].open
        assert hour.close == part[-1].close
        assert hour.high == max(c.high for c in part)
        assert hour.low == min(c.low for c in part)
        assert hour.volume == pytest.approx(sum(c.volume for c in part), rel=1e-12)


def test_an_hour_still_forming_is_never_served(shared_data: Path) -> None:
    series = _eth(shared_data)
    market = _market(series)
    hour_end = int(series.open_time[0]) // HOUR * HOUR + 5 * HOUR
    before = market.closed_candles("ETH/BTC", "1h", until_ms=hour_end - FIVE, limit=1)
    at = market.closed_candles("ETH/BTC", "1h", until_ms=hour_end, limit=1)
    assert before[-1].close_time == hour_end - HOUR  # the hour ending at hour_end had one candle to go
    assert at[-1].close_time == hour_end


def test_the_hour_the_data_starts_inside_is_dropped(shared_data: Path) -> None:
    series = _eth(shared_data)  # starts at 04:55
    assert int(series.open_time[0]) % HOUR != 0
    hours = _market(series).closed_candles("ETH/BTC", "1h", until_ms=int(series.open_time[-1]), limit=100_000)
    assert hours[0].open_time == int(series.open_time[0]) // HOUR * HOUR + HOUR


@pytest.mark.parametrize("timeframe", ["1m", "5m"])
def test_a_timeframe_not_longer_than_the_data_s_is_refused_naming_what_is_allowed(
    shared_data: Path, timeframe: str
) -> None:
    market = _market(_eth(shared_data))
    other = "1m" if timeframe == "1m" else "3m"
    with pytest.raises(
        ValueError, match=rf"timeframe '{other}' cannot be built from '5m'.*whole multiple of 5m"
    ):
        market.closed_candles("ETH/BTC", other, until_ms=int(_eth(shared_data).open_time[-1]), limit=1)
