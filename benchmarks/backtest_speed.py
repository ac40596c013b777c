"""Backtest speed benchmark: spotbot's full daemon path vs a bare Python loop (and backtesting.py).

    python benchmarks/backtest_speed.py [--candles N ...] [--symbols K] [--with-backtesting-py]
                                        [--json FILE] [--profile DIR]

Workload (issue 5, "Speed"): one-minute candles, an SMA(20/50) crossover with a 3 % percent stop.

- The candles are generated here, seeded (a random walk with consistent OHLC: open = previous close,
  wicks above/below the body, lognormal volume), in memory: no files.
- spotbot runs the daemon's own wiring, like ``bot.backtest.runner.run_backtest``:
  ``bot.settings.load_settings`` on a small generated TOML, ``bot.bootstrap.build_app(settings,
  market=OfflineMarket(...), strategies=[MaCrossover(...)])``, ``app.replay.step()`` until finished,
  then ``finish_app`` (the run's report from the audit DB). The audit DB is a throwaway SQLite file in a
  temporary directory; logging goes to a JSON file there, as ``spotbot backtest`` does.
- Every measurement runs in a fresh child process (this script re-invoked with ``--worker``), so its
  peak memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` in the child) belongs to that run only.
  Data generation and imports are not timed; they are part of the peak memory.
- The floor: a bare Python loop over the same candles (no orders, risk or accounting), in two flavours:
  touching every candle, and computing the SMA(20/50) crossover signals with rolling sums.
- ``--with-backtesting-py`` (needs the optional ``bench`` extra: ``pip install -e '.[bench]'``): the same
  crossover in backtesting.py on the same candles as a pandas DataFrame, ``Backtest.run()`` timed.

The issue's reference workload is 1,000,000 candles of one symbol. It is run only when asked
(``--candles 1000000``); otherwise the 1M figures are EXTRAPOLATED linearly from the measured sizes and
labelled so. Timing claims live here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

DEFAULT_SIZES = (5_000, 20_000, 50_000)
REFERENCE_CANDLES = 1_000_000
SEED = 20240101
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTE_MS = 60_000
DAILY_VOLATILITY = 0.03
FAST, SLOW, STOP_PERCENT = 20, 50, 0.03
STARTING_CASH = 10_000
FEE = 0.001
BASES = ("BTC", "ETH", "SOL", "BNB", "XRP", "ADA", "DOGE", "AVAX", "DOT", "LINK", "LTC", "ATOM")
START_PRICES = (100.0, 50.0, 20.0, 300.0, 0.5, 0.4, 0.1, 30.0, 7.0, 15.0, 80.0, 9.0)

# The peers on a 2-core machine, 1M one-minute candles of one symbol, SMA(20/50) crossover.
REF_BACKTESTING_PY_S = 7.7
REF_FREQTRADE_S = 49.0
GOAL_VS_BACKTESTING_PY = 4.0  # at least 4x faster
GOAL_VS_FREQTRADE = 25.0  # at least 25x faster
GOAL_PEAK_MB = 400.0
LINEAR_TOLERANCE = 1.25  # time per candle may vary by at most 25 % across sizes / symbol counts


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


def worker_spotbot(candles: int, symbols: int, profile: Path | None) -> dict[str, Any]:
    from decimal import Decimal

    from bot.bootstrap import build_app, finish_app
    from bot.logging_setup import configure_logging
    from bot.market.offline import OfflineMarket
    from bot.market.rules import derive_rules
    from bot.market.series import CandleSeries
    from bot.settings import load_settings
    from strategies.ma_crossover import MaCrossover, MaCrossoverParams

    names = symbols_for(symbols)
    series = {}
    for i, symbol in enumerate(names):
        cols = generate_ohlcv(candles, i)
        series[symbol] = CandleSeries(symbol, "1m", **cols)
    rules = {
        s: derive_rules(s, one.median_close(), min_notional=Decimal(10), maker_fee=Decimal(str(FEE)),
                        taker_fee=Decimal(str(FEE)))
        for s, one in series.items()
    }  # fmt: skip
    market = OfflineMarket(series, rules, "1m")

    with tempfile.TemporaryDirectory(prefix="spotbot-bench-") as tmp:
        tmpdir = Path(tmp)
        config = tmpdir / "bench.toml"
        config.write_text(
            f"""
[bot]
name = "bench"
mode = "paper"
data_dir = "{tmpdir.as_posix()}"
database_url = "sqlite:///{(tmpdir / "audit.sqlite").as_posix()}"
quote_currency = "USDT"

