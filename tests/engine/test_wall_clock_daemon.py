"""Wall-clock scheduling: jobs fire just after each candle close and tick for that exact close."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import cast

import pytest

from bot.app.daemon import WallClockDaemon, candle_close_trigger
from bot.core.engine import Engine


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


class RecordingEngine:
    def __init__(self, fail: bool = False) -> None:
        self.ticks: list[datetime | None] = []
        self.monitors = 0
        self.fail = fail

    def tick(self, candle_close: datetime | None = None) -> None:
        self.ticks.append(candle_close)
        if self.fail:
            raise ConnectionError("exchange down")

    def monitor(self) -> None:
        self.monitors += 1


@pytest.mark.parametrize(
    ("timeframe", "expected"),
    [
        ("1m", datetime(2024, 1, 1, 10, 8, 3, tzinfo=UTC)),
        ("5m", datetime(2024, 1, 1, 10, 10, 3, tzinfo=UTC)),
        ("1h", datetime(2024, 1, 1, 11, 0, 3, tzinfo=UTC)),
        ("4h", datetime(2024, 1, 1, 12, 0, 3, tzinfo=UTC)),
        ("1d", datetime(2024, 1, 2, 0, 0, 3, tzinfo=UTC)),
    ],
)
def test_jobs_fire_a_few_seconds_after_each_candle_close(timeframe: str, expected: datetime) -> None:
    trigger = candle_close_trigger(timeframe, settle_seconds=3)
    assert trigger.get_next_fire_time(None, datetime(2024, 1, 1, 10, 7, 30, tzinfo=UTC)) == expected


def daemon_for(engine: RecordingEngine, clock: FixedClock) -> WallClockDaemon:
    return WallClockDaemon(cast(Engine, engine), clock, timeframes=["5m"], settle_seconds=3)


def test_a_tick_is_for_the_candle_that_just_closed_not_the_forming_one() -> None:
    engine = RecordingEngine()
    daemon = daemon_for(engine, FixedClock(datetime(2024, 1, 1, 10, 5, 3, tzinfo=UTC)))
    daemon._tick("5m")
    assert engine.ticks == [datetime(2024, 1, 1, 10, 5, tzinfo=UTC)]


def test_a_failing_tick_is_logged_and_the_daemon_keeps_running() -> None:
    engine = RecordingEngine(fail=True)
    daemon = daemon_for(engine, FixedClock(datetime(2024, 1, 1, 10, 5, 3, tzinfo=UTC)))
    daemon._tick("5m")
    daemon._tick("5m")
    assert daemon.failures == 2


def test_the_monitor_job_runs_between_closes_until_stopped() -> None:
    engine = RecordingEngine()
    daemon = WallClockDaemon(
        cast(Engine, engine),
        FixedClock(datetime(2024, 1, 1, tzinfo=UTC)),
        timeframes=["1h"],
        monitor_seconds=0.05,
    )
    stop = threading.Event()
    deadline = time.monotonic() + 30

    def on_idle() -> None:
        if engine.monitors >= 3 or time.monotonic() > deadline:
            stop.set()

    assert daemon.run(stop, on_idle=on_idle) == "stopped"
    assert engine.monitors >= 3
