"""The chaos test's daemon: the real live engine against the fake exchange, ticking as fast as it can.

``python -m tests.chaos.driver --config FILE --url URL --seed N --iterations N [--settle]``

A real daemon ticks once per candle; to put hundreds of decisions through the fault-injected exchange
in seconds, this driver calls the same ``engine.tick`` / ``engine.monitor`` in a loop, refreshing the
fake's candles so the newest one always just closed, and moving the price at random. The strategy flips:
flat -> a marketable entry with a 2 % stop; holding -> an exit. Decisions are keyed to the wall-clock
second, so a restart within the same second re-makes the same decision (and must not send it twice).
``--settle`` only monitors (no new decisions): the final pass after the kills, to let every order and
fill reach the audit DB.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.bootstrap import build_app
from bot.clock import datetime_to_ms, ms_to_datetime
from bot.domain import IntentKind, OrderIntent, OrderType, Side, make_intent_id
from bot.logging_setup import configure_logging
from bot.settings import load_settings
from strategies.base import StrategyView
from tests.fake_exchange.fixture import RemoteFakeExchange
from tests.fake_exchange.market_data import candles_ending_now

MINUTE_MS = 60_000


class Flipper:
    name = "flipper"
    timeframe = "1m"
    warmup = 3

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        second = datetime_to_ms(view.now) // 1000
        price = view.rules.price_from_float(view.candles[-1].close, is_buy=view.position is None)
        if view.position is None:
            kind, side = IntentKind.ENTRY, Side.BUY
            limit = view.rules.round_price_down(price * Decimal("1.002"))  # marketable: fills at once
            stop = view.rules.round_price_down(price * Decimal("0.98"))
        else:
            kind, side, limit, stop = IntentKind.EXIT, Side.SELL, None, None
        return [
            OrderIntent(
                intent_id=make_intent_id(self.name, view.symbol, second, kind),
                strategy=self.name,
                symbol=view.symbol,
                side=side,
                kind=kind,
                order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
                reference_price=price,
                created_at=view.now,
                reason="chaos",
                limit_price=limit,
                stop_price=stop,
                quantity=view.position.quantity if view.position is not None else None,
            )
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.driver")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--settle", action="store_true")
    args = parser.parse_args(argv)
    configure_logging("WARNING", "json", stream=sys.stderr)
    fake = RemoteFakeExchange(args.url)
    rng = random.Random(args.seed)
    app = build_app(load_settings(args.config), strategies=[Flipper()])
    price = Decimal(fake.state()["prices"].get("BTCUSDT", "60000"))
    for _ in range(args.iterations):
        if not args.settle:
            price = (price * Decimal(str(1 + rng.uniform(-0.004, 0.004)))).quantize(Decimal("0.01"))
            fake.set_price("BTCUSDT", price)
            fake.set_candles("BTCUSDT", "1m", candles_ending_now([str(price)] * 5, "1m"))
            now_ms = datetime_to_ms(datetime.now(tz=UTC))
            app.engine.tick(ms_to_datetime(now_ms // MINUTE_MS * MINUTE_MS))
        else:
            app.engine.monitor()
    app.store.finish_run(app.run_id, datetime.now(tz=UTC), "completed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
