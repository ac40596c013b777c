"""No look-ahead in an event-driven backtest: the planner looks ahead to decide *when* to tick the
engine, never *what* it decides. A strategy shown only its candidate candles still sees only candles
closed by then, and its orders fill later, never on the candle it decided on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.event_replay import event_replay
from bot.app.bootstrap import build_app, finish_app
from bot.app.settings import load_settings
from bot.domain import MarketRules, OrderIntent, OrderPurpose
from bot.domain.clock import datetime_to_ms
from bot.domain.series import CandleSeries
from strategies.base import StrategyView
from strategies.ma_crossover import MaCrossover, MaCrossoverParams

START = datetime_to_ms(datetime(2024, 1, 1, tzinfo=UTC))
STEP_MS = 300_000
CANDLES = 3000
SPIKE_AT = 1700


class SpyCrossover(MaCrossover):
    """The real crossover (and its scan), recording what each call could see."""

    def __init__(self) -> None:
        super().__init__("spy", "5m", MaCrossoverParams(fast=5, slow=20, ma="sma", stop="percent"))
        self.seen: list[tuple[int, int, float]] = []  # (now, newest close seen, highest high seen)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        self.seen.append(
            (datetime_to_ms(view.now), view.candles[-1].close_time, max(c.high for c in view.candles))
        )
        return super().on_candles(view)


def test_a_planted_spike_stays_unseen_until_it_closes_and_orders_fill_after_their_decision(
    tmp_path: Path,
) -> None:
    closes = 100 * np.exp(np.cumsum(np.random.default_rng(4).normal(0, 0.003, CANDLES)))
    opens = np.concatenate(([100.0], closes[:-1]))
    highs, lows = np.maximum(opens, closes) * 1.001, np.minimum(opens, closes) * 0.999
    highs[SPIKE_AT] = 10_000.0
    times = START + np.arange(CANDLES, dtype=np.int64) * STEP_MS
    series = CandleSeries("BTC/USDT", "5m", times, opens, highs, lows, closes, np.ones(CANDLES))
    fee = Decimal("0.001")
    rules = MarketRules("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal(10), fee, fee)
    market = OfflineMarket({"BTC/USDT": series}, {"BTC/USDT": rules}, "5m")
    config = tmp_path / "bot.toml"
    config.write_text(f'[bot]\ndata_dir = "{tmp_path}"\n[market]\nsymbols = ["BTC/USDT"]\n'
                      '[[strategies]]\nname = "spy"\n[risk]\nmax_drawdown = "0.5"\n')  # fmt: skip
    spy = SpyCrossover()
    app = build_app(load_settings(config, env={}), market=market, strategies=[spy], backtest=True)
    replay = event_replay(app, market, shadow=False)  # this test counts what the skipping shows
    replay.run_to_end()
    assert replay.error is None
    report = finish_app(app, "completed")

    spike_closes = START + (SPIKE_AT + 1) * STEP_MS
    assert 0 < len(spy.seen) < CANDLES / 4, "the strategy was shown its candidate candles only"
    assert all(newest == now for now, newest, _ in spy.seen), "it decided on the candle that just closed"
    assert all(high < 10_000 for now, _, high in spy.seen if now < spike_closes)
    window_ms = spy.warmup * STEP_MS
    covering = [high for now, _, high in spy.seen if now - window_ms < spike_closes <= now]
    assert all(high == 10_000 for high in covering), "a window holding the spike shows it"
    assert any(now >= spike_closes for now, _, _ in spy.seen), "the strategy ran after the spike"
    entries = {o.client_order_id: o for o in app.store.orders(app.run_id) if o.purpose is OrderPurpose.ENTRY}
    entry_fills = [f for f in report.fills if f.client_order_id in entries]
    assert entry_fills, "the window should trade"
    for fill in entry_fills:
        assert fill.occurred_at > entries[fill.client_order_id].created_at, "filled on a later candle"
    app.store.close()
