"""Backtest speed benchmark (issue 5): ``spotbot backtest``'s engine path vs a bare loop and backtesting.py.

    python benchmarks/backtest_speed.py [--candles N ...] [--symbols K] [--variants default trading]
                                        [--with-backtesting-py] [--json FILE] [--profile DIR]

Every measurement is a fresh child process (``benchmarks/speed_workers.py``, which documents the
workloads): an SMA(20/50) crossover on seeded one-minute candles, for each size, for one symbol and for
K symbols sharing one portfolio, in two variants (``default`` risk limits; ``trading``: breakers
relaxed so it trades to the end like the peers). The issue's reference workload is 1,000,000 candles
of one symbol; when it is not among the sizes, the 1M figures are EXTRAPOLATED (a line fitted to the
one-symbol sizes) and labelled so. Goals are printed as met or MISSED per variant. Timing claims live
here and in the README, never in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORKERS = HERE / "speed_workers.py"
DEFAULT_SIZES = (100_000, 1_000_000)
REFERENCE_CANDLES = 1_000_000
MIN_CANDLES = 52  # SMA(50) needs 51 closes to cross

# The peers on a 2-core machine, 1M one-minute candles of one symbol, SMA(20/50) crossover.
REF_BACKTESTING_PY_S = 7.7
REF_FREQTRADE_S = 49.0
GOAL_VS_BACKTESTING_PY = 4.0  # at least 4x faster
GOAL_VS_FREQTRADE = 25.0  # at least 25x faster
GOAL_PEAK_MB = 400.0
GOAL_VS_EVENT_ENGINE = 3.0  # issue 11: at most 3x the minimal object-oriented event engine
GOAL_MS_PER_ROUND_TRIP = 0.2  # issue 11: CPU per round trip
LINEAR_TOLERANCE = 1.25  # time per candle may not grow by more than 25 % with size or symbols


def spawn(worker: str, candles: int, symbols: int, variant: str = "default", profile: Path | None = None
          ) -> dict[str, Any]:  # fmt: skip
    command = [sys.executable, str(WORKERS), worker, "--candles", str(candles), "--symbols", str(symbols),
               "--variant", variant]  # fmt: skip
    if profile is not None:
        command += ["--profile", str(profile)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=HERE.parent)
    if done.returncode != 0:
        raise RuntimeError(
            f"{worker} worker ({candles} x {symbols}, {variant}) failed:\n{done.stderr[-4000:]}"
        )
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


def at_reference(rows: list[dict[str, Any]], value: str) -> tuple[float, bool]:
    """``value`` at 1M candles of one symbol: (figure, measured?) from the one-symbol rows."""
    for row in rows:
        if row["candles"] == REFERENCE_CANDLES:
            return float(row[value]), True
    a, b = fit_line([(r["candles"], float(r[value])) for r in rows])
    return a + b * REFERENCE_CANDLES, False


def backtesting_py_missing() -> str | None:
    try:
        import backtesting  # noqa: F401
        import pandas  # noqa: F401
    except ImportError as exc:
        return f"{exc} (install the optional extra: pip install -e '.[bench]')"
    return None


def goals_for(
    variant: str, rows: list[dict[str, Any]], symbols: int, bt_1m: float | None, event_1m: float
) -> list[dict[str, Any]]:
    one = sorted((r for r in rows if r["symbols"] == 1), key=lambda r: r["candles"])
    time_1m, measured = at_reference(one, "wall_s")
    mem_1m, _ = at_reference(one, "peak_rss_mb")
    how = "measured" if measured else "EXTRAPOLATED"
    goals = []

    def goal(name: str, ratio: float, wanted: float, detail: str) -> None:
        met = ratio >= wanted
        verdict = "met" if met else f"MISSED ({wanted / ratio:.1f}x too slow)"
        goals.append({"variant": variant, "goal": name, "met": met, "detail": f"{detail}; {verdict}"})

    bt_base, bt_how = (
        (bt_1m, "measured here") if bt_1m is not None else (REF_BACKTESTING_PY_S, "issue's figure")
    )
    goal(f">= {GOAL_VS_BACKTESTING_PY:g}x faster than backtesting.py", bt_base / time_1m,
         GOAL_VS_BACKTESTING_PY,
         f"{time_1m:.2f} s ({how}) vs {bt_base:.1f} s ({bt_how}): {bt_base / time_1m:.1f}x")  # fmt: skip
    goal(f">= {GOAL_VS_FREQTRADE:g}x faster than Freqtrade", REF_FREQTRADE_S / time_1m, GOAL_VS_FREQTRADE,
         f"{time_1m:.2f} s vs {REF_FREQTRADE_S:g} s: {REF_FREQTRADE_S / time_1m:.1f}x "
         f"(needs <= {REF_FREQTRADE_S / GOAL_VS_FREQTRADE:.2f} s)")  # fmt: skip
    goal(f"within {GOAL_VS_EVENT_ENGINE:g}x of a minimal event engine",
         GOAL_VS_EVENT_ENGINE * event_1m / time_1m, 1.0,
         f"{time_1m:.2f} s vs {event_1m:.2f} s: {time_1m / event_1m:.1f}x")  # fmt: skip
    biggest = max(one, key=lambda r: r["candles"])
    if biggest["trades"]:
        per_trip = biggest["cpu_s"] / biggest["trades"] * 1000
        goal(f"<= {GOAL_MS_PER_ROUND_TRIP:g} ms CPU per round trip", GOAL_MS_PER_ROUND_TRIP / per_trip, 1.0,
             f"{per_trip:.2f} ms ({biggest['cpu_s']:.2f} s CPU / {biggest['trades']:,} round trips at "
             f"{biggest['candles']:,} candles)")  # fmt: skip
    goals.append({"variant": variant, "goal": f"< {GOAL_PEAK_MB:g} MB peak", "met": mem_1m < GOAL_PEAK_MB,
                  "detail": f"{mem_1m:.0f} MB at 1M candles ({how})"})  # fmt: skip
    per_candle = [r["wall_s"] / r["candles"] * 1e6 for r in one]
    grows = per_candle[-1] > per_candle[0] * LINEAR_TOLERANCE
    detail = f"us per candle by size {[round(x, 2) for x in per_candle]}"
    if symbols > 1:
        ratios = []
        for size in sorted({r["candles"] for r in rows}):
            pair = {
                r["symbols"]: r["wall_s"] / (r["candles"] * r["symbols"])
                for r in rows
                if r["candles"] == size
            }
            ratios.append(pair[symbols] / pair[1])
        grows = grows or max(ratios) > LINEAR_TOLERANCE
        detail += f"; us per candle x symbol, {symbols} vs 1 symbol: {[round(x, 2) for x in ratios]}"
    goals.append({"variant": variant, "goal": "linear in candles x symbols", "met": not grows,
                  "detail": f"{detail} (tolerance {LINEAR_TOLERANCE}x)"})  # fmt: skip
    return goals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--candles", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        help="one-minute candles per symbol, one run per size (%(default)s)")  # fmt: skip
    parser.add_argument("--symbols", type=int, default=3,
                        help="K: also run K symbols per size (default 3; 1: one symbol only)")  # fmt: skip
    parser.add_argument(
        "--variants", nargs="+", choices=("default", "trading"), default=["default", "trading"]
    )
    parser.add_argument(
        "--with-backtesting-py", action="store_true", help="also time backtesting.py (extra 'bench')"
    )
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per spotbot and bt.py figure, median kept (default 1)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--profile", type=Path, help="write a cProfile of each spotbot run into this directory"
    )
    args = parser.parse_args(argv)
    if any(n < MIN_CANDLES for n in args.candles):
        parser.error(f"--candles: each size must be at least {MIN_CANDLES}")
    if args.symbols < 1 or args.repeat < 1:
        parser.error("--symbols and --repeat must be >= 1")
    btpy_missing = (
        backtesting_py_missing() if args.with_backtesting_py else "not requested (--with-backtesting-py)"
    )
    sizes = sorted(set(args.candles))
    symbol_counts = sorted({1, args.symbols})
    print(f"spotbot backtest benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")  # fmt: skip
    print(f"SMA(20/50) crossover, 3 % stop, 1m candles; sizes {sizes}; symbols {symbol_counts}; "
          f"variants {args.variants}; fresh process per figure, median of {args.repeat}\n")  # fmt: skip

    floors: dict[tuple[int, int], dict[str, Any]] = {}
    for symbols in symbol_counts:
        for size in sizes:
            floors[(size, symbols)] = {
                "bare": spawn("bare", size, symbols),
                "event": spawn("event", size, symbols),
            }
            if btpy_missing is None:
                tries = [spawn("backtesting", size, symbols) for _ in range(args.repeat)]
                floors[(size, symbols)]["backtesting_py"] = sorted(tries, key=lambda t: t["run_s"])[
                    len(tries) // 2
                ]
    rows: dict[str, list[dict[str, Any]]] = {}
    for variant in args.variants:
        rows[variant] = []
        for symbols in symbol_counts:
            for size in sizes:
                tries = [spawn("spotbot", size, symbols, variant, args.profile) for _ in range(args.repeat)]
                result = sorted(tries, key=lambda t: t["wall_s"])[len(tries) // 2]  # the median run
                rows[variant].append({"candles": size, "symbols": symbols, **result})
                print(f"  done: {variant}, {size:,} candles x {symbols}", file=sys.stderr, flush=True)

    header = (f"{'variant':>8} {'candles':>9} {'sym':>3} | {'spotbot s':>9} {'candles/s':>11} {'ticks':>7} "
              f"{'intents':>7} {'trades':>6} {'peak MB':>7} | {'bare s':>6} {'event s':>7} | {'bt.py s':>7} "
              f"{'bt.py MB':>8} {'bt/spot':>7}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for variant, found in rows.items():
        for r in found:
            floor = floors[(r["candles"], r["symbols"])]
            bt = floor.get("backtesting_py")
            bt_cols = (f"{bt['run_s']:>7.2f} {bt['peak_rss_mb']:>8.0f} {bt['run_s'] / r['wall_s']:>7.1f}"
                       if bt else f"{'-':>7} {'-':>8} {'-':>7}")  # fmt: skip
            rate = r["candles"] * r["symbols"] / r["wall_s"]
            print(f"{variant:>8} {r['candles']:>9,} {r['symbols']:>3} | {r['wall_s']:>9.2f} {rate:>11,.0f} "
                  f"{r['ticks']:>7,} {r['intents']:>7,} {r['trades']:>6,} {r['peak_rss_mb']:>7.0f} | "
                  f"{floor['bare']['iterate_s']:>6.2f} {floor['event']['run_s']:>7.2f} | "
                  f"{bt_cols}")  # fmt: skip
    print("ticks = candle closes the engine ran at (the others were quiet); event = the minimal event engine "
          "(the floor); bt/spot = how many times faster than backtesting.py")  # fmt: skip

    one_floor = [{"candles": s, "symbols": 1, **floors[(s, 1)]["bare"]} for s in sizes]
    bare_1m, bare_measured = at_reference(one_floor, "iterate_s")
    event_rows = [{"candles": s, "symbols": 1, **floors[(s, 1)]["event"]} for s in sizes]
    event_1m, _ = at_reference(event_rows, "run_s")
    bt_1m: float | None = None
    if btpy_missing is None:
        bt_rows = [{"candles": s, "symbols": 1, **floors[(s, 1)]["backtesting_py"]} for s in sizes]
        bt_1m, _ = at_reference(bt_rows, "run_s")
    print(f"\n1,000,000 candles x 1 symbol ({'measured' if REFERENCE_CANDLES in sizes else 'EXTRAPOLATED'}):")
    for variant, found in rows.items():
        one = [r for r in found if r["symbols"] == 1]
        print(f"  spotbot {variant}: {at_reference(one, 'wall_s')[0]:.2f} s, "
              f"peak {at_reference(one, 'peak_rss_mb')[0]:.0f} MB")  # fmt: skip
    print(f"  bare loop: {bare_1m:.2f} s{'' if bare_measured else ' (extrapolated)'}")
    print(f"  minimal event engine: {event_1m:.2f} s{'' if bare_measured else ' (extrapolated)'}")
    print(f"  backtesting.py: {f'{bt_1m:.1f} s' if bt_1m is not None else f'not run — {btpy_missing}'}")

    goals = [
        g for variant, found in rows.items() for g in goals_for(variant, found, args.symbols, bt_1m, event_1m)
    ]
    print("\ngoals (issues 5 and 11):")
    for g in goals:
        print(f"  [{'met   ' if g['met'] else 'MISSED'}] {g['variant']}: {g['goal']}: {g['detail']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "sizes": sizes,
            "symbols": symbol_counts,
            "runs": rows,
            "floors": {f"{k[0]}x{k[1]}": v for k, v in floors.items()},
            "backtesting_py": btpy_missing or "run",
            "goals": goals,
        }
        args.json.write_text(json.dumps(document, indent=2), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
