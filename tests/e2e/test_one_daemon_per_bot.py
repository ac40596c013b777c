"""Defects 7 and 8: one running daemon per bot name per audit DB; a killed daemon's run is closed as
``crashed`` by the next start, which takes its lease over; its report keeps the accounting identity."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from bot.adapters.audit import SqlAuditStore
from tests.e2e.test_daemon import ROOT, spotbot, write_config


def start_daemon(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        spotbot("run", "--config", str(config), "--log-format", "json"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip


def wait_for(
    condition: Callable[[], bool], what: str, proc: subprocess.Popen[str], seconds: float = 120
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the daemon exited early: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, f"no {what} within {seconds:.0f} s"
        time.sleep(0.1)


def fills_of_latest_run(db_url: str) -> int:
    with SqlAuditStore(db_url, venue="paper") as store:
        try:
            run_id = store.latest_run_id()
        except Exception:  # not migrated yet
            return 0
        return len(store.fills(run_id)) if run_id is not None else 0


def test_a_second_daemon_of_the_bot_is_refused_naming_the_first_and_takes_over_once_it_is_killed(
    tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, db_url, candles=20_000, speed=40)
    first = start_daemon(config)
    try:
        wait_for(lambda: fills_of_latest_run(db_url) > 0, "a fill of the first daemon", first)
        second = subprocess.run(
            spotbot("run", "--config", str(config)), capture_output=True, text=True, timeout=120, cwd=ROOT
        )
        assert second.returncode == 4, second.stderr
        [line] = second.stderr.strip().splitlines()
        assert line.startswith("error: bot 'e2e' is already running on this database")
        assert f"host {socket.gethostname()}, pid {first.pid}, since " in line and "run 1" in line
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)

    third = start_daemon(config)  # the dead daemon's lease is free: taken over
    try:
        wait_for(lambda: run_statuses(db_url) == ["crashed", "running"], "the killed run closed", third)
    finally:
        third.send_signal(signal.SIGTERM)
        assert third.wait(timeout=60) == 0, third.communicate()[1][-2000:]
    assert run_statuses(db_url) == ["crashed", "stopped"]


def run_statuses(db_url: str) -> list[str]:
    with SqlAuditStore(db_url, venue="paper") as store:
        return [run.status for run in store.runs()]


def test_a_killed_run_is_closed_at_its_last_row_and_its_report_keeps_the_accounting_identity(
    tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, db_url, candles=20_000, speed=40)
    daemon = start_daemon(config)
    wait_for(lambda: fills_of_latest_run(db_url) >= 6, "a few fills", daemon)
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=30)

    again = subprocess.run(
        spotbot("run", "--config", str(config), "--max-ticks", "1", "--log-format", "json"),
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**os.environ},
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    with SqlAuditStore(db_url, venue="paper") as store:
        killed = store.runs()[0]
        assert killed.status == "crashed" and killed.stopped_at is not None
        assert killed.stopped_at >= killed.started_at, "closed at the newest of its start and its rows"
    report = subprocess.run(
        spotbot("report", "--config", str(config), "--run", "1", "--json"),
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    summary = json.loads(report.stdout)["summary"]
    start, final = Decimal(summary["starting_equity"]), Decimal(summary["final_equity"])
    realized, unrealized, fees = (Decimal(summary[k]) for k in ("realized_pnl", "unrealized_pnl", "fees"))
    assert final == start + realized + unrealized - fees
