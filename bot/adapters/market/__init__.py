"""The offline market: synthetic or CSV-replayed candles behind the :class:`bot.core.ports.MarketData`
port."""

from bot.adapters.market.csv_replay import CsvFormatError, load_csv_series
from bot.adapters.market.factory import build_offline_market
from bot.adapters.market.offline import OfflineMarket
from bot.adapters.market.rules import derive_rules, split_symbol
from bot.adapters.market.synthetic import (
    Regime,
    SyntheticSymbol,
    generate_synthetic,
    generate_synthetic_market,
)
from bot.domain.series import CandleSeries

__all__ = [
    "CandleSeries",
    "CsvFormatError",
    "OfflineMarket",
    "Regime",
    "SyntheticSymbol",
    "build_offline_market",
    "derive_rules",
    "generate_synthetic",
    "generate_synthetic_market",
    "load_csv_series",
    "split_symbol",
]
