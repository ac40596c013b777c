"""``spotbot report`` with nothing to report says so in one line - what it looked for and where, the URL's
password masked - exits 1, and never creates or migrates the audit DB it reads."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.adapters.audit import SqlAuditStore, current_revision, upgrade
from bot.core.ports import RunInfo
from tests.conftest import POSTGRES_URL_ENV


def report(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "report", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=data_dir.parent,
        env={**os.environ, "SPOTBOT_BOT__DATA_DIR": str(data_dir), **(env or {})},
    )


def test_report_before_any_run_says_there_is_none_yet_and_creates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    done = report(data_dir)

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: no run yet: there is no audit DB at sqlite:///{data_dir / 'spotbot.sqlite'}"
    ]
    assert list(tmp_path.iterdir()) == []


def test_report_in_an_empty_data_dir_leaves_it_empty(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()

    done = report(data_dir, "--json")

    assert done.returncode == 1
    assert done.stdout == ""
    assert "no run yet" in done.stderr and "Traceback" not in done.stderr
    assert list(data_dir.iterdir()) == []


def test_report_of_a_db_without_the_audit_tables_says_so(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "spotbot.sqlite").touch()

    done = report(data_dir)

    assert (done.returncode, done.stderr.splitlines()) == (
        1,
        [f"error: no run yet: the audit DB at sqlite:///{data_dir / 'spotbot.sqlite'} has no tables"],
    )
    assert current_revision(f"sqlite:///{data_dir / 'spotbot.sqlite'}") is None, "not migrated by a read"


def test_report_of_a_run_the_db_does_not_hold_names_it_and_the_latest(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite:///{data_dir / 'spotbot.sqlite'}"
    upgrade(url)
    with SqlAuditStore(url, venue="paper") as store:
        run_id = store.start_run(RunInfo(datetime(2024, 1, 1, tzinfo=UTC), "paper", "paper", "0", "h", {}))

    done = report(data_dir, "--run", "99")

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: no run 99 in the audit DB at {url} (the latest is run {run_id})"
    ]
    assert report(data_dir, "--run", str(run_id)).returncode == 0


def test_report_never_shows_the_database_password(tmp_path: Path) -> None:
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base:
        pytest.skip(f"PostgreSQL leg: set {POSTGRES_URL_ENV}")
    schema = f"never_created_{uuid.uuid4().hex[:8]}"
    url = (
        make_url(base)
        .set(password="pw-do-not-print-3c1d")
        .update_query_dict({"options": f"-csearch_path={schema}"})
    )

    done = report(
        tmp_path / "data", env={"SPOTBOT_BOT__DATABASE_URL": url.render_as_string(hide_password=False)}
    )

    assert done.returncode == 1
    assert "pw-do-not-print-3c1d" not in done.stdout + done.stderr
    assert done.stderr.startswith("error: no run yet: the audit DB at postgresql")
    assert done.stderr.rstrip().endswith("has no tables")
