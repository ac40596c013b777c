"""The workloads of ``benchmarks/backtest_speed.py``, each run in a child process of its own.

    python benchmarks/speed_workers.py {spotbot,bare,event,backtesting} --candles N --symbols K
                                       [--variant default|trading] [--profile DIR]

prints one JSON line: the timings, what the run did, and the process's peak memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``: that run's alone, imports and data included).

- Data: a seeded one-minute random walk per symbol (3 % daily volatility), consistent OHLC (open =
  previous close, wicks beyond the body), lognormal volume; generated in memory, no files.
- ``spotbot``: an SMA(20/50) crossover (``ma_crossover``, ``ma = "sma"``, 3 % percent stop) through
  ``bot.app.backtest.runner.run_backtest``, i.e. ``spotbot backtest`` without reading CSV files or writing
  result.json and the chart: the daemon's wiring (strategy, whole risk chain, execution policy, paper
  broker), the event replay, the audit DB (a throwaway SQLite file), the report and the metrics. Logs
  go to a JSON file at WARNING, as ``spotbot backtest`` does by default. Variant ``default``: every
  risk limit at its default (the drawdown breaker halts the strategy early on this random walk, and the
  rest of the run is denied entries); ``trading``: breakers relaxed so it trades to the end, like the
  peers (max_drawdown and daily_loss_limit 0.999999999, 1000 losses in a row, 100000 entries a day,
  10^9 USDT: equal work per symbol with three symbols, see ``CASH``).
- ``bare``: the floor, a Python loop over the same candles with no orders, risk or accounting:
  touching every candle, and computing the SMA(20/50) cross signals with rolling sums.
- ``event``: the issue's floor, a minimal object-oriented event engine in pure Python: a ``Bar`` object
  per candle, SMA indicators updated bar by bar, a strategy's ``on_bar``, a broker filling market
  orders at the next open and the stop at its price, fees; floats, no risk chain, no audit trail.
- ``backtesting``: backtesting.py's SMA(20/50) crossover with the same stop and a 0.1 % commission,
  ``Backtest.run()`` timed, one ``Backtest`` per symbol (needs the optional ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

SEED = 20240101
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE_MS = 60_000
DAILY_VOLATILITY = 0.03
FAST, SLOW, STOP_PERCENT = 20, 50, 0.03
STARTING_CASH = 10_000
FEE = 0.001
BASES = ("BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK", "LTC", "ATOM")
START_PRICES = (100.0, 50.0, 20.0, 300.0, 0.5, 0.4, 0.1, 30.0, 7.0, 15.0, 80.0, 9.0)
# Starting cash per variant. Trading to the end, every round trip pays fees on about a third of equity
# (0.07 % of it): over 1M candles one symbol's 7,500 round trips take equity to about 1 % of its peak,
# three symbols' 22,500 to 0.00003 %. With the drawdown breaker at 99 % the three halted after a fifth
# of the data, so "linear in symbols" compared unequal work; the breakers sit at 99.9999999 % and the
# cash at 10^9 (orders stay above the minimum notional) so every symbol trades to the last candle.
CASH = {"default": STARTING_CASH, "trading": 1_000_000_000}
VARIANTS = {
    "default": "",
    "trading": """
[risk]
max_drawdown = "0.999999999"
daily_loss_limit = "0.999999999"
max_consecutive_losses = 1000
max_trades_per_day = 100000
""",
}


# --- data ------------------------------------------------------------------------------------------


def symbols_for(count: int) -> list[str]:
    return [f"{BASES[i]}/USDT" if i < len(BASES) else f"C{i:03d}/USDT" for i in range(count)]


def generate_ohlcv(candles: int, index: int) -> dict[str, Any]:
    """Seeded one-minute random walk with consistent OHLC for symbol number ``index``."""
    import numpy as np

    rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(index,)))
    start = START_PRICES[index % len(START_PRICES)]
    sigma = DAILY_VOLATILITY / math.sqrt(1440)
    log_close = math.log(start) + np.cumsum(rng.normal(0.0, sigma, candles))
    close = np.exp(log_close)
    open_ = np.empty(candles)
    open_[0] = start
    open_[1:] = close[:-1]
    body_high = np.maximum(open_, close)
    body_low = np.minimum(open_, close)
    high = body_high * np.exp(np.abs(rng.normal(0.0, 0.6 * sigma, candles)))
    low = body_low * np.exp(-np.abs(rng.normal(0.0, 0.6 * sigma, candles)))
    move = np.abs(np.log(close / open_)) / sigma
    volume = 100.0 * np.exp(0.4 * rng.standard_normal(candles)) * (1.0 + move)
    open_time = START_MS + np.arange(candles, dtype=np.int64) * MINUTE_MS
    return {"open_time": open_time, "open": open_, "high": high, "low": low, "close": close, "volume": volume}


def maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


# --- workers (each runs in its own child process) -------------------------------------------------


def worker_spotbot(candles: int, symbols: int, variant: str, profile: Path | None) -> dict[str, Any]:
    from decimal import Decimal

    from bot.adapters.market.offline import OfflineMarket
    from bot.adapters.market.rules import derive_rules
    from bot.app.backtest.runner import run_backtest
    from bot.app.logging_setup import configure_logging
    from bot.app.settings import load_settings
    from bot.domain.series import CandleSeries

    names = symbols_for(symbols)
    series = {
        symbol: CandleSeries(symbol, "1m", **generate_ohlcv(candles, i)) for i, symbol in enumerate(names)
    }
    fee = Decimal(str(FEE))
    rules = {
        s: derive_rules(s, one.median_close(), min_notional=Decimal(10), maker_fee=fee, taker_fee=fee)
        for s, one in series.items()
    }
    market = OfflineMarket(series, rules, "1m")
    with tempfile.TemporaryDirectory(prefix="spotbot-bench-") as tmp:
        tmpdir = Path(tmp)
        config = tmpdir / "bench.toml"
        config.write_text(
            f"""
