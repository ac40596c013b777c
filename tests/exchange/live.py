"""A live or paper bot on the fake Binance through the real ccxt client: configs, a test strategy, ticks.

``live_settings`` writes a live config (keys in the environment, STOP_LOSS_LIMIT stops) for the fake;
``start`` builds the whole app with :class:`EnterWhenFlat`, which buys whenever it holds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app.bootstrap import App, build_app
from bot.app.settings import load_settings
from bot.domain import IntentKind, OrderIntent, OrderType, Side, make_intent_id
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from strategies.base import Strategy, StrategyView
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange
from tests.fake_exchange.market_data import candles_ending_now

MINUTE_MS = 60_000


class EnterWhenFlat:
    """Buys once at the last close with a 2 % stop whenever it holds nothing."""

    name = "enter_when_flat"
    timeframe = "1m"
    warmup = 3

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        if view.position is not None:
            return []
        last = view.candles[-1]
        price = view.rules.price_from_float(last.close, is_buy=True)
        return [
            OrderIntent(
                intent_id=make_intent_id(self.name, view.symbol, last.open_time, "entry"),
                strategy=self.name,
                symbol=view.symbol,
                side=Side.BUY,
                kind=IntentKind.ENTRY,
                order_type=OrderType.LIMIT,
                reference_price=price,
                created_at=view.now,
                reason="test",
                limit_price=price,
                stop_price=view.rules.round_price_down(price * Decimal("0.98")),
            )
        ]


def config(tmp_path: Path, db_url: str, url: str, mode: str = "paper") -> Path:
    path = tmp_path / "exchange.toml"
    path.write_text(
        f"""
[bot]
name = "onfake"
mode = "{mode}"
data_dir = "{tmp_path}"
database_url = "{db_url}"
[bot.starting_balances]
USDT = "10000"
[market]
source = "exchange"
symbols = ["BTC/USDT"]
timeframe = "1m"
[exchange]
id = "binance"
url = "{url}"
[[strategies]]
name = "ma_cross"
[risk]
max_asset_fraction = "1.0"
"""
    )
    return path


def last_close() -> datetime:
    now_ms = datetime_to_ms(datetime.now(tz=UTC))
    return ms_to_datetime(now_ms // MINUTE_MS * MINUTE_MS)


def prepare(fake: FakeExchange, price: str = "60000") -> None:
    fake.set_candles("BTCUSDT", "1m", candles_ending_now([price] * 40, "1m"))
    fake.set_price("BTCUSDT", price)


def start(path: Path, strategy: Strategy | None = None) -> App:
    return build_app(load_settings(path), strategies=[strategy or EnterWhenFlat()])


def live_settings(tmp_path: Path, db_url: str, fake: FakeExchange, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPOTBOT_EXCHANGE__API_KEY", API_KEY)
    monkeypatch.setenv("SPOTBOT_EXCHANGE__API_SECRET", API_SECRET)
    monkeypatch.setenv("SPOTBOT_EXECUTION__STOP_ORDER", "stop_limit")
    prepare(fake)
    return config(tmp_path, db_url, fake.url, mode="live")


def monitor_until(app: App, done: Callable[[], bool], what: str, limit_s: float = 30.0) -> None:
    """Run the daemon's monitor job again and again until ``done()`` (an event), failing after ``limit_s``."""
    deadline = time.monotonic() + limit_s
    while True:
        app.engine.monitor()
        if done():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {limit_s:.0f} s")
        time.sleep(0.1)


def sends_of(fake: FakeExchange, client_order_id: str) -> int:
    """How many placement requests under ``client_order_id`` reached the venue (executed or not)."""
    posts = fake.log(path="/api/v3/order", method="POST")
    return sum(1 for p in posts if p["params"].get("newClientOrderId") == client_order_id)
