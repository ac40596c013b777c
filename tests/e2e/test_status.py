"""``spotbot status``: the bot as it stands, read from the audit DB, as a user checks it after a run."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.e2e.test_daemon import ROOT, spotbot, write_config


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(spotbot(*args), capture_output=True, text=True, timeout=300, cwd=ROOT)


def as_json(*args: str) -> dict[str, Any]:
    done = run(*args, "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def test_status_shows_the_state_equity_positions_and_their_stops(tmp_path: Path, db_url: str) -> None:
    config = str(write_config(tmp_path, db_url, candles=600, speed=5000))
    done = run("run", "--config", config, "--max-ticks", "400", "--log-format", "json")
    assert done.returncode == 0, done.stderr[-2000:]

    status = as_json("status", "--config", config)
    report = as_json("report", "--config", config)

    assert status["bot"] == "e2e" and status["run"]["id"] == report["run"]["id"]
    assert status["trading_state"]["state"] == "active"
    assert Decimal(status["equity"]) == Decimal(report["summary"]["final_equity"])
    assert Decimal(status["drawdown"]) >= 0 and status["last_tick_at"] is not None
    stops = {o["symbol"] for o in status["working_orders"] if o["purpose"] == "stop"}
    assert {p["symbol"] for p in status["open_positions"]} <= stops  # every position has its stop working

    assert run("halt", "--config", config, "--reason", "checking").returncode == 0
    halted = as_json("status", "--config", config)
    assert (halted["trading_state"]["state"], halted["trading_state"]["reason"]) == ("halted", "checking")
    assert "HALTED (checking)" in " ".join(run("status", "--config", config).stdout.split())


def test_status_before_any_run_says_so_in_one_line(tmp_path: Path, db_url: str) -> None:
    config = str(write_config(tmp_path, db_url, candles=600, speed=5000))
    assert run("db", "upgrade", "--config", config).returncode == 0

    done = run("status", "--config", config)

    assert done.returncode == 1
    assert "no run of bot 'e2e' yet" in done.stderr and "Traceback" not in done.stderr
