"""Clocks. The engine reads time only through one of these (DESIGN: time is injected)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def datetime_to_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch, exact (integer arithmetic, no float rounding); sub-ms floored."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()} given; a tz-aware UTC datetime is required")
    return (moment - EPOCH) // _ONE_MS


def ms_to_datetime(ms: int) -> datetime:
    """The tz-aware UTC datetime of an epoch-milliseconds timestamp."""
    return EPOCH + timedelta(milliseconds=int(ms))


class SystemClock:
    """Wall-clock time, for live and paper trading on a real exchange."""

    def now(self) -> datetime:
        return datetime.now(tz=UTC)


class SimClock:
    """Simulated time for sim and backtest: it moves only when the replay advances it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock needs a tz-aware start time")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance_to(self, at: datetime) -> None:
        with self._lock:
            if at < self._now:
                raise ValueError(f"simulated time cannot go back: {at.isoformat()} < {self._now.isoformat()}")
            self._now = at
