"""A backtest's replay: the daemon's engine, ticked only at the closes where something can happen.

:class:`bot.app.daemon.SimReplay` ticks the engine at every candle close (what the sim daemon does, paced by
APScheduler). :class:`EventReplay` ticks the same engine at the wakes of a
:class:`bot.app.backtest.events.EventPlanner` and folds the quiet closes in between into equity marks. The
orders, fills, risk decisions and trading states are the same (``tests/backtest/test_event_parity.py``
runs both over the same candles and compares them); only equity snapshots differ: every close's
versus the ticks' plus each quiet stretch's record high and deepest fall.

**Shadow mode** (``SPOTBOT_SHADOW_REPLAY=1``, on in the test suite): the engine is also ticked at every
close the planner skipped, with every strategy, and the replay fails there if the tick did anything
(:meth:`bot.core.engine.Engine.activity` changed): the planner's reasons for skipping are re-derived by
the engine's own rules at every close, so a rule changed in the engine and forgotten in the planner
fails every backtest in the suite, not just the parity examples that happen to reach it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import numpy as np

from bot.adapters.market.offline import OfflineMarket
from bot.adapters.paper.broker import PaperBroker
from bot.app.backtest.events import EventPlanner
from bot.app.bootstrap import App
from bot.app.daemon import ReplayProgress
from bot.core.engine import Engine
from bot.domain.clock import SimClock, ms_to_datetime
from bot.logs import get_logger

log = get_logger(__name__)

SHADOW_ENV = "SPOTBOT_SHADOW_REPLAY"


class ShadowMismatch(RuntimeError):
    """The engine acted at a close the event planner skipped: the planner and the engine disagree."""


class EventReplay:
    def __init__(
        self, engine: Engine, clock: SimClock, planner: EventPlanner, broker: PaperBroker, *, shadow: bool
    ) -> None:
        self._engine = engine
        self._shadow = shadow
        self.shadow_ticks = 0  # skipped closes ticked anyway, in shadow mode, to check they were quiet
        self._clock = clock
        self._planner = planner
        self._broker = broker
        self._done = 0
        self.ticks = 0  # closes the engine actually ticked at
        self.finished = threading.Event()
        self.error: BaseException | None = None

    @property
    def progress(self) -> ReplayProgress:
        return ReplayProgress(self._done, len(self._planner.timeline))

    def run_to_end(self, on_step: Callable[[int], None] | None = None) -> None:
        """Tick every wake, oldest first. ``on_step`` gets the count of closes done (ticked or skipped)
        after each tick; a failed tick ends the replay (see ``error``), as in ``SimReplay``."""
        index: int | None = 0 if len(self._planner.timeline) else None
        try:
            while index is not None:
                self._clock.advance_to(ms_to_datetime(int(self._planner.timeline[index])))
                self._engine.tick(due=self._planner.due(index))
                self.ticks += 1
                self._done = index + 1
                if on_step is not None:
                    on_step(self._done)
                after = index
                index, marks = self._planner.next_wake(
                    index, self._engine.quiet_watch(), self._broker.has_unreported
                )
                if self._shadow:
                    self._check_quiet(
                        range(after + 1, len(self._planner.timeline) if index is None else index)
                    )
                else:
                    self._engine.absorb_quiet(marks)
        except Exception as exc:  # a failed tick ends the replay; the caller reports it
            log.exception("tick_failed")
            self.error = exc
        self.finished.set()

    def _check_quiet(self, skipped: range) -> None:
        """Tick every skipped close (every strategy); the first that changes anything is a mismatch."""
        for at in skipped:
            close = ms_to_datetime(int(self._planner.timeline[at]))
            self._clock.advance_to(close)
            before = self._engine.activity()
            self._engine.tick()
            self.shadow_ticks += 1
            if self._engine.activity() != before:
                raise ShadowMismatch(
                    f"the engine acted at {close.isoformat()}, a close the event planner skipped: "
                    f"before {before!r}, after {self._engine.activity()!r}"
                )


def event_replay(app: App, market: OfflineMarket, *, shadow: bool | None = None) -> EventReplay:
    """An event-driven replay of ``app``'s offline run over ``market`` (the market it was built with);
    ``shadow``: check every skipped close (default: ``SPOTBOT_SHADOW_REPLAY=1`` in the environment)."""
    if shadow is None:
        shadow = os.environ.get(SHADOW_ENV, "") == "1"
    if not isinstance(app.broker, PaperBroker):
        raise TypeError("an event-driven replay needs the paper broker of an offline run")
    sim = app.replay
    timeline = np.asarray(sim.close_times_ms, dtype=np.int64)
    planner = EventPlanner(market, app.engine.strategy_symbols(), app.broker, timeline)
    return EventReplay(app.engine, sim.clock, planner, app.broker, shadow=shadow)
