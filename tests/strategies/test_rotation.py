"""Basket rotation: the strongest top_n coins by momentum are bought, a holding that falls behind by
more than the band is sold, and every decision reads only candles closed by then."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from bot.adapters.market.offline import OfflineMarket
from bot.adapters.market.rules import derive_rules
from bot.domain import Candle, IntentKind, Position
from bot.domain.clock import ms_to_datetime
from bot.domain.series import CandleSeries
from strategies.base import StrategyView
from strategies.rotation import Rotation, RotationParams

STEP = 300_000
T0 = 1_704_067_200_000
BASKET = ("AAA/BTC", "BBB/BTC", "CCC/BTC")


def _series(symbol: str, closes: Sequence[float]) -> CandleSeries:
    c = np.array(closes, dtype=np.float64)
    opens = T0 + np.arange(len(c), dtype=np.int64) * STEP
    return CandleSeries(symbol, "5m", opens, c, c * 1.001, c * 0.999, c, np.ones(len(c)))


def _market(series: Sequence[CandleSeries]) -> OfflineMarket:
    rules = {
        s.symbol: derive_rules(s.symbol, s.median_close(), min_notional=Decimal("0.0001")) for s in series
    }
    return OfflineMarket({s.symbol: s for s in series}, rules, "5m")


def _view(
    market: OfflineMarket, symbol: str, close_ms: int, warmup: int, position: Position | None = None
) -> StrategyView:
    def source(of: str, timeframe: str, limit: int) -> Sequence[Candle]:
        return market.closed_candles(of, timeframe, until_ms=close_ms, limit=limit)

    candles = market.closed_candles(symbol, "5m", until_ms=close_ms, limit=warmup)
    return StrategyView(
        symbol,
        "5m",
        candles,
        position,
        market.rules(symbol),
        ms_to_datetime(close_ms),
        tuple(market.symbols()),
        source,
    )


def _position(symbol: str) -> Position:
    return Position(symbol, Decimal(1), Decimal("0.01"), ms_to_datetime(T0), stop_price=Decimal("0.0095"))


# Over 10 candles: AAA +30 %, BBB +20 %, CCC +10 %.
TRENDS = {"AAA/BTC": 0.30, "BBB/BTC": 0.20, "CCC/BTC": 0.10}
MARKET = _market([_series(s, np.linspace(0.01, 0.01 * (1 + r), 11)) for s, r in TRENDS.items()])
CLOSE = T0 + 11 * STEP
STRATEGY = Rotation("rot", "5m", RotationParams(lookback=10, top_n=2, band=0.05))


def test_the_two_strongest_of_the_basket_are_bought_with_a_stop_and_the_third_is_not() -> None:
    decided = {s: STRATEGY.on_candles(_view(MARKET, s, CLOSE, STRATEGY.warmup)) for s in BASKET}
    assert [i.kind for i in decided["AAA/BTC"]] == [IntentKind.ENTRY]
    assert [i.kind for i in decided["BBB/BTC"]] == [IntentKind.ENTRY]
    assert decided["CCC/BTC"] == []
    entry = decided["AAA/BTC"][0]
    assert entry.stop_price is not None and entry.stop_price < entry.reference_price
    assert entry.quantity is None, "the risk chain sizes it"


def test_a_holding_that_slips_to_third_by_less_than_the_band_is_kept_and_by_more_is_sold() -> None:
    assert STRATEGY.momentum(_view(MARKET, "CCC/BTC", CLOSE, STRATEGY.warmup))["CCC/BTC"] == pytest.approx(
        0.10
    )
    # CCC trails the second best (BBB, +20 %) by 10 points: more than the 5-point band
    sold = STRATEGY.on_candles(_view(MARKET, "CCC/BTC", CLOSE, STRATEGY.warmup, _position("CCC/BTC")))
    assert [(i.kind, i.reason) for i in sold] == [(IntentKind.EXIT, "rotation_fell_behind")]
    wide = Rotation("rot", "5m", RotationParams(lookback=10, top_n=2, band=0.15))
    kept = wide.on_candles(_view(MARKET, "CCC/BTC", CLOSE, wide.warmup, _position("CCC/BTC")))
    assert kept == []


def test_a_falling_coin_is_not_bought_even_in_the_top_n() -> None:
    falling = _market([_series(s, np.linspace(0.01, 0.01 * (1 - r), 11)) for s, r in TRENDS.items()])
    assert all(STRATEGY.on_candles(_view(falling, s, CLOSE, STRATEGY.warmup)) == [] for s in BASKET)


def test_a_basket_symbol_without_enough_history_is_left_out_of_the_ranking() -> None:
    short = _series("BBB/BTC", np.linspace(0.01, 0.012, 5))  # five candles only
    market = _market(
        [
            _series("AAA/BTC", np.linspace(0.01, 0.013, 11)),
            short,
            _series("CCC/BTC", np.linspace(0.01, 0.011, 11)),
        ]
    )
    assert set(STRATEGY.momentum(_view(market, "AAA/BTC", CLOSE, STRATEGY.warmup))) == {"AAA/BTC", "CCC/BTC"}
    assert STRATEGY.on_candles(_view(market, "CCC/BTC", CLOSE, STRATEGY.warmup)) != [], "now second of two"


def _shared(shared_data: Path, symbol: str) -> CandleSeries:
    with (shared_data / f"{symbol.replace('/', '_')}-5m.csv").open() as f:
        rows = list(csv.DictReader(f))
    cols = {k: np.array([float(r[k]) for r in rows]) for k in ("open", "high", "low", "close", "volume")}
    return CandleSeries(symbol, "5m", np.array([int(r["timestamp"]) for r in rows], dtype=np.int64), **cols)


def _cut(series: CandleSeries, close_ms: int) -> CandleSeries:
    keep = series.open_time + STEP <= close_ms
    return CandleSeries(series.symbol, "5m", series.open_time[keep], series.open[keep], series.high[keep],
                        series.low[keep], series.close[keep], series.volume[keep])  # fmt: skip


def test_decisions_on_real_candles_are_the_same_when_every_later_candle_is_removed(shared_data: Path) -> None:
    symbols = ("ETH/BTC", "LTC/BTC", "ETC/BTC", "XLM/BTC")
    full = [_shared(shared_data, s) for s in symbols]
    market = _market(full)
    strategy = Rotation("rot", "5m", RotationParams(lookback=48, top_n=2, band=0.01))
    closes = market.timeline()[strategy.warmup :: 97][:40]
    decided = 0
    for close_ms in closes.tolist():
        cut = _market([_cut(s, close_ms) for s in full])
        for symbol in symbols:
            for position in (None, _position(symbol)):
                seen = strategy.on_candles(_view(market, symbol, close_ms, strategy.warmup, position))
                alone = strategy.on_candles(_view(cut, symbol, close_ms, strategy.warmup, position))
                assert seen == alone, f"{symbol} at {datetime.fromtimestamp(close_ms / 1000, UTC)}"
                decided += bool(seen)
    assert decided > 0, "the sample holds decisions"
