"""A wall-clock daemon outlives an audit DB outage: the job that met it fails, the next one reconnects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

import pytest
from sqlalchemy import make_url
from structlog.testing import capture_logs

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.adapters.audit.transactions import RetryPolicy
from bot.app.daemon import WallClockDaemon
from bot.core.engine import Engine
from bot.core.ports import RunInfo
from bot.domain import EquitySnapshot
from tests.pg_faults import PgProxy

T0 = datetime(2024, 1, 1, 10, 5, 3, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return T0


class JournalingEngine:
    """Writes an equity snapshot to the audit DB on every tick, as the real engine does when equity moves."""

    def __init__(self, store: SqlAuditStore) -> None:
        self._store = store
        self._run_id = store.start_run(RunInfo(T0, "paper", "paper-binance", "0.1.0", "h", {}))

    def tick(self, candle_close: datetime | None = None) -> None:
        equity = Decimal(10_000)
        self._store.record_equity(self._run_id, EquitySnapshot(T0, equity, equity, Decimal(0), equity))

    def monitor(self) -> None:
        pass


@pytest.fixture
def proxy(pg_db_url: str) -> Iterator[PgProxy]:
    upgrade(pg_db_url)
    url = make_url(pg_db_url)
    running = PgProxy((url.host or "127.0.0.1", url.port or 5432))
    yield running
    running.close()


def test_a_tick_that_met_the_database_down_fails_alone_and_the_next_one_reconnects(
    pg_db_url: str, proxy: PgProxy
) -> None:
    fast = RetryPolicy(attempts=3, first_wait=0.01, max_wait=0.02)
    with SqlAuditStore(proxy.url(pg_db_url), venue="paper-binance", retry=fast) as store:
        daemon = WallClockDaemon(cast(Engine, JournalingEngine(store)), FixedClock(), timeframes=["5m"])
        daemon._tick("5m")

        proxy.close()  # the server goes away for longer than the store's retries
        with capture_logs() as logs:
            daemon._tick("5m")
        proxy.listen()  # and comes back
        daemon._tick("5m")

        assert daemon.failures == 1
        assert len(store.equity_snapshots()) == 2
    [failed] = [entry for entry in logs if entry["event"] == "job_failed"]
    assert failed["log_level"] == "error" and failed["job"] == "tick:5m"
    assert failed["error"].startswith("audit DB postgresql+psycopg://postgres@127.0.0.1:")
    assert "is unavailable" in failed["error"] and "exc_info" not in failed  # one line, no traceback
