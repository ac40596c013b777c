"""The equity curve rebuilt from fills and candles is the equity the engine marks at every close."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.curve import equity_curve
from bot.app.bootstrap import build_app, build_market, finish_app
from bot.app.settings import load_settings
from bot.domain import Fill, Liquidity, MarketRules, Side
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from bot.domain.series import CandleSeries

STEP_MS = 300_000
T0 = datetime_to_ms(datetime(2024, 1, 1, tzinfo=UTC))


def market_of(closes: list[float]) -> OfflineMarket:
    n = len(closes)
    c = np.array(closes, dtype=np.float64)
    series = CandleSeries("X/USDT", "5m", T0 + np.arange(n, dtype=np.int64) * STEP_MS, c, c + 1, c - 1, c,
                          np.ones(n))  # fmt: skip
    one = Decimal("0.01")
    rules = MarketRules("X/USDT", "X", "USDT", one, one, one, Decimal("0.001"), Decimal("0.001"))
    return OfflineMarket({"X/USDT": series}, {"X/USDT": rules}, "5m")


def fill(side: Side, price: str, quantity: str, fee: str, close: int) -> Fill:
    return Fill("paper", f"t{close}{side}", "c", "X/USDT", side, Decimal(price), Decimal(quantity),
                Decimal(fee), "USDT", Liquidity.TAKER, ms_to_datetime(T0 + close * STEP_MS))  # fmt: skip


def test_cash_and_positions_at_the_last_close_from_each_fill_on() -> None:
    market = market_of([10, 11, 12, 9])
    closes = [T0 + (i + 1) * STEP_MS for i in range(4)]
    fills = [fill(Side.BUY, "10", "2", "0.02", 2), fill(Side.SELL, "12", "2", "0.024", 4)]
    curve = equity_curve(closes, market, fills, {"USDT": Decimal(100)}, "USDT")
    # close 1: untouched; close 2: 100 - 20.02 cash + 2 x 11; close 3: 2 x 12; close 4: sold at 12
    assert curve.tolist() == pytest.approx([100, 79.98 + 22, 79.98 + 24, 79.98 + 24 - 0.024])


def test_the_curve_equals_the_snapshots_of_a_run_that_ticked_every_close(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\n[market]\nsymbols = ["BTC/USDT", "ETH/USDT"]\n[market.sim]\n'
        'candles = 1500\n[market.sim.start_prices]\n"BTC/USDT" = 42000.0\n"ETH/USDT" = 2300.0\n'
        '[[strategies]]\nname = "ma"\n'
    )
    settings = load_settings(config, env={})
    app = build_app(settings)
    app.replay.run_to_end()
    report = finish_app(app, "completed")
    assert len(report.fills) > 10
    closes = np.array(app.replay.close_times_ms, dtype=np.int64)
    snapshots = app.store.equity_snapshots(app.run_id)
    taken = np.array([datetime_to_ms(s.taken_at) for s in snapshots])
    latest = np.searchsorted(taken, closes, side="right") - 1
    recorded = np.array([float(s.equity) for s in snapshots])[latest]
    market = build_market(settings)  # the same seeded candles the run traded on
    curve = equity_curve(closes.tolist(), market, report.fills, settings.bot.starting_balances, "USDT")
    np.testing.assert_allclose(curve, recorded, rtol=1e-12)
