"""``spotbot optimize``: search the config's ranges, score out of sample, write the best as a config.

Writes beside ``--out`` (default ``<config dir>/<config stem>.optimized.toml``):

- the optimized config: the original file with the best trial's params, and a comment header;
- ``<out stem>.json``: the study summary (top trials, the best, its full-data backtest metrics);
- ``<out stem>.log``: warnings of the backtests (JSON lines);
- ``<out stem>.study.db``: the Optuna study (SQLite), unless ``--storage`` says where.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.engine import make_url

from bot.app.optimize.console import top_trials, trial_row
from bot.app.optimize.evaluate import Evaluator, OptimizeSetup, window_bounds
from bot.app.optimize.space import baseline, describe, strategy_params
from bot.app.optimize.study import open_storage, open_study, optimize_here, optimize_in_processes, quiet
from bot.app.optimize.tomlwrite import dumps, value_text, with_params
from bot.domain.clock import SystemClock
from bot.domain.secrets import register_secrets


class OptimizeError(RuntimeError):
    """The search finished without a usable result (e.g. every trial's params were refused)."""


@dataclass(frozen=True, slots=True)
class OptimizeRequest:
    setup: OptimizeSetup
    trials: int
    jobs: int = 1
    storage: str | None = None  # an Optuna RDB URL; default: SQLite beside the output
    study: str | None = None  # default: <config stem>-<objective>-<setup hash>
    out: Path | None = None
    seed: int | None = None

    @property
    def out_path(self) -> Path:
        config = self.setup.config
        return self.out or config.with_name(f"{config.stem}.optimized.toml")

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{self.out_path.resolve().with_suffix('.study.db')}"


def redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show nothing that could be a secret
        return "(storage)"


def study_setup(evaluator: Evaluator) -> dict[str, Any]:
    """What a study's trials depend on; a study continued under the same name must match it."""
    settings = evaluator.settings.model_dump(
        mode="json", exclude={"bot": {"data_dir", "database_url"}, "market": {"csv"}, "logging": True}
    )
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    return {
        "objective": evaluator.setup.objective,
        "windows": window_bounds(evaluator.windows),
        "search": describe(evaluator.dimensions),
        "settings": digest[:16],
    }


def default_study_name(config: Path, setup: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(setup, sort_keys=True).encode()).hexdigest()
    return f"{config.stem}-{setup['objective']}-{digest[:8]}"


def _run_trials(
    request: OptimizeRequest, evaluator: Evaluator, storage: RDBStorage, name: str, console: Console
) -> None:
    columns = (TextColumn("optimize"), BarColumn(), MofNCompleteColumn(), TextColumn("trials"))
    # No refresh thread with workers: they are forked, and a thread's locks would be copied mid-use.
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True,
                  auto_refresh=request.jobs <= 1) as progress:  # fmt: skip
        task = progress.add_task("optimize", total=request.trials)
        if request.jobs <= 1:

            def advance() -> None:
                progress.advance(task)

            optimize_here(evaluator, storage, name, request.trials, request.seed, 0, on_trial=advance)
        else:
            optimize_in_processes(
                evaluator,
                storage,
                request.storage_url,
                name,
                request.trials,
                request.seed,
                request.jobs,
                lambda done: progress.update(task, completed=done, refresh=True),
            )


def _counts(trials: list[FrozenTrial]) -> dict[str, int]:
    return {
        "complete": sum(t.state == TrialState.COMPLETE for t in trials),
        "pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "fail": sum(t.state == TrialState.FAIL for t in trials),
    }


def header(request: OptimizeRequest, summary: dict[str, Any]) -> list[str]:
    best, data = summary["best"], summary["full_data"]["data"]
    metrics = summary["full_data"]["metrics"]
    setup = request.setup
    data_args = "".join(f" --data {p}" for p in setup.data)
    window = "".join(f" {flag} {v}" for flag, v in (("--from", setup.start), ("--to", setup.end)) if v)
    return [
        f"Optimized by spotbot optimize on {summary['date']} from {setup.config}",
        f"study {summary['study']} ({summary['storage']}), best of {summary['trials']['complete']} trials",
        f"objective {setup.objective}, walk-forward {setup.folds} folds over {setup.folds + 1} windows",
        f"best trial #{best['number']}: out-of-sample {best['oos_score']:.6g}, "
        f"in-sample {best['is_score']:.6g}, gap (IS - OOS) {best['gap']:.6g}",
        f"tuned: {', '.join(f'{k} = {value_text(v)}' for k, v in best['params'].items())}",
        f"full data ({data['candles']} candles): {metrics['trades']} trades, total return "
        f"{metrics['total_return']:.6g}, sharpe {metrics['sharpe']}, "
        f"max drawdown {metrics['max_drawdown']:.6g}",
        f"reproduce: spotbot backtest --config {request.out_path}{data_args}{window}",
    ]


def execute(request: OptimizeRequest, console: Console) -> dict[str, Any]:
    """Run the search and write the outputs; returns the summary (also written as JSON).

    Raises ``ConfigError`` (bad config or search ranges), ``ValueError`` (bad data, dates, windows, a
    study name used for another setup) or :class:`OptimizeError`.
    """
    out = request.out_path
    if out.resolve() == request.setup.config.resolve():
        raise ValueError(f"--out {out}: the optimized config must not overwrite --config")
    out.parent.mkdir(parents=True, exist_ok=True)
    quiet(str(out.with_suffix(".log")))
    evaluator = Evaluator(request.setup)
    register_secrets(*evaluator.settings.secret_values())
    with_params(request.setup.config, strategy_params(baseline(evaluator.dimensions), evaluator.dimensions))
    setup = study_setup(evaluator)
    name = request.study or default_study_name(request.setup.config, setup)
    storage = open_storage(request.storage_url)  # one per process: each costs a schema check
    open_study(storage, name, setup, baseline(evaluator.dimensions))
    _run_trials(request, evaluator, storage, name, console)
    study = optuna.load_study(study_name=name, storage=storage)
    trials = study.get_trials(deepcopy=False)
    ranked = top_trials(trials)
    if not ranked:
        raise OptimizeError(
            f"study {name!r}: no trial completed ({_counts(trials)}); see {out.with_suffix('.log')}"
        )
    best = trial_row(ranked[0])
    tuned = strategy_params(best["params"], evaluator.dimensions)
    with console.status(f"backtesting trial #{best['number']} on all {evaluator.market_candles} candles"):
        full_data = evaluator.full_result(best["params"], out)
    summary = {
        "study": name,
        "storage": redact(request.storage_url),
        "date": SystemClock().now().isoformat(timespec="seconds"),
        "objective": request.setup.objective,
        "folds": request.setup.folds,
        "windows": window_bounds(evaluator.windows),
        "trials": _counts(trials),
        "best": best,
        "top_trials": [trial_row(t) for t in ranked],
        "full_data": full_data,
        "config": str(out),
    }
    out.write_text(
        dumps(with_params(request.setup.config, tuned), header(request, summary)), encoding="utf-8"
    )
    out.with_suffix(".json").write_text(
        json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    return summary
