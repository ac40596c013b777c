"""How long the command line takes to answer (issue 11: ``spotbot --help`` <= 0.25 s).

    python benchmarks/cli_startup.py [--repeat N]

Times, as fresh processes, the interpreter alone (the floor), ``spotbot --help``, ``spotbot version``
and ``spotbot config check config/paper.toml`` (which does load the settings), N times each, and
prints the median and the ratio to the floor, side by side in one run, and the goal for ``--help``.
Timing claims live here and in benchmarks/README.md, never in tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_HELP_S = 0.25
CASES = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "spotbot --help": [sys.executable, "-m", "bot", "--help"],
    "spotbot version": [sys.executable, "-m", "bot", "version"],
    "spotbot config check config/paper.toml": [
        sys.executable,
        "-m",
        "bot",
        "config",
        "check",
        "config/paper.toml",
    ],
}


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7, help="runs per command (the median is kept)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):  # interleaved, so a slow moment of the machine hits every case alike
        for name, command in CASES.items():
            times[name].append(seconds(command))
    medians = {name: statistics.median(runs) for name, runs in times.items()}
    floor = medians["python -c pass (floor)"]
    print(f"{'command':<42} {'median s':>9} {'x floor':>8}")
    for name, median in medians.items():
        print(f"{name:<42} {median:>9.3f} {median / floor:>8.1f}")
    help_s = medians["spotbot --help"]
    verdict = "met" if help_s <= GOAL_HELP_S else "MISSED"
    print(f"goal: spotbot --help <= {GOAL_HELP_S} s: {verdict} ({help_s:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
