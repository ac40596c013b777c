"""The daemon meets a broken audit DB: a named error, exit 5, one line; a dropped connection costs nothing.

Each fault is real and happens to a ``spotbot`` subprocess: PostgreSQL server processes terminated
mid-run, a read-only role, a read-only SQLite open, a file-size limit that fills the "disk", a server
nobody listens for.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.app.report_json import report_to_json
from bot.app.reporting import build_report
from tests.pg_faults import terminate

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, db_url: str, *, candles: int = 900, speed: float = 5000) -> Path:
    config = tmp_path / "bot.toml"
    config.write_text(
        f"""
[bot]
name = "dbfaults"
data_dir = "{tmp_path / "data"}"
database_url = "{db_url}"
[bot.starting_balances]
USDT = "10000"
[market]
source = "sim"
symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
timeframe = "5m"
replay_speed = {speed}
[market.sim]
seed = 7
candles = {candles}
[market.sim.start_prices]
"BTC/USDT" = 42000.0
"ETH/USDT" = 2300.0
"SOL/USDT" = 100.0
[[strategies]]
name = "ma_cross"
kind = "ma_crossover"
"""
    )
    return config


def spotbot(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "80", **(env or {})},
        **kwargs,
    )


def the_one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The command ended with exit 5 and a single ``error:`` line on stderr, no traceback."""
    assert done.returncode == 5, (done.returncode, done.stderr[-3000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: audit DB "), lines[0]
    assert "Traceback" not in done.stdout
    return lines[0]


def json_events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


# ----------------------------------------------------------------- PostgreSQL: connections dropped


@pytest.fixture
def admin(pg_db_url: str) -> Iterator[Engine]:
    engine = create_engine(make_url(pg_db_url).set(query={}), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def with_query(url: str, **values: str) -> str:
    return make_url(url).update_query_dict(values).render_as_string(hide_password=False)


def comparable(store: SqlAuditStore, run_id: int) -> dict[str, Any]:
    """A run's report and order history without what differs between two runs of the same replay
    (ids, wall-clock times)."""
    report = report_to_json(build_report(store, run_id))
    ids = ("trade_id", "client_order_id")
    return {
        "summary": report["summary"],
        "risk": report["risk"],
        "balances": report["balances"],
        "orders_by_status": report["orders_by_status"],
        "trades": [{k: v for k, v in trade.items() if k != "id"} for trade in report["trades"]],  # <run>-<n>
        "fills": [{k: v for k, v in fill.items() if k not in ids} for fill in report["fills"]],
        "order events": [(e.status, e.occurred_at, e.detail) for e in store.order_events(run_id=run_id)],
        "equity snapshots": store.equity_snapshots(run_id),
    }


def test_a_run_whose_postgresql_connections_are_terminated_again_and_again_ends_as_if_undisturbed(
    tmp_path: Path, pg_db_url: str, admin: Engine
) -> None:
    app_name = f"spotbot-e2e-{uuid.uuid4().hex[:12]}"
    config = write_config(tmp_path, with_query(pg_db_url, application_name=app_name), candles=500, speed=250)
    calm = spotbot("run", "--config", str(config), env={"SPOTBOT_MARKET__REPLAY_SPEED": "5000"})
    assert calm.returncode == 0, calm.stderr[-3000:]

    stormy = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    terminations = 0
    try:
        deadline = time.monotonic() + 120
        while stormy.poll() is None and time.monotonic() < deadline:
            terminations += terminate(admin, app_name) > 0
            with contextlib.suppress(subprocess.TimeoutExpired):
                stormy.wait(timeout=0.2)
        _, stderr = stormy.communicate(timeout=60)
    finally:
        if stormy.poll() is None:
            stormy.kill()

    assert stormy.returncode == 0, stderr[-3000:]
    assert terminations >= 3, f"only {terminations} terminations hit the run"
    with SqlAuditStore(pg_db_url, venue="paper") as store:
        runs = store.runs()
        assert [r.status for r in runs] == ["completed", "completed"]
        calm_run, stormy_run = (comparable(store, r.id) for r in runs)
    assert stormy_run["summary"]["fills"] > 0
    assert stormy_run == calm_run  # nothing lost, nothing written twice


def test_a_run_as_a_postgresql_role_that_may_only_read_exits_5_naming_the_database_read_only(
    tmp_path: Path, pg_db_url: str, admin: Engine
) -> None:
    upgrade(pg_db_url)
    schema = make_url(pg_db_url).query["options"].split("=", 1)[1]
    role = f"spotbot_ro_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    try:
        url = make_url(pg_db_url).set(username=role).render_as_string(hide_password=False)
        done = spotbot("run", "--config", str(write_config(tmp_path, url)))

        line = the_one_error_line(done)
        assert f"{role}@127.0.0.1" in line and "is read-only (permission denied for table" in line
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))


def test_a_run_with_postgresql_unreachable_exits_5_with_one_line_after_bounded_retries(
    tmp_path: Path,
) -> None:
    url = "postgresql+psycopg://spotbot:s3cret-pw@127.0.0.1:1/audit"  # nobody listens on port 1
    started = time.monotonic()
    done = spotbot(
        "run",
        "--config",
        str(write_config(tmp_path, "sqlite:///unused")),
        env={"SPOTBOT_BOT__DATABASE_URL": url},
    )

    line = the_one_error_line(done)
    assert time.monotonic() - started < 30
    assert line.startswith(
        "error: audit DB postgresql+psycopg://spotbot:**********@127.0.0.1:1/audit is unavailable"
    )
    assert "Connection refused" in line and "s3cret-pw" not in done.stdout + done.stderr


# ----------------------------------------------------------------- SQLite: read-only, full


def test_a_run_on_a_read_only_sqlite_database_exits_5_naming_it_read_only(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    upgrade(f"sqlite:///{path}")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"

    line = the_one_error_line(spotbot("run", "--config", str(write_config(tmp_path, read_only))))

    assert line.startswith(f"error: audit DB {read_only} is read-only (attempt to write a readonly database)")
    with SqlAuditStore(f"sqlite:///{path}", venue="paper") as store:
        assert store.runs() == []


@pytest.mark.parametrize("command", [["halt"], ["resume"], ["db", "upgrade"]])
def test_other_commands_on_a_database_they_cannot_use_exit_5_with_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "audit.sqlite"
    upgrade(f"sqlite:///{path}")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'audit.sqlite'}"
    writes = command[0] in ("halt", "resume")

    done = spotbot(*command, "--config", str(write_config(tmp_path, read_only if writes else missing)))

    assert (
        "is read-only" if writes else "is unavailable (unable to open database file)"
    ) in the_one_error_line(done)


def _fill_the_disk_at(limit: int) -> None:
    """In the child: files may not grow past ``limit`` bytes, and a write past it fails (EFBIG) rather
    than killing the process (SIGXFSZ), as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_run_whose_disk_fills_up_exits_5_and_keeps_everything_committed_before(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    upgrade(f"sqlite:///{path}")
    config = write_config(tmp_path, f"sqlite:///{path}")

    done = spotbot(
        "run",
        "--config",
        str(config),
        "--log-format",
        "json",  # logs on stdout (a pipe): only the database's files meet the limit
        env={"PYTHONDONTWRITEBYTECODE": "1"},
        preexec_fn=lambda: _fill_the_disk_at(path.stat().st_size + 256 * 1024),
    )

    line = the_one_error_line(done)
    assert line.startswith(f"error: audit DB sqlite:///{path} is full")
    events = json_events(done.stdout)
    submitted = {e["client_order_id"] for e in events if e["event"] == "order_submitted"}
    assert submitted, "the disk filled before any order: raise the limit"
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with SqlAuditStore(f"sqlite:///{path}", venue="paper") as store:
        stored = {o.client_order_id for o in store.orders()}
        assert submitted <= stored  # every order sent was on disk before it was sent, and still is
        [run] = store.runs()
        # Closing the run is one more write: it fits if the failed one grew the file and it does not.
        assert run.status in ("failed", "running")
    again = spotbot("run", "--config", str(config), "--max-ticks", "1", "--log-format", "json")
    assert again.returncode == 0, again.stderr[-2000:]
    with SqlAuditStore(f"sqlite:///{path}", venue="paper") as store:
        first = store.runs()[0]
        assert first.status in ("failed", "crashed"), "with room again, no run is left running"
    assert any(e["event"] == "tick_failed" and "is full" in e["error"] for e in events)
