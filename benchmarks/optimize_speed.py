"""``spotbot optimize --jobs 2`` against ``--jobs 1`` (issue 11: at least 1.7x faster), side by side.

    python benchmarks/optimize_speed.py [--trials N] [--repeat R] [--data CSV]

Runs the command itself (a subprocess, as a user would) on the real ETH/BTC 5m candles in
../shared/data (or ``--data``), ma_cross with fast/slow/ma searched, 3 walk-forward folds, a fresh
SQLite study each time, seeded; ``--jobs 1`` and ``--jobs 2`` alternate R times (default 2) and the
median is kept. It prints, for each: the command's wall time (start-up, every trial and the final
full-data backtest), trials per minute over the whole command and while trials ran (first trial's start
to last trial's end, from the study), and the ratios. Figures live here and in benchmarks/README.md,
never in tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_SPEEDUP = 1.7
CONFIG = """
[bot]
name = "tune"
data_dir = "{folder}"
quote_currency = "BTC"
[bot.starting_balances]
BTC = "1"
[market]
symbols = ["ETH/BTC"]
timeframe = "5m"
[market.rules]
min_notional = "0.0001"
[[strategies]]
name = "ma_cross"
[strategies.params]
fast = 5
slow = 20
[strategies.search]
fast = {{low = 3, high = 12}}
slow = {{low = 15, high = 60}}
ma = {{choices = ["ema", "sma"]}}
"""


def spotbot() -> str:
    return str(Path(sys.executable).with_name("spotbot"))


def one_run(folder: Path, data: Path, trials: int, jobs: int) -> tuple[float, float]:
    """(wall seconds of the command, seconds from the first trial's start to the last trial's end)."""
    import optuna

    out = folder / f"tuned-{jobs}-{time.time_ns()}.toml"
    storage = f"sqlite:///{out.with_suffix('.study.db')}"
    command = [spotbot(), "optimize", "--config", str(folder / "tune.toml"), "--data", str(data),
               "--trials", str(trials), "--jobs", str(jobs), "--seed", "1", "--out", str(out),
               "--storage", storage, "--study", "bench"]  # fmt: skip
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, timeout=3600, cwd=ROOT)
    wall = time.perf_counter() - began
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    found = optuna.load_study(study_name="bench", storage=storage).get_trials(deepcopy=False)
    assert len(found) == trials, f"{len(found)} trials in the study, {trials} asked for"
    starts = [t.datetime_start for t in found if t.datetime_start]
    ends = [t.datetime_complete for t in found if t.datetime_complete]
    return wall, (max(ends) - min(starts)).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "ETH_BTC-5m.csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "tune.toml").write_text(CONFIG.format(folder=folder))
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        for _ in range(args.repeat):
            for jobs in (1, 2):
                runs[jobs].append(one_run(folder, args.data, args.trials, jobs))
    cpus = os.cpu_count()
    print(f"spotbot optimize, {args.data.name}, {args.trials} trials, median of {args.repeat}, {cpus} CPUs")
    print(f"{'jobs':>4} {'wall s':>7} {'trials/min':>11} {'trials s':>9} {'trials/min in trials':>21}")
    figures = {}
    for jobs, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        trialing = statistics.median(t for _, t in measured)
        figures[jobs] = (wall, trialing)
        print(f"{jobs:>4} {wall:>7.2f} {args.trials / wall * 60:>11.0f} {trialing:>9.2f} "
              f"{args.trials / trialing * 60:>21.0f}")  # fmt: skip
    speedup = figures[1][0] / figures[2][0]
    in_trials = figures[1][1] / figures[2][1]
    print(f"--jobs 2 vs --jobs 1: {speedup:.2f}x on the whole command, {in_trials:.2f}x while trials run")
    verdict = "met" if speedup >= GOAL_SPEEDUP else "MISSED"
    print(f"goal: --jobs 2 >= {GOAL_SPEEDUP}x faster than --jobs 1 (whole command): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
