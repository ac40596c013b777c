"""A backtest's --from/--to window read from a big candle file (issue 11, "reads only its window").

    python benchmarks/window_read.py [--candles N] [--days D]

Writes a seeded random walk of N one-minute candles (default 2,000,000: 3.8 years, about 120 MB of CSV)
in ``spotbot download``'s format, then, each in a fresh process, builds the market a backtest of a D-day
window (default 15) in the middle of it would trade (``bot.app.backtest.runner.backtest_market``, the
command's own path):

- ``csv``: from the CSV alone (read and validated whole, then sliced);
- ``columnar``: with the columnar copy ``download`` writes beside it (only the overlapping row groups);

and prints each one's wall time and peak memory (VmHWM, imports included; Linux), the ratios, and
whether both gave the same candles and market rules. Also how long writing the copy took. Figures live
here and in benchmarks/README.md, never in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

START = datetime(2022, 1, 1, tzinfo=UTC)


def write_csv(path: Path, candles: int) -> None:
    rng = np.random.default_rng(7)
    close = 30_000 * np.exp(np.cumsum(rng.normal(0, 0.03 / np.sqrt(1440), candles)))
    open_ = np.concatenate([[30_000.0], close[:-1]])
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.001, candles))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.001, candles))
    volume = rng.lognormal(2, 1, candles)
    times = int(START.timestamp() * 1000) + 60_000 * np.arange(candles, dtype=np.int64)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("timestamp,open,high,low,close,volume\n")
        for start in range(0, candles, 100_000):
            rows = slice(start, start + 100_000)
            block = zip(
                times[rows], open_[rows], high[rows], low[rows], close[rows], volume[rows], strict=True
            )
            handle.writelines(
                f"{t},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{v:.4f}\n" for t, o, h, lo, c, v in block
            )


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not inherit the parent's
    peak across exec, and the parent here generated the whole file in memory)."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def child(folder: Path, start: str, end: str) -> None:
    """Build the backtest's market for the window; print what it holds, the time and peak memory."""
    from bot.app.backtest.data import parse_date
    from bot.app.backtest.runner import backtest_market, load_backtest_settings

    config = folder / "bench.toml"
    settings, _ = load_backtest_settings(config, [folder / "BTC_USDT-1m.csv"], folder / "out", env={})
    began = time.perf_counter()
    market = backtest_market(settings, parse_date(start, "--from"), parse_date(end, "--to"))
    elapsed = time.perf_counter() - began
    series = market.series("BTC/USDT")
    print(json.dumps({
        "seconds": elapsed,
        "peak_mb": peak_mb(),
        "candles": len(series),
        "checksum": float(series.close.sum()),
        "rules": str(market.rules("BTC/USDT")),
    }))  # fmt: skip


def run_child(folder: Path, start: str, end: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), start, end],
        capture_output=True, text=True, check=True, timeout=3600,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--candles", type=int, default=2_000_000, help="one-minute candles in the file")
    parser.add_argument("--days", type=int, default=15, help="the window's length in days")
    args = parser.parse_args()
    from bot.adapters.market.columnar import write_columnar

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = folder / "BTC_USDT-1m.csv"
        write_csv(csv, args.candles)
        (folder / "bench.toml").write_text(
            '[bot]\nname = "window"\n[market]\nsymbols = ["BTC/USDT"]\ntimeframe = "1m"\n'
            '[[strategies]]\nname = "ma"\n'
        )
        middle = START + timedelta(minutes=args.candles // 2)
        start, end = middle.isoformat(), (middle + timedelta(days=args.days)).isoformat()
        size = csv.stat().st_size / 2**20
        print(f"{args.candles:,} 1m candles, CSV {size:.0f} MB; window {start} + {args.days} days")
        from_csv = run_child(folder, start, end)
        began = time.perf_counter()
        write_columnar(csv, "BTC/USDT", "1m")
        written = time.perf_counter() - began
        copy = csv.with_suffix(".parquet")
        size = copy.stat().st_size / 2**20
        print(f"columnar copy written in {written:.1f} s ({size:.0f} MB), as download does")
        from_copy = run_child(folder, start, end)
    print(f"\n{'source':<10} {'seconds':>8} {'peak MB':>8} {'candles':>8}")
    for name, result in (("csv", from_csv), ("columnar", from_copy)):
        print(f"{name:<10} {result['seconds']:>8.2f} {result['peak_mb']:>8.0f} {result['candles']:>8,}")
    same = all(from_csv[k] == from_copy[k] for k in ("candles", "checksum", "rules"))
    speedup = float(from_csv["seconds"]) / max(float(from_copy["seconds"]), 1e-9)  # type: ignore[arg-type]
    memory = float(from_csv["peak_mb"]) / float(from_copy["peak_mb"])  # type: ignore[arg-type]
    print(f"columnar vs csv: {speedup:.0f}x faster, {memory:.1f}x less peak memory")
    print(f"same candles and market rules from both: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