[bot.starting_balances]
USDT = "{STARTING_CASH}"

[market]
source = "sim"
symbols = {json.dumps(names)}
timeframe = "1m"

[market.sim]
seed = {SEED}
candles = {candles}

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
        configure_logging(settings.logging.level, "json", file=tmpdir / "backtest.log", stream=None)
        strategy_settings = settings.strategies[0]
        strategy = MaCrossover(
            strategy_settings.name, "1m", MaCrossoverParams(fast=FAST, slow=SLOW, ma="sma", stop="percent",
                                                            stop_percent=STOP_PERCENT)
        )  # fmt: skip
        rss_before = maxrss_mb()

        profiler = None
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        t0 = time.perf_counter()
        app = build_app(settings, market=market, strategies=[strategy])
        replay = app.replay
        t1 = time.perf_counter()
        steps = 0
        while not replay.finished.is_set():
            replay.step()
            steps += 1
        t2 = time.perf_counter()
        outcome = "failed" if replay.error is not None else "completed"
        report = finish_app(app, outcome)
        t3 = time.perf_counter()
        if profiler is not None:
            profiler.disable()
            profile.mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(profile / f"spotbot-{candles}x{symbols}.prof")
        app.store.close()
        if replay.error is not None:
            raise RuntimeError(f"a tick failed: {replay.error!r}")
    return {
        "setup_s": t1 - t0,
        "loop_s": t2 - t1,
        "finish_s": t3 - t2,
        "wall_s": t3 - t0,
        "steps": steps,
        "trades": len(report.trades),
        "outcome": outcome,
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


def run_worker(args: argparse.Namespace) -> int:
    size, symbols = args.candles[0], args.symbols
    if args.worker == "spotbot":
        result = worker_spotbot(size, symbols, args.profile)
    elif args.worker == "bare":
        result = worker_bare(size, symbols)
    else:
        result = worker_backtesting_py(size, symbols)
    print(json.dumps(result))
    return 0


# --- driver ---------------------------------------------------------------------------------------


def spawn(worker: str, candles: int, symbols: int, profile: Path | None = None) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", worker, "--candles", str(candles),
               "--symbols", str(symbols)]  # fmt: skip
    if profile is not None:
        command += ["--profile", str(profile)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"{worker} worker ({candles} x {symbols}) failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def fit_line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares ``y = a + b x``; one point: through the origin."""
    if len(points) == 1:
        x, y = points[0]
        return 0.0, y / x
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - b * mx, b


def check_backtesting_py() -> str | None:
    """None when backtesting.py can be imported, else why not."""
    try:
        import backtesting  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as exc:
        return f"{exc} (install the optional extra: pip install -e '.[bench]')"
    return None


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--candles",
        type=int,
        nargs="+",
        default=list(DEFAULT_SIZES),
        help="one-minute candles per symbol, one run per size (default: %(default)s)",
    )
    parser.add_argument("--symbols", type=int, default=3,
                        help="K: also run K symbols at each size, for linearity in candles x symbols "
                             "(default 3; 1 = one symbol only)")  # fmt: skip
    parser.add_argument(
        "--with-backtesting-py", action="store_true", help="also time backtesting.py (optional extra 'bench')"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile of each spotbot run into this directory"
    )
    parser.add_argument("--worker", choices=("spotbot", "bare", "backtesting"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if any(n < SLOW + 2 for n in args.candles):
        parser.error(f"--candles: each size must be at least {SLOW + 2}")
    if args.symbols < 1:
        parser.error("--symbols must be >= 1")
    if args.worker:
        return run_worker(args)

    btpy_missing = (
        check_backtesting_py() if args.with_backtesting_py else "not requested (--with-backtesting-py)"
    )
    sizes = sorted(set(args.candles))
    symbol_counts = sorted({1, args.symbols})
    print(
        f"spotbot backtest benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(f"workload: SMA({FAST}/{SLOW}) crossover, {STOP_PERCENT:.0%} stop, 1m candles, seed {SEED}; "
          f"sizes {sizes}; symbols {symbol_counts}")  # fmt: skip
    print("each row is a fresh child process; spotbot = build_app + replay.step() loop + finish_app\n")

    runs: list[dict[str, Any]] = []
    for symbols in symbol_counts:
        for size in sizes:
            row: dict[str, Any] = {"candles": size, "symbols": symbols, "candle_ticks": size * symbols}
            row["spotbot"] = spawn("spotbot", size, symbols, args.profile)
            row["bare"] = spawn("bare", size, symbols)
            if btpy_missing is None:
                row["backtesting_py"] = spawn("backtesting", size, symbols)
            runs.append(row)
            sys.stdout.flush()
            print(f"  done: {size:,} candles x {symbols} symbol(s)", file=sys.stderr, flush=True)

    # --- table ---
    header = (f"{'candles':>9} {'sym':>3} | {'spotbot s':>9} {'loop s':>8} {'setup s':>7} {'candles/s':>10} "
              f"{'us/candle':>9} {'peak MB':>7} {'trades':>6} | {'bare s':>7} {'bareSMA s':>9} | "
              f"{'bt.py s':>7} {'bt.py MB':>8} {'spot/bt':>7}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for row in runs:
        s, b, ticks = row["spotbot"], row["bare"], row["candle_ticks"]
        s["candles_per_s"] = ticks / s["wall_s"]
        s["loop_us_per_candle"] = s["loop_s"] / ticks * 1e6
        bt = row.get("backtesting_py")
        bt_cols = (f"{bt['run_s']:>7.2f} {bt['peak_rss_mb']:>8.0f} {s['wall_s'] / bt['run_s']:>7.2f}"
                   if bt else f"{'-':>7} {'-':>8} {'-':>7}")  # fmt: skip
        print(f"{row['candles']:>9,} {row['symbols']:>3} | {s['wall_s']:>9.2f} {s['loop_s']:>8.2f} "
              f"{s['setup_s']:>7.2f} {fmt_rate(s['candles_per_s']):>10} {s['loop_us_per_candle']:>9.1f} "
              f"{s['peak_rss_mb']:>7.0f} {s['trades']:>6} | "
              f"{b['iterate_s']:>7.3f} {b['sma_signals_s']:>9.3f} | {bt_cols}")  # fmt: skip
    print(
        "candles/s = candles x symbols / spotbot s; us/candle = replay loop only; spot/bt = spotbot s / "
        "backtesting.py s (goal <= 0.25)"
    )

    # --- 1M reference: measured or extrapolated ---
    one = [r for r in runs if r["symbols"] == 1]
    measured_ref = next((r for r in one if r["candles"] == REFERENCE_CANDLES), None)
    a_t, b_t = fit_line([(r["candles"], r["spotbot"]["wall_s"]) for r in one])
    a_m, b_m = fit_line([(r["candles"], r["spotbot"]["peak_rss_mb"]) for r in one])
    a_bare, b_bare = fit_line([(r["candles"], r["bare"]["iterate_s"]) for r in one])
    if measured_ref is not None:
        ref_label = "MEASURED"
        ref_time = measured_ref["spotbot"]["wall_s"]
        ref_mem = measured_ref["spotbot"]["peak_rss_mb"]
        ref_bare = measured_ref["bare"]["iterate_s"]
    else:
        ref_label = f"EXTRAPOLATED (linear fit over {[r['candles'] for r in one]} candles, 1 symbol)"
        ref_time = a_t + b_t * REFERENCE_CANDLES
        ref_mem = a_m + b_m * REFERENCE_CANDLES
        ref_bare = a_bare + b_bare * REFERENCE_CANDLES
    bt_ref: float | None = None
    bt_ref_label = f"issue's reference {REF_BACKTESTING_PY_S} s"
    if btpy_missing is None:
        bt_one = [(r["candles"], r["backtesting_py"]["run_s"]) for r in one]
        if measured_ref is not None:
            bt_ref, bt_ref_label = measured_ref["backtesting_py"]["run_s"], "measured here"
        else:
            a_b, b_b = fit_line(bt_one)
            bt_ref, bt_ref_label = a_b + b_b * REFERENCE_CANDLES, "extrapolated here"

    print(f"\n1,000,000 candles x 1 symbol — {ref_label}:")
    rate = fmt_rate(REFERENCE_CANDLES / ref_time)
    print(f"  spotbot: {ref_time:.1f} s ({rate} candles/s), peak {ref_mem:.0f} MB")
    print(f"  bare loop (touch every candle): {ref_bare:.2f} s (issue's reference: about 0.2 s); "
          f"spotbot is {ref_time / ref_bare:,.0f}x the floor")  # fmt: skip
    if bt_ref is not None:
        print(
            f"  backtesting.py: {bt_ref:.1f} s ({bt_ref_label}; issue's reference {REF_BACKTESTING_PY_S} s)"
        )
    else:
        print(f"  backtesting.py: not run — {btpy_missing}")

    # --- goals ---
    goals: list[dict[str, Any]] = []

    def goal(name: str, met: bool, detail: str) -> None:
        goals.append({"goal": name, "met": met, "detail": detail})

    def verdict(speedup: float, wanted: float) -> str:
        return "met" if speedup >= wanted else f"MISSED: {wanted / speedup:.1f}x too slow"

    bt_base = bt_ref if bt_ref is not None else REF_BACKTESTING_PY_S
    bt_source = bt_ref_label if bt_ref is not None else "issue reference"
    speedup = bt_base / ref_time
    goal(
        f">= {GOAL_VS_BACKTESTING_PY:g}x faster than backtesting.py",
        speedup >= GOAL_VS_BACKTESTING_PY,
        f"{speedup:.3f}x vs backtesting.py {bt_base:.1f} s ({bt_source}); "
        f"needs <= {bt_base / GOAL_VS_BACKTESTING_PY:.2f} s for 1M candles; "
        f"{verdict(speedup, GOAL_VS_BACKTESTING_PY)}",
    )
    ft = REF_FREQTRADE_S / ref_time
    goal(
        f">= {GOAL_VS_FREQTRADE:g}x faster than Freqtrade ({REF_FREQTRADE_S:g} s)",
        ft >= GOAL_VS_FREQTRADE,
        f"{ft:.3f}x; needs <= {REF_FREQTRADE_S / GOAL_VS_FREQTRADE:.2f} s for 1M candles; "
        f"{verdict(ft, GOAL_VS_FREQTRADE)}",
    )
    mem_verdict = "met" if ref_mem < GOAL_PEAK_MB else f"MISSED by {ref_mem - GOAL_PEAK_MB:.0f} MB"
    goal(
        f"< {GOAL_PEAK_MB:g} MB peak memory (1M candles)",
        ref_mem < GOAL_PEAK_MB,
        f"{ref_mem:.0f} MB ({'measured' if measured_ref else 'extrapolated'}); {mem_verdict}",
    )
    per_candle = [r["spotbot"]["loop_us_per_candle"] for r in one]
    size_spread = max(per_candle) / min(per_candle)
    size_grows = len(per_candle) > 1 and per_candle[-1] > per_candle[0] * LINEAR_TOLERANCE
    trend = "falls: fixed costs spread over more candles" if per_candle[-1] < per_candle[0] else "grows"
    lin_detail = (f"loop us/candle across sizes {[round(x, 1) for x in per_candle]} "
                  f"(max/min {size_spread:.2f}, {trend})")  # fmt: skip
    sym_grows = False
    if args.symbols > 1:
        ratios = []
        for size in sizes:
            pair = {r["symbols"]: r["spotbot"]["loop_us_per_candle"] for r in runs if r["candles"] == size}
            ratios.append(pair[args.symbols] / pair[1])
        sym_grows = max(ratios) > LINEAR_TOLERANCE
        lin_detail += (f"; us per candle x symbol, {args.symbols} vs 1 symbol: "
                       f"{[round(x, 2) for x in ratios]}")  # fmt: skip
    linear = not size_grows and not sym_grows
    goal(
        "linear in candles x symbols",
        linear,
        lin_detail + f"; {'met' if linear else 'MISSED'} (tolerance {LINEAR_TOLERANCE}x)",
    )

    print("\ngoals (issue 5):")
    for g in goals:
        print(f"  [{'met   ' if g['met'] else 'MISSED'}] {g['goal']}: {g['detail']}")
    if btpy_missing is None:
        ratios = [r["spotbot"]["wall_s"] / r["backtesting_py"]["run_s"] for r in runs]
        print(f"  spotbot time / backtesting.py time per row: {[round(x, 2) for x in ratios]} (goal <= 0.25)")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "workload": {"fast": FAST, "slow": SLOW, "ma": "sma", "stop_percent": STOP_PERCENT,
                         "timeframe": "1m", "seed": SEED},
            "runs": runs,
            "reference_1m": {"label": ref_label, "spotbot_s": ref_time, "spotbot_peak_mb": ref_mem,
                             "bare_s": ref_bare, "backtesting_py_s": bt_ref},
            "backtesting_py": btpy_missing or "run",
            "goals": goals,
        }, indent=2), encoding="utf-8")  # fmt: skip
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
