"""Execution options reach the daemon: trailing stops tighten, take-profits pair with stops."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.app.bootstrap import build_app, finish_app
from bot.app.settings import load_settings
from bot.domain import OrderPurpose, OrderStatus, Side


def test_a_sim_run_with_trailing_stops_and_take_profits_keeps_every_position_protected(
    tmp_path: Path, db_url: str
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        f"""
[bot]
data_dir = "{tmp_path}"
database_url = "{db_url}"
[market]
symbols = ["BTC/USDT", "ETH/USDT"]
[market.sim]
candles = 1200
[market.sim.start_prices]
"BTC/USDT" = 42000.0
"ETH/USDT" = 2300.0
[[strategies]]
name = "ma_cross"
[execution]
trailing_stop = "0.01"
take_profit_r = "2"
max_reprices = 1
"""
    )
    app = build_app(load_settings(config))
    app.replay.run_to_end()
    assert app.replay.error is None
    report = finish_app(app, "completed")
    orders = app.store.orders(app.run_id)

    take_profits = [o for o in orders if o.purpose is OrderPurpose.TAKE_PROFIT]
    assert take_profits, "every protected entry gets a take-profit"
    stops = [o for o in orders if o.purpose is OrderPurpose.STOP]
    by_intent: dict[str, list[Decimal]] = {}
    for stop in stops:
        assert stop.stop_price is not None
        by_intent.setdefault(stop.intent_id, []).append(stop.stop_price)
    assert any(len(prices) > 1 for prices in by_intent.values()), "a trailing stop was tightened"
    for prices in by_intent.values():
        assert prices == sorted(prices), "a stop only ever tightens"
    broker = {c: b.total for c, b in app.broker.balances().items() if b.total}
    assert {c: v for c, v in report.balances.items() if v} == broker
    open_positions = set(report.open_positions)
    working_stops = {o.symbol for o in orders if o.purpose is OrderPurpose.STOP and not o.status.is_terminal}
    assert open_positions <= working_stops, "every open position has a working stop"
    assert all(o.side is Side.SELL for o in stops + take_profits)
    assert any(o.status is OrderStatus.FILLED for o in stops + take_profits)
