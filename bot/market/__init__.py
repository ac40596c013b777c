"""The offline market: synthetic or CSV-replayed candles behind the :class:`bot.ports.MarketData` port."""

from bot.market.csv_replay import CsvFormatError, load_csv_series
from bot.market.factory import build_offline_market
from bot.market.offline import OfflineMarket
from bot.market.rules import derive_rules, split_symbol
from bot.market.series import CandleSeries
from bot.market.synthetic import Regime, SyntheticSymbol, generate_synthetic, generate_synthetic_market

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
