"""Counts of the exchange requests the adapter made, by operation and outcome, and their latency:
what ``/metrics`` exports (``spotbot_exchange_requests_total``, ``spotbot_exchange_request_seconds``).

Kept here, in plain counters, so the adapter needs no metrics library; read from another thread (the
API's), written under a lock by whichever job makes the request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Latency:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))  # per bucket, last +Inf
    total_s: float = 0.0


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: dict[tuple[str, str], int] = {}
        self._latency: dict[str, Latency] = {}

    def record(self, operation: str, outcome: str, seconds: float) -> None:
        """One request: ``outcome`` is ``ok`` or the class of the error it ended with (``RetryLater``,
        ``OrderRejected``, ``OutcomeUnknown``...)."""
        index = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
        with self._lock:
            key = (operation, outcome)
            self._outcomes[key] = self._outcomes.get(key, 0) + 1
            latency = self._latency.setdefault(operation, Latency())
            latency.counts[index] += 1
            latency.total_s += seconds

    def outcomes(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._outcomes)

    def latencies(self) -> dict[str, Latency]:
        with self._lock:
            return {op: Latency(list(lat.counts), lat.total_s) for op, lat in self._latency.items()}
