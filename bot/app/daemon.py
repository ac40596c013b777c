"""The daemon: APScheduler drives engine ticks until the replay ends or a signal asks it to stop.

In sim mode one replay job per timeframe advances the simulated clock one candle close per firing, at
``replay_speed`` firings a second, and ticks the engine there. Settings require every strategy on an
offline market to use the market's timeframe, so today that is one job. One job (rather than a job per
strategy) keeps the order of strategies within a candle fixed, so a sim run is deterministic and
matches a backtest of the same candles (DESIGN invariant 9).

Jobs never overlap (``max_instances=1``) and misfires coalesce: if a tick takes longer than the replay
interval the replay simply runs slower. A stop request lets the tick in progress finish
(``shutdown(wait=True)``) before the caller closes the run. A failed tick ends a replay as "failed";
a dropped audit DB connection is not a failed tick unless the store's reconnect retries gave up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

import numpy as np

from bot.app.exits import log_failure
from bot.core.engine import Engine
from bot.core.ports import Clock
from bot.domain import TIMEFRAME_SECONDS, timeframe_ms
from bot.domain.clock import SimClock, datetime_to_ms, ms_to_datetime
from bot.domain.series import IntArray
from bot.logs import get_logger

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

# APScheduler is imported where a daemon starts, not with this module: backtests, optimize and the other
# offline commands replay without a scheduler and would pay about 50 ms of imports for it.

log = get_logger(__name__)


@dataclass(slots=True)
class ReplayProgress:
    done: int
    total: int


class Heartbeat:
    """When the daemon last finished a tick, on this machine's monotonic clock: what ``/ready`` checks
    (a tick older than ``limit_s`` means the daemon is stuck or its jobs fail)."""

    BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self._started = time.monotonic()
        self._last: float | None = None
        self.tick_counts = [0] * (len(self.BUCKETS) + 1)  # per bucket (not cumulative), the last is +Inf
        self.tick_seconds_sum = 0.0

    def beat(self, took_s: float | None = None) -> None:
        """A tick finished (``took_s``: how long it ran, for the tick-duration histogram)."""
        self._last = time.monotonic()
        if took_s is not None:
            index = next((i for i, bound in enumerate(self.BUCKETS) if took_s <= bound), len(self.BUCKETS))
            self.tick_counts[index] += 1
            self.tick_seconds_sum += took_s

    @property
    def age_s(self) -> float:
        """Seconds since the last tick (since the start, before the first)."""
        return time.monotonic() - (self._last if self._last is not None else self._started)

    @property
    def fresh(self) -> bool:
        return self.age_s <= self.limit_s


class SimReplay:
    """Walks a simulated clock through the candle close times of an offline market."""

    def __init__(
        self, engine: Engine, clock: SimClock, close_times_ms: Sequence[int] | IntArray, max_ticks: int | None
    ) -> None:
        self._engine = engine
        self._clock = clock
        limit = len(close_times_ms) if max_ticks is None else min(max_ticks, len(close_times_ms))
        self._close_times = np.asarray(close_times_ms[:limit], dtype=np.int64)  # no Python int per close
        self._next = 0
        self.finished = threading.Event()
        self.error: BaseException | None = None

    @property
    def progress(self) -> ReplayProgress:
        return ReplayProgress(self._next, len(self._close_times))

    @property
    def clock(self) -> SimClock:
        return self._clock

    @property
    def close_times_ms(self) -> IntArray:
        """The candle close times replayed, ascending (read-only)."""
        view = self._close_times.view()
        view.flags.writeable = False
        return view

    def run_to_end(self, on_step: Callable[[int], None] | None = None) -> None:
        """Step through every remaining candle close at once, with no scheduler (backtests, tests).
        ``on_step`` gets the count of closes done after each; a failed tick ends it (see ``error``)."""
        while not self.finished.is_set():
            self.step()
            if on_step is not None:
                on_step(self._next)

    def step(self) -> None:
        """One scheduler firing: advance to the next candle close and tick. Never raises."""
        if self.finished.is_set():
            return
        if self._next >= len(self._close_times):
            self.finished.set()
            return
        try:
            self._clock.advance_to(ms_to_datetime(int(self._close_times[self._next])))
            self._engine.tick()
        except Exception as exc:  # a failed tick ends the replay; the caller reports it
            log_failure(log, "tick_failed", exc)
            self.error = exc
            self.finished.set()
            return
        self._next += 1
        if self._next >= len(self._close_times):
            self.finished.set()


class Daemon:
    """Runs scheduled jobs until ``stop`` is set or the replay finishes."""

    def __init__(self, replay: SimReplay, *, timeframe: str, replay_speed: float) -> None:
        self._replay = replay
        self._timeframe = timeframe
        self._interval = 1.0 / replay_speed
        self.heartbeat = Heartbeat(2 * self._interval + 5.0)  # + scheduler jitter on a busy machine
        # APScheduler warns on every skipped overlapping run; with max_instances=1 that is by design.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)

    def run(self, stop: threading.Event, on_idle: Callable[[], None] | None = None) -> str:
        """Block until stopped. Returns "completed", "stopped" or "failed"."""
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            self._step,
            IntervalTrigger(seconds=self._interval, timezone=UTC),
            id=f"replay:{self._timeframe}",
            name=f"sim replay {self._timeframe}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        scheduler.start()
        log.info("daemon_started", job=f"replay:{self._timeframe}", interval_s=self._interval)
        try:
            while not stop.is_set() and not self._replay.finished.is_set():
                stop.wait(0.1)
                if on_idle is not None:
                    on_idle()
        finally:
            scheduler.shutdown(wait=True)  # the tick in progress finishes before we return
        if self._replay.error is not None:
            return "failed"
        return "stopped" if stop.is_set() and not self._replay.finished.is_set() else "completed"

    def _step(self) -> None:
        began = time.perf_counter()
        self._replay.step()
        if self._replay.error is None:
            self.heartbeat.beat(time.perf_counter() - began)

    @property
    def replay(self) -> SimReplay:
        return self._replay

    @property
    def progress(self) -> ReplayProgress | None:
        return self._replay.progress


def candle_close_trigger(timeframe: str, settle_seconds: int) -> CronTrigger:
    """Fire ``settle_seconds`` after each close of a ``timeframe`` candle (UTC-aligned, like exchanges)."""
    from apscheduler.triggers.cron import CronTrigger

    seconds = TIMEFRAME_SECONDS[timeframe]
    if seconds < 3600:
        return CronTrigger(minute=f"*/{seconds // 60}", second=settle_seconds, timezone=UTC)
    if seconds < 86400:
        return CronTrigger(hour=f"*/{seconds // 3600}", minute=0, second=settle_seconds, timezone=UTC)
    return CronTrigger(hour=0, minute=0, second=settle_seconds, timezone=UTC)


class WallClockDaemon:
    """Live and paper trading on a real exchange: one job per timeframe at each candle close, plus a
    monitor job between closes (fills, stops, timeouts, kill-switch commands). Jobs never overlap:
    APScheduler allows one instance per job and the engine serializes a tick against a monitor run.
    A failed job is logged and the daemon keeps running (the next run retries); it never crashes on
    an exchange outage, nor on an audit DB that is away for longer than the store's own reconnect
    retries (the job that met it fails; the next one reconnects).
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        timeframes: Sequence[str],
        settle_seconds: int = 3,
        monitor_seconds: float = 10.0,
        reconcile: Callable[[], None] | None = None,
        reconcile_minutes: float = 15.0,
        still_leased: Callable[[], bool] | None = None,
        lease_check_seconds: float = 15.0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._timeframes = sorted(set(timeframes), key=timeframe_ms)
        self._settle = settle_seconds
        self._monitor_seconds = monitor_seconds
        self._reconcile = reconcile
        self._reconcile_minutes = reconcile_minutes
        self._still_leased = still_leased
        self._lease_check_seconds = lease_check_seconds
        self._lease_lost = threading.Event()
        self.failures = 0
        shortest = TIMEFRAME_SECONDS[self._timeframes[0]]
        self.heartbeat = Heartbeat(2 * shortest + settle_seconds)

    def watch_lease(self, still_leased: Callable[[], bool]) -> None:
        """Check every ``lease_check_seconds`` that this daemon still holds its bot's lease; stop if not."""
        self._still_leased = still_leased

    def _check_lease(self) -> None:
        if self._still_leased is not None and not self._still_leased():
            log.critical("daemon_lease_lost_stopping")
            self._lease_lost.set()

    @property
    def progress(self) -> ReplayProgress | None:
        return None  # a wall-clock daemon runs until stopped

    def reconcile_now(self) -> None:
        """Run the periodic reconciliation job once, now (as the scheduler would)."""
        if self._reconcile is not None:
            self._guarded(self._reconcile, "reconcile")

    def _tick(self, timeframe: str) -> None:
        step = timeframe_ms(timeframe)
        close_ms = datetime_to_ms(self._clock.now()) // step * step
        began = time.perf_counter()
        if self._guarded(lambda: self._engine.tick(ms_to_datetime(close_ms)), f"tick:{timeframe}"):
            self.heartbeat.beat(time.perf_counter() - began)

    def _guarded(self, job: Callable[[], None], name: str) -> bool:
        try:
            job()
        except Exception as exc:  # e.g. the audit DB gone: the next run reconnects (or fails again)
            self.failures += 1
            log_failure(log, "job_failed", exc, job=name, failures=self.failures)
            return False
        return True

    def run(self, stop: threading.Event, on_idle: Callable[[], None] | None = None) -> str:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = BackgroundScheduler(timezone=UTC)
        for timeframe in self._timeframes:
            scheduler.add_job(
                self._tick,
                candle_close_trigger(timeframe, self._settle),
                args=[timeframe],
                id=f"tick:{timeframe}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=60,
            )
        scheduler.add_job(
            lambda: self._guarded(self._engine.monitor, "monitor"),
            IntervalTrigger(seconds=self._monitor_seconds, timezone=UTC),
            id="monitor",
            max_instances=1,
            coalesce=True,
        )
        if self._reconcile is not None:
            reconcile = self._reconcile
            scheduler.add_job(
                lambda: self._guarded(reconcile, "reconcile"),
                IntervalTrigger(minutes=self._reconcile_minutes, timezone=UTC),
                id="reconcile",
                max_instances=1,
                coalesce=True,
            )
        if self._still_leased is not None:
            scheduler.add_job(
                lambda: self._guarded(self._check_lease, "lease"),
                IntervalTrigger(seconds=self._lease_check_seconds, timezone=UTC),
                id="lease",
                max_instances=1,
                coalesce=True,
            )
        scheduler.start()
        log.info("daemon_started", jobs=[job.id for job in scheduler.get_jobs()])
        try:
            while not stop.is_set() and not self._lease_lost.is_set():
                stop.wait(0.2)
                if on_idle is not None:
                    on_idle()
        finally:
            scheduler.shutdown(wait=True)
        return "lease_lost" if self._lease_lost.is_set() else "stopped"
