"""The same candles give the same journal in the daemon and in the backtest (DESIGN invariant 9): the
backtest skips quiet closes, yet each round trip's price range is read over its whole holding period,
so MAE and MFE agree with the daemon's, as do the ids, reasons, R and holding times. And a venue's
market (candles fetched, no numpy series) gives the same range as an offline one."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.app.report_json import report_to_json
from bot.core.excursions import price_excursion
from bot.domain import Candle, MarketRules
from tests.journal.scripted import SYMBOL, Buy, Sell, at, market, run_backtest, run_daemon

SHAPES = {
    8: (100, 120.5, 99.9, 120), 9: (120, 120.2, 119.9, 120), 10: (120, 120.2, 110, 112),  # trailed, stopped
    14: (100, 100.2, 97, 100), 17: (100, 111, 99.9, 104),  # a dip and a spike in the second trade
    24: (104, 104.3, 93, 96),  # a stop-out in the third
}  # fmt: skip
# An exit with nothing left to sell (the stop or take-profit sold it) is denied: data, not an error.
PLAN = {5: Buy("95", "2"), 11: Sell("first done"), 13: Buy("95", "2", "again"), 19: Sell("done"),
        21: Buy("94", "1", "third")}  # fmt: skip


def journal(trades: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in t.items() if k != "notes"} for t in trades]


@pytest.mark.parametrize("execution", ["", 'trailing_stop = "0.05"', "take_profit_r = 1"])
def test_a_backtest_writes_the_same_journal_as_the_daemon(tmp_path: Path, execution: str) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "b").mkdir()
    url = f"sqlite:///{tmp_path / 'daemon.sqlite'}"
    _, daemon = run_daemon(tmp_path / "d", url, SHAPES, PLAN, execution)
    _, backtest = run_backtest(tmp_path / "b", f"sqlite:///{tmp_path / 'backtest.sqlite'}", SHAPES, PLAN,
                               execution)  # fmt: skip

    ran = journal(report_to_json(daemon)["trades"])
    assert len(ran) == 3 and all(t["mae"] is not None for t in ran)
    assert journal(report_to_json(backtest)["trades"]) == ran


class FetchedMarket:
    """A venue's market as the engine sees it: closed candles on request, no numpy series."""

    venue = "fake"

    def __init__(self, candles: list[Candle]) -> None:
        self._candles = candles

    def symbols(self) -> Sequence[str]:
        return [SYMBOL]

    def rules(self, symbol: str) -> MarketRules:
        raise NotImplementedError

    def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int) -> Sequence[Candle]:
        closed = [c for c in self._candles if c.close_time <= until_ms]
        return closed[-limit:]

    def current_price(self, symbol: str, at_ms: int) -> float | None:
        return None


def test_a_venue_market_gives_the_range_an_offline_market_gives() -> None:
    offline = market(SHAPES)
    fetched = FetchedMarket(offline.series(SYMBOL).candles(0, 40))

    for opened, closed in [(5, 10), (12, 19), (13, 13), (21, 24)]:
        series_range = price_excursion(offline, SYMBOL, "5m", at(opened), at(closed))
        fetched_range = price_excursion(fetched, SYMBOL, "5m", at(opened), at(closed))
        assert fetched_range == series_range
    dip = price_excursion(offline, SYMBOL, "5m", at(12), at(19))
    assert (dip.candles, dip.lowest, dip.highest) == (7, 97, 111)  # candles 13..19 by hand
    empty = price_excursion(offline, SYMBOL, "5m", at(13), at(13))
    assert (empty.candles, empty.lowest, empty.highest) == (0, None, None)
