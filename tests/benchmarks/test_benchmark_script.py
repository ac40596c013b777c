"""Smoke tests of the scripts in benchmarks/: each runs end to end on a tiny size. No timing assertions:
speed and memory figures live in the scripts' output and benchmarks/README.md, never in tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "backtest_speed.py"


def run_script(name: str, *args: str) -> str:
    """Run ``benchmarks/<name>`` from the project root; its stdout (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT.parent / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=SCRIPT.parent.parent,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_benchmark_script_runs_on_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--candles", "300", "--symbols", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=SCRIPT.parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert "candles/s" in done.stdout
    assert "EXTRAPOLATED" in done.stdout  # 1M candles were not run, so the 1M figures say so
    result = json.loads(out.read_text(encoding="utf-8"))
    for variant in ("default", "trading"):
        (run,) = result["runs"][variant]
        assert run["candles"] == run["closes"] == 300
        assert run["outcome"] == "completed"
        assert 0 < run["ticks"] < 300  # the quiet closes were skipped
    assert {g["variant"] for g in result["goals"]} == {"default", "trading"}


def test_the_replay_memory_script_runs_on_a_tiny_size() -> None:
    out = run_script("replay_memory.py", "--ticks", "600")
    assert "ticks 600, symbols 1" in out and "outcome completed" in out
    assert "growth after warm-up" in out and "goal: at most 10%" in out


def test_the_cli_startup_script_runs() -> None:
    out = run_script("cli_startup.py", "--repeat", "1")
    assert "spotbot --help" in out and "goal: spotbot --help <= 0.25 s" in out


def test_the_journal_speed_script_runs() -> None:
    out = run_script("journal_speed.py", "--fills", "200")
    assert "record_fills" in out and "bare driver" in out
    assert "goal: >= 5,000 durable fills/s" in out


def test_the_window_read_script_runs() -> None:
    out = run_script("window_read.py", "--candles", "20000", "--days", "2")
    assert "columnar vs csv" in out
    assert "same candles and market rules from both: True" in out


def test_the_optimize_speed_script_runs(shared_data: Path) -> None:
    out = run_script(
        "optimize_speed.py", "--trials", "3", "--repeat", "1", "--data", str(shared_data / "ETH_BTC-5m.csv")
    )
    assert "--jobs 2 vs --jobs 1" in out and "goal: --jobs 2 >= 1.7x" in out
