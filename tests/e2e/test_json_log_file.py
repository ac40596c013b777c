"""With ``format = "json"`` (the live example's setting) a run logs JSON lines on stdout *and* to
``logging.file``, the file a log shipper reads; money in them reads as plain numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """
[market]
symbols = ["BTC/USDT"]
replay_speed = 100000
[market.sim]
candles = 400
start_prices = {"BTC/USDT" = 65000}
[logging]
format = "json"
file = "logs/spotbot.jsonl"
"""


def test_a_json_run_writes_the_same_json_lines_to_stdout_and_the_log_file(tmp_path: Path) -> None:
    (tmp_path / "json.toml").write_text(CONFIG)

    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", "json.toml"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "SPOTBOT_BOT__DATA_DIR": str(tmp_path / "data")},
    )

    assert done.returncode == 0, done.stderr[-3000:]
    in_file = [json.loads(line) for line in (tmp_path / "logs" / "spotbot.jsonl").read_text().splitlines()]
    on_stdout = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["event"] for e in in_file] == [e["event"] for e in on_stdout]
    assert {"run_started", "order_submitted", "order_filled", "run_finished"} <= {e["event"] for e in in_file}
    prices = [e["price"] for e in in_file if e["event"] == "order_filled"]
    assert prices and all("E" not in price and float(price) > 10_000 for price in prices)


@pytest.mark.skipif(
    not Path("/proc/self").is_dir(), reason="needs Linux /proc: a directory nobody can create files in"
)
def test_a_log_file_that_cannot_be_created_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[logging]\nfile = "/proc/spotbot.log"\n')

    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", "bad.toml"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "SPOTBOT_BOT__DATA_DIR": str(tmp_path / "data")},
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: logging.file: cannot write the log file /proc/spotbot.log: No such file or directory"
    ]
