"""Two sim runs into one audit DB: each keeps all its fills, and the same seed gives the same trades."""

from __future__ import annotations

from pathlib import Path

from bot.app.bootstrap import build_app, finish_app
from bot.app.reporting import RunReport
from bot.app.settings import load_settings


def run_once(config: Path, max_ticks: int) -> RunReport:
    app = build_app(load_settings(config), max_ticks=max_ticks)
    app.replay.run_to_end()
    assert app.replay.error is None
    return finish_app(app, "completed")


def test_a_second_run_in_the_same_db_keeps_its_own_fills_and_repeats_the_first(
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
candles = 700
[market.sim.start_prices]
"BTC/USDT" = 42000.0
"ETH/USDT" = 2300.0
[[strategies]]
name = "ma_cross"
"""
    )
    first = run_once(config, 600)
    second = run_once(config, 600)
    assert first.fills, "the replay should trade"
    assert second.run.id != first.run.id
    assert len(second.fills) == len(first.fills)
    assert [(f.symbol, f.side, f.price, f.quantity) for f in second.fills] == [
        (f.symbol, f.side, f.price, f.quantity) for f in first.fills
    ]
    assert second.final_equity == first.final_equity
