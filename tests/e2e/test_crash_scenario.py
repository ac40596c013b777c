"""Breakers on the sim market: a crash day stops new entries, exits keep working, the next UTC day
trades again; a deeper drawdown halts until a human resumes. Hand-made candles, a scripted strategy,
everything else (risk chain, paper broker, audit DB, trading state events) real."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.bootstrap import build_app, finish_app
from bot.app.settings import load_settings
from bot.domain import (
    IntentKind,
    MarketRules,
    OrderIntent,
    OrderType,
    Side,
    TradingState,
    TradingStatus,
    make_intent_id,
)
from bot.domain.clock import datetime_to_ms
from bot.domain.series import CandleSeries
from strategies.base import StrategyView

DAY1 = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)
CANDLES = 3 * 288  # three UTC days of 5m candles


def at(day: int, hour: int) -> datetime:
    return DAY1 + timedelta(days=day - 1, hours=hour)


def series(symbol: str, levels: Sequence[tuple[datetime, float]]) -> CandleSeries:
    """Flat candles at 100 that gap to each (time, price) level and stay there."""
    opens = np.full(CANDLES, 100.0)
    start_ms = datetime_to_ms(DAY1)
    step_ms = int(STEP.total_seconds() * 1000)
    for when, price in levels:
        opens[(datetime_to_ms(when) - start_ms) // step_ms :] = price
    return CandleSeries(
        symbol, "5m", np.arange(CANDLES, dtype=np.int64) * step_ms + start_ms,
        opens, opens + 0.05, opens - 0.05, opens.copy(), np.full(CANDLES, 10.0),
    )  # fmt: skip


def rules(symbol: str) -> MarketRules:
    base, quote = symbol.split("/")
    return MarketRules(
        symbol,
        base,
        quote,
        Decimal("0.01"),
        Decimal("0.001"),
        Decimal(10),
        Decimal("0.001"),
        Decimal("0.001"),
    )


class Script:
    """A strategy that does exactly what the test says, at the candles it says."""

    name = "script"
    timeframe = "5m"
    warmup = 1

    def __init__(self, plan: dict[tuple[datetime, str], IntentKind]) -> None:
        self._plan = plan

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        last = view.candles[-1]
        kind = self._plan.get((view.now, view.symbol))
        if kind is None or (kind is IntentKind.EXIT and view.position is None):
            return []
        entry = kind is IntentKind.ENTRY
        price = view.rules.price_from_float(last.close, is_buy=entry)
        return [
            OrderIntent(
                intent_id=make_intent_id(self.name, view.symbol, last.open_time, kind),
                strategy=self.name,
                symbol=view.symbol,
                side=Side.BUY if kind is IntentKind.ENTRY else Side.SELL,
                kind=kind,
                order_type=OrderType.LIMIT if kind is IntentKind.ENTRY else OrderType.MARKET,
                reference_price=price,
                created_at=view.now,
                reason=f"scripted {kind.value}",
                limit_price=price if kind is IntentKind.ENTRY else None,
                stop_price=view.rules.round_price_down(price * Decimal("0.98")) if entry else None,
                quantity=view.position.quantity if view.position is not None else None,
            )
        ]


def test_a_crash_day_reduces_then_a_new_day_trades_and_a_deep_drawdown_halts_until_resumed(
    tmp_path: Path, db_url: str
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        f"""
[bot]
name = "crash"
data_dir = "{tmp_path}"
database_url = "{db_url}"
[market]
symbols = ["BTC/USDT", "ETH/USDT"]
[[strategies]]
name = "ma_cross"
[risk]
max_asset_fraction = "1.0"
"""
    )
    plan = {
        (at(1, 10), "BTC/USDT"): IntentKind.ENTRY,
        (at(1, 10), "ETH/USDT"): IntentKind.ENTRY,
        (at(1, 13), "ETH/USDT"): IntentKind.EXIT,  # must pass while REDUCING
        (at(1, 14), "BTC/USDT"): IntentKind.ENTRY,  # must be denied: crash day
        (at(2, 2), "BTC/USDT"): IntentKind.ENTRY,  # a new UTC day: allowed again
        (at(2, 6), "BTC/USDT"): IntentKind.ENTRY,  # denied: halted by the drawdown
        (at(3, 2), "BTC/USDT"): IntentKind.ENTRY,  # denied: still halted the next day
        (at(3, 5), "BTC/USDT"): IntentKind.ENTRY,  # allowed: a human resumed at 03:00 (read within 20 ticks)
    }
    market = OfflineMarket(
        {
            "BTC/USDT": series("BTC/USDT", [(at(1, 12), 85.0), (at(2, 4), 60.0)]),
            "ETH/USDT": series("ETH/USDT", []),
        },
        {s: rules(s) for s in ("BTC/USDT", "ETH/USDT")},
        "5m",
    )
    app = build_app(load_settings(config), market=market, strategies=[Script(plan)])
    replay = app.daemon.replay
    states: dict[datetime, TradingState] = {}
    while not replay.finished.is_set():
        replay.step()
        now = app.engine.status.now
        assert now is not None
        states[now] = TradingState(app.engine.status.trading_state)
        if now == at(3, 3):
            resume = TradingStatus(TradingState.ACTIVE, "resumed", now)
            app.store.record_trading_state("crash", None, resume, "cli:test")
    assert replay.error is None
    report = finish_app(app, "completed")

    assert states[at(1, 11)] is TradingState.ACTIVE
    assert states[at(1, 13)] is TradingState.REDUCING  # the crash candle's stop-out lost > 3 % of the day
    assert states[at(2, 1)] is TradingState.ACTIVE  # new UTC day
    assert states[at(2, 5)] is TradingState.HALTED  # > 10 % below the peak
    assert states[at(3, 2)] is TradingState.HALTED  # halts never lift by themselves
    assert states[at(3, 5)] is TradingState.ACTIVE

    by_time = {}
    for decision in report.decisions:
        by_time.setdefault(decision.intent_id, []).append(decision)
    final = {
        (intents.created_at, intents.symbol, intents.kind): by_time[intents.intent_id][-1]
        for intents in app.store.intents(app.run_id)
    }
    assert final[(at(1, 13), "ETH/USDT", IntentKind.EXIT)].verdict.value != "denied"
    assert final[(at(1, 14), "BTC/USDT", IntentKind.ENTRY)].reason == "trading_reducing"
    assert final[(at(2, 2), "BTC/USDT", IntentKind.ENTRY)].verdict.value != "denied"
    assert final[(at(2, 6), "BTC/USDT", IntentKind.ENTRY)].reason == "trading_halted"
    assert final[(at(3, 2), "BTC/USDT", IntentKind.ENTRY)].reason == "trading_halted"
    assert final[(at(3, 5), "BTC/USDT", IntentKind.ENTRY)].verdict.value != "denied"
    assert any(f.symbol == "ETH/USDT" and f.side is Side.SELL for f in report.fills), "the exit filled"
    events = app.store.trading_state_events("crash")
    assert [(e.state, e.reason) for e in events if e.actor == "engine"][1:4] == [
        ("reducing", "daily_loss_limit"),
        ("active", "new_utc_day"),
        ("halted", "max_drawdown"),
    ]
