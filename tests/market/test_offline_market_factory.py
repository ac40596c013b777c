"""build_offline_market: plain parameters in, a synthetic or replayed market out."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from bot.adapters.market import build_offline_market

START = 1_704_067_200_000


def test_synthetic_market_with_start_prices_and_rules() -> None:
    market = build_offline_market(
        symbols=["BTC/USDT", "ETH/USDT"],
        timeframe="5m",
        seed=42,
        candles=500,
        start_ms=START,
        start_prices={"BTC/USDT": 40_000.0, "ETH/USDT": 2_500.0},
        min_notional=Decimal(10),
        maker_fee=Decimal("0.0005"),
        rule_overrides={"BTC/USDT": {"tick_size": Decimal("0.01")}},
    )
    assert market.timeframe == "5m"
    assert market.first_close_ms() == START + 300_000
    assert market.last_close_ms() == START + 500 * 300_000
    assert market.current_price("BTC/USDT", START) == 40_000.0
    assert market.rules("BTC/USDT").tick_size == Decimal("0.01")
    assert market.rules("ETH/USDT").maker_fee == Decimal("0.0005")
    assert market.rules("ETH/USDT").taker_fee == Decimal("0.001")


def test_same_parameters_build_the_same_market() -> None:
    def build() -> np.ndarray:
        market = build_offline_market(symbols=["BTC/USDT"], timeframe="1h", seed=9, candles=300)
        return market.series("BTC/USDT").close

    assert np.array_equal(build(), build())


def test_min_notional_by_quote_currency() -> None:
    market = build_offline_market(
        symbols=["ETH/BTC", "BTC/USDT"],
        timeframe="5m",
        candles=50,
        start_prices={"ETH/BTC": 0.05, "BTC/USDT": 40_000.0},
        min_notional={"BTC": Decimal("0.0001"), "USDT": Decimal(5)},
    )
    assert market.rules("ETH/BTC").min_notional == Decimal("0.0001")
    assert market.rules("BTC/USDT").min_notional == Decimal(5)
    with pytest.raises(ValueError, match=r"no value for quote currency 'USDT'"):
        build_offline_market(
            symbols=["BTC/USDT"], timeframe="5m", candles=50, min_notional={"BTC": Decimal("0.0001")}
        )


def test_parameters_for_unknown_symbols_are_errors() -> None:
    with pytest.raises(ValueError, match=r"start_prices: unknown symbols \['ETH/USDT'\]"):
        build_offline_market(symbols=["BTC/USDT"], timeframe="5m", start_prices={"ETH/USDT": 1.0})
    with pytest.raises(ValueError, match=r"unknown timeframe '7m'"):
        build_offline_market(symbols=["BTC/USDT"], timeframe="7m")
    with pytest.raises(ValueError, match="not aligned"):
        build_offline_market(symbols=["BTC/USDT"], timeframe="1h", start_ms=START + 1)


def test_every_replayed_symbol_needs_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"symbols without a file \['LTC/BTC'\]"):
        build_offline_market(
            symbols=["ETH/BTC", "LTC/BTC"], timeframe="5m", csv_files={"ETH/BTC": tmp_path / "ETH_BTC-5m.csv"}
        )
