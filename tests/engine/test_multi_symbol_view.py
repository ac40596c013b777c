"""A strategy may read other symbols and a longer timeframe: always as of its own candle close.

A spy strategy runs through the real engine (a backtest of the shared BTC pairs) and records, at every
call, the newest candle each look-up returned: another symbol's 5m candles and its own 1h candles.
"""

from __future__ import annotations

from pathlib import Path

from bot.app.backtest.event_replay import event_replay
from bot.app.backtest.runner import data_overrides
from bot.app.bootstrap import build_app, build_market, finish_app
from bot.app.settings import load_settings
from bot.domain import OrderIntent
from bot.domain.clock import datetime_to_ms
from strategies.base import StrategyView

HOUR = 3_600_000


class Spy:
    name, timeframe, warmup = "spy", "5m", 1

    def __init__(self) -> None:
        self.seen: list[tuple[int, str, tuple[str, ...], int, int, int]] = []

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        other = "LTC/BTC" if view.symbol == "ETH/BTC" else "ETH/BTC"
        others = view.closed(other, limit=3)
        hours = view.closed(timeframe="1h", limit=2)
        now = datetime_to_ms(view.now)
        newest_other = others[-1].close_time if others else 0
        newest_hour = hours[-1].close_time if hours else 0
        self.seen.append((now, view.symbol, view.symbols, newest_other, newest_hour, len(hours)))
        return []


def test_other_symbols_and_a_longer_timeframe_are_read_as_of_the_close_and_never_later(
    tmp_path: Path, shared_data: Path
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\nquote_currency = "BTC"\n[bot.starting_balances]\nBTC = "1"\n'
        '[market]\nsymbols = ["ETH/BTC", "LTC/BTC"]\ntimeframe = "5m"\n'
        '[market.rules]\nmin_notional = "0.0001"\n'
        '[[strategies]]\nname = "spy"\n'
    )
    _, overrides = data_overrides(config, [shared_data / "ETH_BTC-5m.csv", shared_data / "LTC_BTC-5m.csv"])
    settings = load_settings(config, env={}, overrides=overrides)
    market = build_market(settings)
    spy = Spy()
    app = build_app(settings, market=market, strategies=[spy], backtest=True)
    replay = event_replay(app, market, shadow=False)
    replay.run_to_end()
    assert replay.error is None
    finish_app(app, "completed")
    app.store.close()

    assert len(spy.seen) > 5000, "a spy without a scan is shown every close of both symbols"
    for now, symbol, basket, newest_other, newest_hour, hours in spy.seen:
        assert basket == ("ETH/BTC", "LTC/BTC"), "the view names the strategy's basket"
        assert newest_other <= now, f"{symbol} at {now} saw a later candle of the other symbol"
        assert newest_other >= now - 5 * 300_000, "and a recent one (the data has only short gaps)"
        assert newest_hour <= now, "never an hour still forming"
        if hours:
            assert newest_hour == now // HOUR * HOUR, "the hour that closed last"
    on_the_hour = [entry for entry in spy.seen if entry[0] % HOUR == 0 and entry[5]]
    assert on_the_hour and all(entry[4] == entry[0] for entry in on_the_hour), (
        "an hour is seen when it closes"
    )


class BasketSpy(Spy):
    """Reads its whole basket at each symbol's turn, as a rotation does."""

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        for symbol in view.symbols:
            view.closed(symbol, limit=3)
        return []


def test_a_basket_read_is_made_once_per_close_however_many_symbols_ask(
    tmp_path: Path, shared_data: Path
) -> None:
    """A live market fetches every read over the network: each symbol's turn asking for the whole basket
    must not fetch the basket again."""
    from collections import Counter

    from bot.adapters.market.offline import OfflineMarket

    asked: Counter[tuple[str, str, int, int]] = Counter()

    class Counting(OfflineMarket):
        def closed_candles(self, symbol: str, timeframe: str, *, until_ms: int, limit: int):  # type: ignore[no-untyped-def]
            if limit == 3:  # the spy's reads (the engine's own use the warmup)
                asked[(symbol, timeframe, limit, until_ms)] += 1
            return super().closed_candles(symbol, timeframe, until_ms=until_ms, limit=limit)

    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\nquote_currency = "BTC"\n[bot.starting_balances]\nBTC = "1"\n'
        '[market]\nsymbols = ["ETH/BTC", "LTC/BTC"]\ntimeframe = "5m"\n'
        '[market.rules]\nmin_notional = "0.0001"\n'
        '[[strategies]]\nname = "spy"\n'
    )
    _, overrides = data_overrides(config, [shared_data / "ETH_BTC-5m.csv", shared_data / "LTC_BTC-5m.csv"])
    settings = load_settings(config, env={}, overrides=overrides)
    offline = build_market(settings)
    market = Counting(
        {s: offline.series(s) for s in offline.symbols()},
        {s: offline.rules(s) for s in offline.symbols()},
        "5m",
    )
    app = build_app(settings, market=market, strategies=[BasketSpy()], backtest=True)
    replay = event_replay(app, market, shadow=False)
    replay.run_to_end()
    finish_app(app, "completed")
    app.store.close()
    assert len(asked) > 5000, "both symbols read each other at every close"
    assert max(asked.values()) == 1, "each read once per close"