[bot]
name = "bench"
data_dir = "{tmpdir.as_posix()}"
database_url = "sqlite:///{(tmpdir / "audit.sqlite").as_posix()}"
quote_currency = "USDT"
[bot.starting_balances]
USDT = "{CASH[variant]}"
[market]
symbols = {json.dumps(names)}
timeframe = "1m"
{VARIANTS[variant]}
[[strategies]]
name = "sma_cross"
kind = "ma_crossover"
[strategies.params]
fast = {FAST}
slow = {SLOW}
ma = "sma"
stop = "percent"
stop_percent = {STOP_PERCENT}
""",
            encoding="utf-8",
        )
        settings = load_settings(config, env={})
        configure_logging("WARNING", "json", file=tmpdir / "backtest.log", stream=None)
        rss_before = maxrss_mb()
        profiler = None
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        run = run_backtest(settings, market)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if profiler is not None:
            profiler.disable()
            profile.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(profile / f"spotbot-{variant}-{candles}x{symbols}.prof")
        run.app.store.close()
        if run.error is not None:
            raise RuntimeError(f"a tick failed: {run.error!r}")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "ticks": run.ticks,
        "closes": len(run.close_times_ms),
        "trades": run.metrics.trades,
        "intents": run.report.outcomes.total,
        "fills": len(run.report.fills),
        "outcome": run.outcome,
        "rss_before_run_mb": rss_before,
        "peak_rss_mb": maxrss_mb(),
    }


def worker_bare(candles: int, symbols: int) -> dict[str, Any]:
    """Two floors over the same candles (Python lists, a loop over rows): no orders, risk or accounting."""
    data = [generate_ohlcv(candles, i) for i in range(symbols)]
    rows = [
        list(zip(d["open_time"].tolist(), d["open"].tolist(), d["high"].tolist(), d["low"].tolist(),
                 d["close"].tolist(), d["volume"].tolist(), strict=True))
        for d in data
    ]  # fmt: skip
    rss_before = maxrss_mb()

    t0 = time.perf_counter()
    touched = 0.0
    for one in rows:
        for _t, _o, h, _lo, _c, _v in one:
            touched = max(touched, h)
    t1 = time.perf_counter()

    crosses = 0
    for one in rows:
        closes = [row[4] for row in one]
        fast_sum = slow_sum = 0.0
        prev_diff: float | None = None
        for i, c in enumerate(closes):
            fast_sum += c
            slow_sum += c
            if i >= FAST:
                fast_sum -= closes[i - FAST]
            if i >= SLOW:
                slow_sum -= closes[i - SLOW]
            if i >= SLOW - 1:
                diff = fast_sum / FAST - slow_sum / SLOW
                if prev_diff is not None and (prev_diff <= 0 < diff or prev_diff >= 0 > diff):
                    crosses += 1
                prev_diff = diff
    t2 = time.perf_counter()
    return {
        "iterate_s": t1 - t0,
        "sma_signals_s": t2 - t1,
        "crosses": crosses,
        "rss_before_run_mb": rss_before,
        "peak_rss_mb": maxrss_mb(),
    }


class Bar:
    __slots__ = ("close", "high", "low", "open", "open_time", "volume")

    def __init__(
        self, open_time: int, open_: float, high: float, low: float, close: float, volume: float
    ) -> None:
        self.open_time, self.open, self.high, self.low, self.close, self.volume = (
            open_time,
            open_,
            high,
            low,
            close,
            volume,
        )


class Sma:
    """A moving average updated bar by bar (a running sum over a ring of the last ``n`` values)."""

    __slots__ = ("_i", "_ring", "_total", "n", "value")

    def __init__(self, n: int) -> None:
        self.n, self._ring, self._i, self._total = n, [0.0] * n, 0, 0.0
        self.value: float | None = None

    def update(self, x: float) -> None:
        slot = self._i % self.n
        self._total += x - self._ring[slot]
        self._ring[slot] = x
        self._i += 1
        if self._i >= self.n:
            self.value = self._total / self.n


class EventBroker:
    """Market orders fill at the next bar's open, a stop at its price (or the open below it); fees."""

    __slots__ = ("cash", "pending", "qty", "stop", "trades")

    def __init__(self, cash: float) -> None:
        self.cash, self.qty, self.stop, self.trades = cash, 0.0, 0.0, 0
        self.pending: str | None = None

    def on_bar(self, bar: Bar) -> None:
        if self.pending == "buy":
            self.qty = self.cash / (bar.open * (1 + FEE))
            self.cash = 0.0
        elif self.pending == "sell" and self.qty:
            self._sell(bar.open)
        self.pending = None
        if self.qty and bar.low <= self.stop:
            self._sell(min(bar.open, self.stop))

    def _sell(self, price: float) -> None:
        self.cash += self.qty * price * (1 - FEE)
        self.qty = 0.0
        self.trades += 1


