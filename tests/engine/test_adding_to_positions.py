"""Adding to a position and selling part of one (DCA and grid strategies do both), through the real engine:
risk chain, paper broker, audit DB; hand-made candles and a scripted strategy.

DESIGN invariant 3: every position has a stop from the moment it is opened until it is closed. So a second
buy must leave one stop covering the whole (larger) position, and a partial sale one covering the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.bootstrap import App, build_app
from bot.app.settings import load_settings
from bot.domain import (
    IntentKind,
    MarketRules,
    Order,
    OrderIntent,
    OrderPurpose,
    OrderType,
    Side,
    make_intent_id,
)
from bot.domain.clock import datetime_to_ms
from bot.domain.series import CandleSeries
from strategies.base import StrategyView

SYMBOL = "ETH/USDT"
START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)
CANDLES = 60
RULES = MarketRules(
    SYMBOL, "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal(10), Decimal("0.001"), Decimal("0.001")
)


def at(candle: int) -> datetime:
    """The close of candle ``candle``: when the strategy sees it."""
    return START + (candle + 1) * STEP


@dataclass(frozen=True)
class Buy:
    stop: str
    quantity: str


@dataclass(frozen=True)
class Sell:
    quantity: str


class Script:
    """Buys and sells exactly what the test says, at the candles it says (price flat at 100)."""

    name = "script"
    timeframe = "5m"
    warmup = 1

    def __init__(self, plan: Mapping[int, Buy | Sell]) -> None:
        self._plan = {at(candle): step for candle, step in plan.items()}

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        step = self._plan.get(view.now)
        if step is None:
            return []
        last = view.candles[-1]
        price = view.rules.price_from_float(last.close, is_buy=isinstance(step, Buy))
        kind = IntentKind.ENTRY if isinstance(step, Buy) else IntentKind.EXIT
        return [
            OrderIntent(
                intent_id=make_intent_id(self.name, view.symbol, last.open_time, kind),
                strategy=self.name,
                symbol=view.symbol,
                side=Side.BUY if isinstance(step, Buy) else Side.SELL,
                kind=kind,
                order_type=OrderType.LIMIT if isinstance(step, Buy) else OrderType.MARKET,
                reference_price=price,
                created_at=view.now,
                reason=f"scripted {kind.value}",
                limit_price=price if isinstance(step, Buy) else None,
                stop_price=Decimal(step.stop) if isinstance(step, Buy) else None,
                quantity=Decimal(step.quantity),
            )
        ]


def flat_market() -> OfflineMarket:
    prices = np.full(CANDLES, 100.0)
    start_ms = datetime_to_ms(START)
    step_ms = int(STEP.total_seconds() * 1000)
    series = CandleSeries(
        SYMBOL, "5m", np.arange(CANDLES, dtype=np.int64) * step_ms + start_ms,
        prices, prices + 0.05, prices - 0.05, prices.copy(), np.full(CANDLES, 10.0),
    )  # fmt: skip
    return OfflineMarket({SYMBOL: series}, {SYMBOL: RULES}, "5m")


def run(tmp_path: Path, plan: Mapping[int, Buy | Sell]) -> App:
    config = tmp_path / "bot.toml"
    config.write_text(
        f"""
[bot]
name = "adds"
data_dir = "{tmp_path}"
database_url = "sqlite:///{tmp_path / "audit.sqlite"}"
[market]
symbols = ["{SYMBOL}"]
[[strategies]]
name = "script"
"""
    )
    app = build_app(load_settings(config), market=flat_market(), strategies=[Script(plan)])
    app.replay.run_to_end()
    assert app.replay.error is None
    return app


def working_stops(app: App) -> list[Order]:
    orders = app.store.orders(app.run_id)
    return [o for o in orders if o.purpose is OrderPurpose.STOP and not o.status.is_terminal]


def test_a_second_buy_is_allowed_and_one_stop_then_covers_the_whole_position(tmp_path: Path) -> None:
    app = run(tmp_path, {5: Buy("98", "2"), 10: Buy("97", "3")})

    position = app.engine.open_positions()[SYMBOL]
    assert position.quantity == Decimal(5)
    [stop] = working_stops(app)
    assert stop.remaining_quantity == position.quantity
    assert stop.stop_price == Decimal(98) == position.stop_price  # never loosened by an add


def test_selling_part_of_a_position_leaves_a_stop_on_the_rest(tmp_path: Path) -> None:
    app = run(tmp_path, {5: Buy("98", "2"), 10: Buy("97", "3"), 15: Sell("2")})

    position = app.engine.open_positions()[SYMBOL]
    assert position.quantity == Decimal(3)
    [stop] = working_stops(app)
    assert stop.remaining_quantity == Decimal(3)
    assert stop.stop_price == Decimal(98)
