"""Optimize's throwaway audit DBs: one engine per process, a fresh empty database for every backtest."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.audit import SqlAuditStore
from bot.app.optimize.trial_db import TrialDatabases
from bot.core.ports import RunInfo

RUN = RunInfo(started_at=datetime(2024, 3, 1, tzinfo=UTC), mode="paper", venue="offline", version="0.1.0",
              config_hash="abc", config={}, bot_name="tune")  # fmt: skip


def test_each_backtest_writes_its_own_fresh_database_through_the_one_engine(tmp_path: Path) -> None:
    databases = TrialDatabases(tmp_path)
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()

    first_url, engine = databases.fresh(first_dir)
    with SqlAuditStore(engine, venue="offline") as store:
        store.start_run(RUN)
        store.start_run(RUN)
    second_url, same_engine = databases.fresh(second_dir)
    assert same_engine is engine  # its compiled statements are kept
    with SqlAuditStore(engine, venue="offline") as store:
        assert store.runs() == []  # nothing of the first backtest
        store.start_run(RUN)

    assert (first_url, second_url) == (
        f"sqlite:///{first_dir / 'audit.sqlite'}",
        f"sqlite:///{second_dir / 'audit.sqlite'}",
    )
    with (
        SqlAuditStore(first_url, venue="offline") as first,
        SqlAuditStore(second_url, venue="offline") as second,
    ):
        assert (len(first.runs()), len(second.runs())) == (2, 1)  # each row in the file of its backtest


def test_a_forked_worker_opens_an_engine_of_its_own(tmp_path: Path) -> None:
    databases = TrialDatabases(tmp_path)
    (tmp_path / "a").mkdir()
    _, parents = databases.fresh(tmp_path / "a")
    child = os.fork()
    if child == 0:  # the worker: never use the parent's pooled connections
        (tmp_path / "b").mkdir()
        _, own = databases.fresh(tmp_path / "b")
        os._exit(0 if own is not parents else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    (tmp_path / "c").mkdir()
    _, still = databases.fresh(tmp_path / "c")
    assert still is parents