class EventSmaCross:
    __slots__ = ("broker", "fast", "prev", "slow")

    def __init__(self, broker: EventBroker) -> None:
        self.broker, self.fast, self.slow = broker, Sma(FAST), Sma(SLOW)
        self.prev: float | None = None

    def on_bar(self, bar: Bar) -> None:
        self.fast.update(bar.close)
        self.slow.update(bar.close)
        if self.fast.value is None or self.slow.value is None:
            return
        diff = self.fast.value - self.slow.value
        broker = self.broker
        if self.prev is not None:
            if self.prev <= 0 < diff and not broker.qty:
                broker.pending, broker.stop = "buy", bar.close * (1 - STOP_PERCENT)
            elif self.prev >= 0 > diff and broker.qty:
                broker.pending = "sell"
        self.prev = diff


def worker_event(candles: int, symbols: int) -> dict[str, Any]:
    """The issue's floor: a minimal object-oriented event engine in pure Python (bar objects, indicator
    updates, ``on_bar``, a broker filling at the next open, a stop), no risk, no audit, floats."""
    data = [generate_ohlcv(candles, i) for i in range(symbols)]
    columns = [
        (d["open_time"].tolist(), d["open"].tolist(), d["high"].tolist(), d["low"].tolist(),
         d["close"].tolist(), d["volume"].tolist())
        for d in data
    ]  # fmt: skip
    rss_before = maxrss_mb()
    trades = 0
    t0 = time.perf_counter()
    for times, opens, highs, lows, closes, volumes in columns:
        broker = EventBroker(STARTING_CASH)
        strategy = EventSmaCross(broker)
        for row in zip(times, opens, highs, lows, closes, volumes, strict=True):
            bar = Bar(*row)
            broker.on_bar(bar)
            strategy.on_bar(bar)
        trades += broker.trades
    t1 = time.perf_counter()
    return {"run_s": t1 - t0, "trades": trades, "rss_before_run_mb": rss_before, "peak_rss_mb": maxrss_mb()}


def worker_backtesting_py(candles: int, symbols: int) -> dict[str, Any]:
    """backtesting.py's SMA(20/50) crossover with the same stop and fees, one Backtest per symbol."""
    import warnings

    import pandas as pd
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    def sma(values: Any, n: int) -> Any:
        return pd.Series(values).rolling(n).mean()

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(sma, self.data.Close, FAST)
            self.slow = self.I(sma, self.data.Close, SLOW)

        def next(self) -> None:
            if crossover(self.fast, self.slow) and not self.position:
                price = self.data.Close[-1]
                self.buy(sl=price * (1 - STOP_PERCENT))
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    frames = []
    for i in range(symbols):
        d = generate_ohlcv(candles, i)
        frames.append(
            pd.DataFrame(
                {"Open": d["open"], "High": d["high"], "Low": d["low"], "Close": d["close"],
                 "Volume": d["volume"]},
                index=pd.to_datetime(d["open_time"], unit="ms", utc=True),
            )
        )  # fmt: skip
    rss_before = maxrss_mb()
    trades = 0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for frame in frames:
            # All-in whole units (backtesting.py's default sizing); spotbot sizes by risk. Speed only.
            bt = Backtest(frame, SmaCross, cash=STARTING_CASH, commission=FEE, finalize_trades=True)
            stats = bt.run()
            trades += int(stats["# Trades"])
    t1 = time.perf_counter()
    return {"run_s": t1 - t0, "trades": trades, "rss_before_run_mb": rss_before, "peak_rss_mb": maxrss_mb()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one benchmark workload in this process")
    parser.add_argument("worker", choices=("spotbot", "bare", "event", "backtesting"))
    parser.add_argument("--candles", type=int, required=True)
    parser.add_argument("--symbols", type=int, default=1)
    parser.add_argument("--variant", choices=tuple(VARIANTS), default="default")
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    if args.worker == "spotbot":
        result = worker_spotbot(args.candles, args.symbols, args.variant, args.profile)
    elif args.worker == "bare":
        result = worker_bare(args.candles, args.symbols)
    elif args.worker == "event":
        result = worker_event(args.candles, args.symbols)
    else:
        result = worker_backtesting_py(args.candles, args.symbols)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
