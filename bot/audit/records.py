"""Read-side records the domain has no type for. Standard library only, so fakes can use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A stored run: what :class:`bot.ports.RunInfo` described, plus its id and how it ended.

    ``status`` is ``"running"`` until :meth:`finish_run`; a run still ``"running"`` with no
    ``stopped_at`` after the daemon is gone ended in a crash.
    """

    id: int
    started_at: datetime
    stopped_at: datetime | None
    status: str
    mode: str
    venue: str
    version: str
    config_hash: str
    config: dict[str, Any]


RUN_STATUS_RUNNING = "running"
