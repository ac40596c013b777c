"""No look-ahead: a strategy at candle t sees only candles closed by t; its orders fill at t+1 or later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.app.bootstrap import build_app, finish_app
from bot.app.settings import load_settings
from bot.domain import IntentKind, MarketRules, OrderIntent, OrderType, Side, make_intent_id
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from bot.domain.series import CandleSeries
from strategies.base import StrategyView

START = datetime(2024, 1, 1, tzinfo=UTC)
STEP_MS = 300_000
CANDLES = 200
SPIKE_AT = 120  # the candle whose high is 1000: nobody may see it before it closes
BUY_AT = 100  # the strategy buys at this candle's close


class Spy:
    name = "spy"
    timeframe = "5m"
    warmup = 10

    def __init__(self) -> None:
        self.seen: list[tuple[datetime, int, float]] = []  # (now, newest close time seen, highest high seen)

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        last = view.candles[-1]
        self.seen.append((view.now, last.close_time, max(c.high for c in view.candles)))
        index = (last.open_time - datetime_to_ms(START)) // STEP_MS
        if index != BUY_AT or view.position is not None:
            return []
        price = view.rules.price_from_float(last.close, is_buy=True)
        return [
            OrderIntent(
                intent_id=make_intent_id(self.name, view.symbol, last.open_time, "entry"),
                strategy=self.name,
                symbol=view.symbol,
                side=Side.BUY,
                kind=IntentKind.ENTRY,
                order_type=OrderType.MARKET,
                reference_price=price,
                created_at=view.now,
                reason="spy",
                stop_price=view.rules.round_price_down(price * Decimal("0.95")),
            )
        ]


def test_a_planted_future_spike_is_invisible_until_it_closes_and_orders_fill_on_the_next_candle(
    tmp_path: Path, db_url: str
) -> None:
    opens = 100 + np.arange(CANDLES) * 0.01  # a gentle rise: each candle opens a little higher
    highs = opens + 0.05
    highs[SPIKE_AT] = 1000.0
    series = CandleSeries(
        "BTC/USDT", "5m", np.arange(CANDLES, dtype=np.int64) * STEP_MS + datetime_to_ms(START),
        opens, highs, opens - 0.05, opens + 0.005, np.full(CANDLES, 5.0),
    )  # fmt: skip
    fee = Decimal("0.001")
    rules = MarketRules("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal(10), fee, fee)
    market = OfflineMarket({"BTC/USDT": series}, {"BTC/USDT": rules}, "5m")
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\ndatabase_url = "{db_url}"\n'
        '[market]\nsymbols = ["BTC/USDT"]\n[[strategies]]\nname = "ma_cross"\n'
        '[execution]\nentry_order = "market"\n'
    )
    spy = Spy()
    app = build_app(load_settings(config), market=market, strategies=[spy])
    app.replay.run_to_end()
    report = finish_app(app, "completed")

    spike_closes = ms_to_datetime(datetime_to_ms(START) + (SPIKE_AT + 1) * STEP_MS)
    assert all(newest <= datetime_to_ms(now) for now, newest, _ in spy.seen), "a forming candle was seen"
    assert all(high < 1000 for now, _, high in spy.seen if now < spike_closes)
    assert any(high == 1000 for now, _, high in spy.seen if now >= spike_closes)

    decided_at = START + timedelta(milliseconds=(BUY_AT + 1) * STEP_MS)  # the close of candle BUY_AT
    [buy] = [f for f in report.fills if f.side is Side.BUY]
    assert buy.occurred_at >= decided_at
    next_open = Decimal(repr(float(opens[BUY_AT + 1])))
    assert buy.price >= next_open, "filled at the next candle's open (plus slippage), not the close it saw"
