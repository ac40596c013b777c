"""DCA and grid strategies through the real engine (risk chain, paper broker, audit DB) on hand-made
candles: their positions grow buy by buy, the grid sells parts of its position, and after every candle
close one stop covers everything held that no exit is selling (DESIGN invariant 3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.bootstrap import App, build_app
from bot.app.settings import load_settings
from bot.domain import MarketRules, OrderPurpose, Side
from bot.domain.clock import datetime_to_ms
from bot.domain.series import CandleSeries
from strategies.base import Strategy
from strategies.dca import Dca, DcaParams
from strategies.grid import Grid, GridParams

SYMBOL = "ETH/USDT"
START = datetime(2024, 1, 1, tzinfo=UTC)
STEP_MS = 300_000
RULES = MarketRules(
    SYMBOL, "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal(10), Decimal("0.001"), Decimal("0.001")
)


def market_of(closes: Sequence[float]) -> OfflineMarket:
    close = np.array(closes, dtype=np.float64)
    opens = np.concatenate([close[:1], close[:-1]])
    series = CandleSeries(
        SYMBOL, "5m", np.arange(len(close), dtype=np.int64) * STEP_MS + datetime_to_ms(START), opens,
        np.maximum(opens, close) + 0.02, np.minimum(opens, close) - 0.02, close, np.full(len(close), 10.0),
    )  # fmt: skip
    return OfflineMarket({SYMBOL: series}, {SYMBOL: RULES}, "5m")


def run_checking_stops(
    tmp_path: Path, strategy: Strategy, closes: Sequence[float]
) -> tuple[App, list[Decimal]]:
    """Replay ``closes``; after every close, check the stop covers what is held and not being sold.
    Returns the app and the position's quantity after each close."""
    config = tmp_path / "bot.toml"
    config.write_text(
        f"""
[bot]
name = "accumulate"
data_dir = "{tmp_path}"
database_url = "sqlite:///{tmp_path / "audit.sqlite"}"
[market]
symbols = ["{SYMBOL}"]
[[strategies]]
name = "{strategy.name}"
"""
    )
    app = build_app(load_settings(config), market=market_of(closes), strategies=[strategy])
    held: list[Decimal] = []

    def check(_: int) -> None:
        position = app.engine.open_positions().get(SYMBOL)
        held.append(position.quantity if position is not None else Decimal(0))
        working = [o for o in app.store.orders(app.run_id) if not o.status.is_terminal]
        stops = [o for o in working if o.purpose is OrderPurpose.STOP]
        if position is None:
            assert stops == []
            return
        selling = sum((o.remaining_quantity for o in working if o.purpose is OrderPurpose.EXIT), Decimal(0))
        assert [o.remaining_quantity for o in stops] == (
            [position.quantity - selling] if selling < position.quantity else []
        )
        assert all(o.stop_price == position.stop_price for o in stops)

    app.replay.run_to_end(on_step=check)
    assert app.replay.error is None
    return app, held


def test_a_dca_position_grows_buy_by_buy_to_its_cap_under_one_stop(tmp_path: Path) -> None:
    params = DcaParams(interval=6, buy_quote=Decimal(100), max_position_quote=Decimal(450), stop_percent=0.05,
                       exit_drawdown=0.08)  # fmt: skip
    closes = list(np.linspace(100.0, 103.0, 80))
    app, held = run_checking_stops(tmp_path, Dca("dca", "5m", params), closes)

    buys = [f for f in app.store.fills(app.run_id) if f.side is Side.BUY]
    assert len(buys) == 5  # 4 whole buys of 100 USDT, then the 50 USDT left under the 450 cap
    assert held == sorted(held) and len(set(held) - {Decimal(0)}) == 5  # it only grew, buy by buy
    position = app.engine.open_positions()[SYMBOL]
    assert position.quantity == sum((f.quantity for f in buys), Decimal(0))
    assert position.quantity * Decimal(103) <= Decimal(450) * Decimal("1.03")
    # Each buy raised the whole position's stop to 5 % below the latest (the highest) buy.
    assert position.stop_price == RULES.round_price_down(buys[-1].price * Decimal("0.95"))


# Grid lines 96, 97, 98, 99, 100: the close falls from 100.5 through 99, 98 and 97 (three slices), rises
# through 98 (the slice bought at 97 is sold), falls back through 97 (bought again), then rises above 100.
GRID_CLOSES = [100.5] * 3 + [99.5, 98.5, 97.5, 96.5, 96.6, 97.6, 98.4, 96.8, 97.2, 98.2, 99.3, 100.2, 100.6]


def test_a_grid_buys_a_slice_per_line_sells_one_line_up_and_keeps_the_rest_under_one_stop(
    tmp_path: Path,
) -> None:
    params = GridParams(low=Decimal(96), high=Decimal(100), levels=5, slice_quote=Decimal(200),
                        stop_below=0.02, memory=10)  # fmt: skip
    app, held = run_checking_stops(tmp_path, Grid("grid", "5m", params), [*([100.5] * 8), *GRID_CLOSES])

    fills = app.store.fills(app.run_id)
    assert [f.side for f in fills] == [Side.BUY] * 3 + [Side.SELL, Side.BUY] + [Side.SELL] * 3
    assert max(held) == sum((f.quantity for f in fills[:3]), Decimal(0))  # three slices held at once
    partial = fills[3]
    assert 0 < partial.quantity < max(held)  # a part of the position was sold ...
    assert app.engine.open_positions() == {}  # ... and everything once the close left the range upwards
    stops = [o for o in app.store.orders(app.run_id) if o.purpose is OrderPurpose.STOP]
    assert {o.stop_price for o in stops} == {Decimal("94.08")}  # 2 % under the range, for every slice
