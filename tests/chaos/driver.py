"""The chaos test's daemon: the real live engine against the fake exchange, deciding as fast as it can.

``python -m tests.chaos.driver --config FILE --url URL --seed N [--settle]``

A real daemon ticks once per candle; to put hundreds of decisions through the fault-injected exchange
in seconds, this driver calls the same ``engine.tick`` in a loop (and the periodic reconciliation every
few ticks, as the daemon's job would), refreshing the fake's candles so the newest one always just
closed, and moving the price at random. The strategy flips: flat -> a marketable entry with a 2 % stop;
holding -> an exit. Decisions are keyed to the wall-clock second, so a restart within the same second
re-makes the same decision (and must not send it twice). It starts as ``spotbot run`` does
(:func:`bot.app.daemon_start.open_daemon`: the bot's lease, the killed runs closed), and runs until killed.

``--settle``: the final pass after the kills. It halts the bot (``spotbot halt``: working entries are
cancelled, stops and exits keep working) and monitors until nothing is left in flight: no order of
unknown outcome, no working entry or exit; then it ends its run.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bot.app.bootstrap import App
from bot.app.daemon import WallClockDaemon
from bot.app.daemon_start import open_daemon
from bot.app.logging_setup import configure_logging
from bot.app.settings import load_settings
from bot.domain import (
    IntentKind,
    OrderIntent,
    OrderPurpose,
    OrderStatus,
    OrderType,
    Side,
    TradingState,
    TradingStatus,
    make_intent_id,
)
from bot.domain.clock import datetime_to_ms, ms_to_datetime
from strategies.base import StrategyView
from tests.fake_exchange.fixture import RemoteFakeExchange
from tests.fake_exchange.market_data import candles_ending_now

MINUTE_MS = 60_000
RECONCILE_EVERY = 10  # ticks
SETTLE_LIMIT_S = 120.0


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


def trade(app: App, fake: RemoteFakeExchange, rng: random.Random) -> None:
    """Tick for ever at random prices (until killed)."""
    price = Decimal(fake.state()["prices"].get("BTCUSDT", "60000"))
    ticks = 0
    while True:
        price = (price * Decimal(str(1 + rng.uniform(-0.004, 0.004)))).quantize(Decimal("0.01"))
        fake.set_price("BTCUSDT", price)
        fake.set_candles("BTCUSDT", "1m", candles_ending_now([str(price)] * 5, "1m"))
        now_ms = datetime_to_ms(datetime.now(tz=UTC))
        app.engine.tick(ms_to_datetime(now_ms // MINUTE_MS * MINUTE_MS))
        ticks += 1
        if ticks % RECONCILE_EVERY == 0 and isinstance(app.daemon, WallClockDaemon):
            app.daemon.reconcile_now()  # as the daemon's periodic job: lifts a REDUCING it imposed


def settle(app: App) -> None:
    """Halt, then monitor until no order is of unknown outcome and no entry or exit is working."""
    halt = TradingStatus(TradingState.HALTED, "chaos_settle", datetime.now(UTC))
    app.store.record_trading_state(app.settings.bot.name, app.run_id, halt, "cli:chaos")
    deadline = time.monotonic() + SETTLE_LIMIT_S
    while True:
        app.engine.monitor()
        working = app.store.orders(only_open=True)
        in_flight = [o for o in working if o.status in (OrderStatus.PENDING, OrderStatus.UNKNOWN)]
        trading = [o for o in working if o.purpose in (OrderPurpose.ENTRY, OrderPurpose.EXIT)]
        if not in_flight and not trading and app.engine.status.exchange_ok:
            return
        if time.monotonic() > deadline:
            raise SystemExit(
                f"not settled after {SETTLE_LIMIT_S:.0f} s: {[o.client_order_id for o in working]}"
            )
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.driver")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settle", action="store_true")
    args = parser.parse_args(argv)
    configure_logging("WARNING", "json", stream=sys.stderr)
    app, lease = open_daemon(load_settings(args.config), strategies=[Flipper()])
    try:
        if args.settle:
            settle(app)
        else:
            trade(app, RemoteFakeExchange(args.url), random.Random(args.seed))
        app.store.finish_run(app.run_id, datetime.now(tz=UTC), "completed")
    finally:
        lease.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
