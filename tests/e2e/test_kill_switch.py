"""The kill switch against a running daemon: `spotbot halt --flatten` closes positions and stops
entries; `spotbot resume` lets it trade again. Both act through the audit DB from another process."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bot.adapters.audit import SqlAuditStore
from bot.core.positions import PositionBook
from bot.domain import OrderPurpose, OrderStatus
from tests.e2e.test_daemon import ROOT, spotbot, write_config


def wait_for(
    condition: Callable[[], bool], what: str, proc: subprocess.Popen[str], seconds: float = 90
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert proc.poll() is None, "the daemon exited early"
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_halt_with_flatten_closes_positions_and_blocks_entries_until_resume(
    tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, db_url, candles=5000, speed=60)
    proc = subprocess.Popen(
        spotbot("run", "--config", str(config), "--log-format", "json"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        with SqlAuditStore(db_url, venue="paper") as store:

            def run_id() -> int | None:
                try:
                    return store.latest_run_id()
                except Exception:  # not migrated yet
                    return None

            def holding() -> bool:
                rid = run_id()
                return rid is not None and bool(PositionBook.from_fills(store.fills(rid)).positions())

            wait_for(holding, "an open position", proc)
            halted = subprocess.run(
                spotbot("halt", "--flatten", "--config", str(config)),
                capture_output=True, text=True, timeout=60, cwd=ROOT,
            )  # fmt: skip
            assert halted.returncode == 0, halted.stderr

            def flat() -> bool:
                rid = run_id()
                return rid is not None and not PositionBook.from_fills(store.fills(rid)).positions()

            wait_for(flat, "the positions to be closed", proc)
            rid = run_id()
            assert rid is not None
            entries_at_flat = _entries_sent(store, rid)
            time.sleep(3)  # about 180 more candles replayed while halted
            assert _entries_sent(store, rid) == entries_at_flat, "no entry may be sent while halted"
            assert not any(
                o.purpose is OrderPurpose.ENTRY and not o.status.is_terminal for o in store.orders(rid)
            ), "working entries are cancelled on halt"

            resumed = subprocess.run(
                spotbot("resume", "--config", str(config)),
                capture_output=True,
                text=True,
                timeout=60,
                cwd=ROOT,
            )
            assert resumed.returncode == 0, resumed.stderr
            wait_for(lambda: _entries_sent(store, rid) > entries_at_flat, "an entry after resume", proc)

            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
            assert proc.returncode == 0
            report = json.loads(
                subprocess.run(
                    spotbot("report", "--json", "--config", str(config)),
                    capture_output=True, text=True, timeout=60, cwd=ROOT, check=True,
                ).stdout
            )  # fmt: skip
            assert report["trading_state"]["state"] == "active"
            assert report["trading_state"]["actor"].startswith("cli:")
            events = [
                (e.state.value, e.actor.split(":")[0], e.flatten) for e in store.trading_state_events("e2e")
            ]
            assert ("halted", "cli", True) in events and events[-1][:2] == ("active", "cli")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _entries_sent(store: SqlAuditStore, run_id: int) -> int:
    return sum(
        1
        for o in store.orders(run_id)
        if o.purpose is OrderPurpose.ENTRY and o.status not in (OrderStatus.PENDING, OrderStatus.REJECTED)
    )
