"""Strategies with a planted flaw, each the real crossover (and its scan) but for one thing, and the
candles they are checked on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.market.factory import build_offline_market
from bot.adapters.market.offline import OfflineMarket
from bot.app.check_strategy.markets import cut_after
from bot.domain import OrderIntent
from strategies.base import Candidates, CandleColumns, StrategyView
from strategies.ma_crossover import MaCrossover, MaCrossoverParams

SYMBOL = "ETH/BTC"
CANDLES = 700  # of the 5,760 in the file: enough crosses, a quick check
PARAMS = MaCrossoverParams(fast=5, slow=20)  # warmup 80: an EMA window of 4 x 20


OTHER = "LTC/BTC"


def eth_btc(data: Path, candles: int = CANDLES, *, with_ltc: bool = False) -> OfflineMarket:
    """The first ``candles`` real ETH/BTC 5m candles (and LTC/BTC's of the same time)."""
    symbols = [SYMBOL, OTHER] if with_ltc else [SYMBOL]
    market = build_offline_market(
        symbols=symbols,
        timeframe="5m",
        csv_files={symbol: data / f"{symbol.replace('/', '_')}-5m.csv" for symbol in symbols},
        min_notional=Decimal("0.0001"),
    )
    return cut_after(market, SYMBOL, candles - 1)


class Crossover(MaCrossover):
    def __init__(self) -> None:
        super().__init__("planted", "5m", PARAMS)


class PeeksNaively(Crossover):
    """Reads the next close through the window's series, unguarded: fails once that candle is missing."""

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        window = view.candles
        next_close = window._series.close[window._stop]  # type: ignore[attr-defined]
        intents = super().on_candles(view)
        return intents if next_close >= window[-1].close else []


class PeeksCarefully(Crossover):
    """Reads the next close through the window's series where there is one, to skip entries before a fall."""

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        window = view.candles
        series, stop = window._series, window._stop  # type: ignore[attr-defined]
        intents = super().on_candles(view)
        if stop < len(series) and series.close[stop] < window[-1].close:
            return []
        return intents


class RollsTheScan(Crossover):
    """Keeps only the entry candidates whose next close is higher: ``np.roll(-1)`` reads the future."""

    def scan_candidates(self, candles: CandleColumns) -> Candidates:
        found = super().scan_candidates(candles)
        rises = np.roll(candles.close, -1) > candles.close
        return Candidates(flat=found.flat[rises[found.flat]], holding=found.holding)


class CountsCalls(Crossover):
    """Stays out for its first 300 calls: a warm-up counted in calls, so where the data starts matters."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        self.calls += 1
        intents = super().on_candles(view)
        return intents if self.calls > 300 else []


class ForgetsExits(Crossover):
    """A scan that leaves out every exit candidate: backtests would never sell on a cross down."""

    def scan_candidates(self, candles: CandleColumns) -> Candidates:
        return Candidates(flat=super().scan_candidates(candles).flat, holding=np.empty(0, dtype=np.int64))


class WithoutScan:
    """The crossover's decisions without its scan (a strategy need not have one)."""

    def __init__(self) -> None:
        self._inner = Crossover()
        self.name, self.timeframe, self.warmup = "no_scan", "5m", self._inner.warmup

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        return self._inner.on_candles(view)


class ReadsItsBasketAndHours(Crossover):
    """Enters only while LTC/BTC rose over the last hour and the last closed 1h ETH/BTC candle is green:
    other symbols and a longer timeframe through ``view.closed``, as of the close (no flaw)."""

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        intents = super().on_candles(view)
        if view.position is not None or not intents:
            return intents
        ltc = view.closed(OTHER, limit=13)
        hours = view.closed(timeframe="1h", limit=1)
        rising = len(ltc) == 13 and ltc[-1].close > ltc[0].close
        green = len(hours) == 1 and hours[-1].close > hours[-1].open
        return intents if rising and green else []
