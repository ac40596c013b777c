"""A scripted run for the journal's tests: hand-made 5m candles on ETH/USDT (flat at 100 unless a test
says otherwise) and a strategy that buys and sells exactly where the test says, through the real engine,
risk chain, paper broker and audit DB, as a daemon (``run_daemon``) or a backtest (``run_backtest``).

Paper fills without slippage (``paper.slippage_bps = 0``), so each price can be worked out by hand from
the candles (bot/adapters/paper/fill_rules.py): a buy limit at the close is marketable when the next
candle opens at that price, so it fills at once at that open, stamped at the close; a stop sells at its
stop in the first candle whose low reaches it, stamped at that candle's close; a take-profit at its
limit when a high passes it; an exit (a marketable limit) at the open of the next candle. Fees are
0.1 % of the notional, in USDT.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.event_replay import event_replay
from bot.app.bootstrap import App, build_app, finish_app
from bot.app.reporting import RunReport
from bot.app.settings import load_settings
from bot.domain import IntentKind, MarketRules, OrderIntent, OrderType, Side, make_intent_id
from bot.domain.clock import datetime_to_ms
from bot.domain.series import CandleSeries
from strategies.base import StrategyView

SYMBOL = "ETH/USDT"
START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)
CANDLES = 40
FEE = Decimal("0.001")
RULES = MarketRules(SYMBOL, "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal(10), FEE, FEE)
FLAT = (100.0, 100.2, 99.9, 100.0)  # open, high, low, close


def at(candle: int) -> datetime:
    """The close of candle ``candle``: when the strategy sees it, and when a fill in it is stamped."""
    return START + (candle + 1) * STEP


@dataclass(frozen=True)
class Buy:
    stop: str
    quantity: str
    reason: str = "scripted entry"


@dataclass(frozen=True)
class Sell:
    reason: str = "scripted exit"


class Script:
    """Buys (a limit at the close) and sells (an exit) at the candles it is given."""

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
        buy = isinstance(step, Buy)
        price = view.rules.price_from_float(last.close, is_buy=buy)
        kind = IntentKind.ENTRY if buy else IntentKind.EXIT
        held = view.position.quantity if view.position is not None else None
        return [
            OrderIntent(
                intent_id=make_intent_id(self.name, view.symbol, last.open_time, kind),
                strategy=self.name, symbol=view.symbol, side=Side.BUY if buy else Side.SELL, kind=kind,
                order_type=OrderType.LIMIT if buy else OrderType.MARKET, reference_price=price,
                created_at=view.now, reason=step.reason, limit_price=price if buy else None,
                stop_price=Decimal(step.stop) if isinstance(step, Buy) else None,
                quantity=Decimal(step.quantity) if isinstance(step, Buy) else held,
            )
        ]  # fmt: skip


def market(shapes: Mapping[int, tuple[float, float, float, float]]) -> OfflineMarket:
    """Flat candles, except ``shapes``: candle index -> (open, high, low, close)."""
    rows = np.array([shapes.get(i, FLAT) for i in range(CANDLES)], dtype=np.float64)
    step_ms = int(STEP.total_seconds() * 1000)
    series = CandleSeries(
        SYMBOL, "5m", np.arange(CANDLES, dtype=np.int64) * step_ms + datetime_to_ms(START),
        rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 2].copy(), rows[:, 3].copy(), np.full(CANDLES, 10.0),
    )  # fmt: skip
    return OfflineMarket({SYMBOL: series}, {SYMBOL: RULES}, "5m")


def config(tmp_path: Path, db_url: str, execution: str = "") -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(
        f"""
[bot]
name = "journal"
data_dir = "{tmp_path}"
database_url = "{db_url}"
[market]
symbols = ["{SYMBOL}"]
[paper]
slippage_bps = 0
[risk]
symbol_cooldown = "0s"  # trades follow each other closely here
[execution]
{execution}
[[strategies]]
name = "script"
"""
    )
    return path


def run_daemon(
    tmp_path: Path, db_url: str, shapes: Mapping[int, tuple[float, float, float, float]],
    plan: Mapping[int, Buy | Sell], execution: str = "",
) -> tuple[App, RunReport]:  # fmt: skip
    """The scripted run as ``spotbot run`` does it on an offline market: every candle close ticked."""
    settings = load_settings(config(tmp_path, db_url, execution))
    app = build_app(settings, market=market(shapes), strategies=[Script(plan)])
    app.replay.run_to_end()
    assert app.replay.error is None
    return app, finish_app(app, "completed")


def run_backtest(
    tmp_path: Path, db_url: str, shapes: Mapping[int, tuple[float, float, float, float]],
    plan: Mapping[int, Buy | Sell], execution: str = "",
) -> tuple[App, RunReport]:  # fmt: skip
    """The scripted run as ``spotbot backtest`` does it: batched journal, quiet closes skipped."""
    settings = load_settings(config(tmp_path, db_url, execution))
    candles = market(shapes)
    app = build_app(settings, market=candles, strategies=[Script(plan)], backtest=True)
    replay = event_replay(app, candles)
    replay.run_to_end()
    assert replay.error is None
    return app, finish_app(app, "completed", decisions=False)
