"""Replay real Binance candles (../shared/data) through the whole engine, driven tick by tick."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.app.bootstrap import build_app, finish_app
from bot.app.settings import load_settings
from bot.domain import OrderPurpose


def real_candles_config(
    tmp_path: Path, db_url: str, shared_data: Path, *, fast: int = 12, slow: int = 48, extra: str = ""
) -> Path:
    """ETH/BTC and LTC/BTC 5m candles from ../shared/data, one ma_cross strategy; ``extra``: more TOML."""
    config = tmp_path / "csv.toml"
    config.write_text(
        f"""
[bot]
name = "csv"
data_dir = "{tmp_path}"
database_url = "{db_url}"
quote_currency = "BTC"
[bot.starting_balances]
BTC = "1"
[market]
source = "csv"
symbols = ["ETH/BTC", "LTC/BTC"]
timeframe = "5m"
[market.csv.files]
"ETH/BTC" = "{shared_data / "ETH_BTC-5m.csv"}"
"LTC/BTC" = "{shared_data / "LTC_BTC-5m.csv"}"
[market.rules]
min_notional = "0.0001"
[[strategies]]
name = "ma_cross"
[strategies.params]
fast = {fast}
slow = {slow}
"""
        + extra
    )
    return config


def test_real_eth_btc_and_ltc_btc_candles_trade_and_account_exactly(
    tmp_path: Path, db_url: str, shared_data: Path
) -> None:
    config = real_candles_config(tmp_path, db_url, shared_data)
    app = build_app(load_settings(config), max_ticks=2500)
    app.replay.run_to_end()
    assert app.replay.error is None
    report = finish_app(app, "completed")

    assert len(report.trades) >= 3
    assert set(report.symbols_traded) == {"ETH/BTC", "LTC/BTC"}
    # Accounting identity: equity moved by exactly realized + unrealized P&L minus fees.
    assert report.final_equity is not None and report.starting_equity == Decimal(1)
    assert report.final_equity == Decimal(1) + report.realized_pnl + report.unrealized_pnl - report.fees
    broker = {c: b.total for c, b in app.broker.balances().items()}
    assert {c: v for c, v in report.balances.items() if v} == {c: v for c, v in broker.items() if v}
    stops = [o for o in app.store.orders(app.run_id) if o.purpose is OrderPurpose.STOP]
    assert stops, "every entry fill must be protected by a stop order"
