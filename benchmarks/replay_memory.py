"""Memory of a long replay (issue 11, "memory flat"): the sim daemon's own path, ticked at every close.

    python benchmarks/replay_memory.py [--ticks N] [--symbols K]

Runs ``spotbot run``'s wiring (``build_app`` on a seeded synthetic market, SMA crossover, breakers
relaxed so it trades to the end) stepped through every candle close, in this process, and samples the
resident set size (/proc/self/statm) every tenth of the run. It prints each sample, the growth from the
first tenth (warm-up: imports, the market's arrays, the first windows) to the end, per thousand ticks
and as a share, and the goal (at most 10 % after warm-up) as met or MISSED. Also the number of candle
objects the market holds (bounded by its cache). Memory figures live here and in the README, never in
tests. Linux only (statm).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

GOAL_GROWTH = 0.10


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def config(folder: Path, ticks: int, symbols: int) -> Path:
    names = ", ".join(f'"{s}"' for s in ("BTC/USDT", "ETH/USDT", "SOL/USDT")[:symbols])
    path = folder / "bot.toml"
    path.write_text(
        f'[bot]\nname = "memory"\ndata_dir = "{folder}"\n'
        f'[market]\nsymbols = [{names}]\ntimeframe = "1m"\n[market.sim]\ncandles = {ticks}\n'
        '[[strategies]]\nname = "ma"\n[strategies.params]\nma = "sma"\nfast = 20\nslow = 50\n'
        '[risk]\nmax_drawdown = "0.99"\ndaily_loss_limit = "0.99"\nmax_consecutive_losses = 1000\n'
        "max_trades_per_day = 100000\n"
        '[logging]\nlevel = "warning"\n'
    )
    return path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ticks", type=int, default=100_000, help="candle closes (1m candles per symbol)")
    parser.add_argument("--symbols", type=int, default=1, choices=(1, 2, 3))
    args = parser.parse_args()
    from bot.app.bootstrap import build_app, finish_app
    from bot.app.logging_setup import configure_logging
    from bot.app.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        configure_logging("WARNING", "json", file=Path(tmp) / "replay.log", stream=None)  # as `run` does
        app = build_app(load_settings(config(Path(tmp), args.ticks, args.symbols), env={}))
        market = app.engine._ports.market  # the offline market: its candle cache is what grew
        samples: list[tuple[int, float, int]] = []
        every = max(1, args.ticks // 10)

        def sample(done: int) -> None:
            if done % every == 0 or done == args.ticks:
                held = sum(len(cache) for cache in market._candles.values())  # type: ignore[attr-defined]
                samples.append((done, rss_mb(), held))

        started = time.perf_counter()
        app.replay.run_to_end(sample)
        elapsed = time.perf_counter() - started
        report = finish_app(app, "completed")
    print(
        f"ticks {args.ticks:,}, symbols {args.symbols}, {elapsed:.1f} s, "
        f"{len(report.trades)} round trips, outcome {'failed' if app.replay.error else 'completed'}"
    )
    print(f"{'ticks':>10} {'RSS MB':>8} {'candles held':>13}")
    for done, mb, held in samples:
        print(f"{done:>10,} {mb:>8.1f} {held:>13,}")
    (first, warm, _), (last, end, _) = samples[0], samples[-1]
    growth = (end - warm) / warm
    per_k = (end - warm) * 1024 / max(1, last - first) * 1000
    print(f"growth after warm-up: {end - warm:+.1f} MB ({growth:+.1%}), {per_k:.1f} KB per 1,000 ticks")
    verdict = "met" if growth <= GOAL_GROWTH else "MISSED"
    print(f"goal: at most {GOAL_GROWTH:.0%} growth after warm-up: {verdict}")
    return 0 if app.replay.error is None else 1


if __name__ == "__main__":
    sys.exit(main())
