"""One trial, measured: the config with the trial's params, backtested on every walk-forward window.

Built once per process (:class:`Evaluator`): the settings, the market and its windows are loaded once;
each backtest then runs the daemon's own wiring (:func:`bot.app.backtest.runner.run_backtest`) with an
audit DB of its own in a throwaway temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.data import parse_date
from bot.app.backtest.metrics import BacktestMetrics
from bot.app.backtest.result import result_to_json
from bot.app.backtest.runner import (
    BacktestRun,
    backtest_market,
    check_replayable,
    data_overrides,
    run_backtest,
)
from bot.app.optimize.objective import check_objective, mean, score
from bot.app.optimize.space import Dimension, search_space, strategy_params
from bot.app.optimize.trial_db import TrialDatabases
from bot.app.optimize.walkforward import Window, timeline_windows, window_markets
from bot.app.settings import ConfigError, Settings, load_settings

SHARED_MEMORY = Path("/dev/shm")


def scratch_dir() -> str | None:
    """Where the throwaway audit DBs go: shared memory when there is some (no fsync on every commit;
    the DBs are deleted after each backtest), else the system's temporary directory."""
    return str(SHARED_MEMORY) if SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK) else None


class InvalidParams(ValueError):
    """The trial's combination of params is refused by the settings (e.g. slow <= fast)."""


class BacktestFailed(RuntimeError):
    """A tick raised during one of the trial's backtests (a bug, not a bad score)."""


@dataclass(frozen=True, slots=True)
class OptimizeSetup:
    """What every worker process needs to rebuild the same evaluator (picklable)."""

    config: Path
    data: tuple[Path, ...] = ()
    start: str | None = None  # --from
    end: str | None = None  # --to (exclusive)
    folds: int = 3  # --windows
    objective: str = "sharpe"

    @property
    def start_at(self) -> datetime | None:
        return parse_date(self.start, "--from") if self.start else None

    @property
    def end_at(self) -> datetime | None:
        return parse_date(self.end, "--to") if self.end else None


@dataclass(frozen=True, slots=True)
class TrialScores:
    window_scores: list[float]  # the objective on windows 0 .. K
    window_trades: list[int]

    @property
    def in_sample(self) -> float:
        return mean(self.window_scores[:-1])

    @property
    def out_of_sample(self) -> float:
        return mean(self.window_scores[1:])

    @property
    def gap(self) -> float:
        return self.in_sample - self.out_of_sample


class Evaluator:
    def __init__(self, setup: OptimizeSetup) -> None:
        self.setup = setup
        check_objective(setup.objective)
        self.files, self._overrides = data_overrides(setup.config, setup.data)
        self.settings = load_settings(setup.config, overrides=self._overrides)
        check_replayable(setup.config, self.settings)
        self.dimensions: list[Dimension] = search_space(self.settings)
        self.market: OfflineMarket = backtest_market(self.settings, setup.start_at, setup.end_at)
        self.windows: list[Window] = timeline_windows(self.market, setup.folds)
        self._window_markets = window_markets(self.market, self.windows)
        self.market_candles = sum(window.candles for window in self.windows)
        # Every backtest gets a fresh audit DB: a copy of one migrated here, not a migration each time.
        self._scratch = tempfile.TemporaryDirectory(prefix="spotbot-optimize-", dir=scratch_dir())
        self._databases = TrialDatabases(Path(self._scratch.name))

    def trial_settings(self, values: dict[str, Any]) -> Settings:
        """The config with the trial's params (validated once per trial, before any backtest runs; the
        audit DB is each backtest's own, :meth:`_backtest`); :class:`InvalidParams` if refused."""
        tuned = strategy_params(values, self.dimensions)
        strategies = []
        for strategy in self.settings.strategies:
            entry = strategy.model_dump(mode="json", exclude_none=True)
            entry["params"] = {**entry["params"], **tuned.get(strategy.name, {})}
            strategies.append(entry)
        overrides = {**self._overrides, "bot": {"database_url": "sqlite://"}, "strategies": strategies}
        try:
            return load_settings(self.setup.config, overrides=overrides)
        except ConfigError as exc:
            raise InvalidParams("; ".join(str(p) for p in exc.problems) or str(exc)) from None

    def _backtest(
        self, settings: Settings, market: OfflineMarket, folder: str, *, extras: bool
    ) -> BacktestRun:
        """``settings`` backtested on ``market`` with a fresh audit DB in ``folder`` (its URL is ours:
        nothing to validate again; :class:`~bot.app.optimize.trial_db.TrialDatabases`)."""
        url, engine = self._databases.fresh(folder)
        bot = settings.bot.model_copy(update={"database_url": url})
        settings = settings.model_copy(update={"bot": bot})
        run = run_backtest(settings, market, data=self.files, extras=extras, audit_engine=engine)
        run.app.store.close()
        return run

    def _metrics(self, settings: Settings, market: OfflineMarket) -> BacktestMetrics:
        with tempfile.TemporaryDirectory(prefix="spotbot-optimize-", dir=scratch_dir()) as tmp:
            run = self._backtest(settings, market, tmp, extras=False)
            if run.outcome != "completed":
                raise BacktestFailed(f"a tick failed: {run.error!r}")
            return run.metrics  # scored on metrics alone: the report left out its extras

    def evaluate(self, values: dict[str, Any]) -> TrialScores:
        """Backtest every window once; score each with the objective."""
        settings = self.trial_settings(values)
        scores, trades = [], []
        for market in self._window_markets:
            metrics = self._metrics(settings, market)
            scores.append(score(metrics, self.setup.objective))
            trades.append(metrics.trades)
        return TrialScores(scores, trades)

    def full_result(self, values: dict[str, Any], config_path: Path) -> dict[str, Any]:
        """``result.json`` of the params over all the data (what ``spotbot backtest`` will print)."""
        with tempfile.TemporaryDirectory(prefix="spotbot-optimize-", dir=scratch_dir()) as tmp:
            run = self._backtest(self.trial_settings(values), self.market, tmp, extras=True)
            return result_to_json(
                run, config_path=config_path, requested_from=self.setup.start, requested_to=self.setup.end
            )


def window_bounds(windows: Sequence[Window]) -> list[dict[str, Any]]:
    return [{"start": w.start.isoformat(), "end": w.end.isoformat(), "candles": w.candles} for w in windows]
