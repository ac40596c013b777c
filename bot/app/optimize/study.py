"""The Optuna study: storage, a seeded TPE sampler, and trials run in worker processes.

The study lives in an RDB storage (SQLite by default, ``--storage postgresql://...`` to share it):
``--jobs J`` runs trials in this process and J - 1 forked ones (processes: the engine is CPU-bound
Python, threads would share one core), each loading the study by name and running its share of the
trials; other machines running the same command with the same ``--storage`` and ``--study`` join the
same study.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sqlite3
import warnings
from collections.abc import Callable
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, Trial, TrialState
from sqlalchemy import make_url

from bot.app.logging_setup import configure_logging
from bot.app.optimize.evaluate import Evaluator, InvalidParams
from bot.app.optimize.space import suggest

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
SETUP_ATTR = "spotbot_setup"
Progress = Callable[[int], None]  # trials finished by this command so far


class StudyMismatch(ValueError):
    """The named study exists but was created for another config, data window or objective."""


def storage_url(url: str) -> str:
    """A bare ``postgresql://`` URL uses psycopg 3 (the driver the project installs)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def open_storage(url: str) -> RDBStorage:
    url = storage_url(url)
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        engine_kwargs["connect_args"] = {"timeout": 60}  # several worker processes write one file
        _write_ahead_log(make_url(url).database)
    with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna, and stable since 2.x
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(url, engine_kwargs=engine_kwargs, heartbeat_interval=60, grace_period=180)


def _write_ahead_log(path: str | None) -> None:
    """Put a SQLite study file in WAL mode (it stays so): readers no longer block the writer, and each
    trial's writes fsync the log only. In the default rollback journal, ``--jobs`` workers waited for
    one another's locks in SQLite's busy handler, whose sleeps grow to tens of milliseconds."""
    if not path or path == ":memory:" or not Path(path).parent.is_dir():
        return  # in memory, or a folder that does not exist: RDBStorage reports it as before
    try:
        connection = sqlite3.connect(path, timeout=60)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        finally:
            connection.close()
    except sqlite3.Error:
        return  # not a database, read-only...: left to RDBStorage to report


def sampler(seed: int | None, worker: int) -> optuna.samplers.TPESampler:
    """TPE, seeded per worker (``seed + worker``) so parallel workers do not propose the same trials."""
    return optuna.samplers.TPESampler(seed=None if seed is None else seed + worker, constant_liar=True)


def open_study(storage: RDBStorage, name: str, setup: dict[str, Any], first: dict[str, Any]) -> optuna.Study:
    """Create the study (maximising), or load it if its setup matches; a new study's first trial is
    the config's own params (the baseline)."""
    study = optuna.create_study(storage=storage, study_name=name, direction="maximize", load_if_exists=True)
    existing = study.user_attrs.get(SETUP_ATTR)
    if existing is None:
        study.set_user_attr(SETUP_ATTR, setup)
        if not study.trials:
            study.enqueue_trial(first)
    elif existing != setup:
        changed = sorted(k for k in set(existing) | set(setup) if existing.get(k) != setup.get(k))
        raise StudyMismatch(
            f"study {name!r} exists with a different {', '.join(changed)}: "
            "give another --study name (or the same settings) to continue"
        )
    return study


SCORE_ATTRS = ("is_score", "oos_score", "gap", "window_scores", "window_trades")


def _scored_before(trial: Trial, values: dict[str, Any]) -> FrozenTrial | None:
    """A completed trial of the study with exactly these params: a backtest is deterministic (the same
    config, data and params give the same decisions), so its scores are these params' scores."""
    for done in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if done.params == values and all(key in done.user_attrs for key in SCORE_ATTRS):
            return done
    return None


def trial_objective(evaluator: Evaluator) -> Callable[[Trial], float]:
    def objective(trial: Trial) -> float:
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")  # which machine/process
        values = suggest(trial, evaluator.dimensions)
        same = _scored_before(trial, values)
        if same is not None and same.value is not None:  # TPE proposes a scored point again: reuse it
            trial.set_user_attr("same_as", same.number)
            for key in SCORE_ATTRS:
                trial.set_user_attr(key, same.user_attrs[key])
            return same.value
        try:
            scores = evaluator.evaluate(values)
        except InvalidParams as exc:
            trial.set_user_attr("invalid", str(exc))
            raise optuna.TrialPruned(str(exc)) from None
        trial.set_user_attr("is_score", scores.in_sample)
        trial.set_user_attr("oos_score", scores.out_of_sample)
        trial.set_user_attr("gap", scores.gap)
        trial.set_user_attr("window_scores", scores.window_scores)
        trial.set_user_attr("window_trades", scores.window_trades)
        return scores.out_of_sample

    return objective


def quiet(log_file: str | None) -> None:
    """Per-tick engine logs off (warnings to ``log_file``), Optuna's per-trial lines off."""
    configure_logging("WARNING", "json", stream=None, file=None if log_file is None else Path(log_file))
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def optimize_here(
    evaluator: Evaluator,
    storage: RDBStorage,
    name: str,
    trials: int,
    seed: int | None,
    worker: int,
    on_trial: Callable[[], None] | None = None,
) -> None:
    """Run ``trials`` trials of the study in this process."""
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler(seed, worker))
    callbacks = [lambda _study, _trial: on_trial()] if on_trial is not None else []
    study.optimize(trial_objective(evaluator), n_trials=trials, callbacks=callbacks, gc_after_trial=False)


def shares(trials: int, jobs: int) -> list[int]:
    """``trials`` split over ``jobs`` workers as evenly as possible (no worker with nothing to do)."""
    jobs = max(1, min(jobs, trials))
    return [trials // jobs + (1 if i < trials % jobs else 0) for i in range(jobs)]


def finished_count(storage: RDBStorage, name: str) -> int:
    study_id = storage.get_study_id_from_name(name)
    return len(storage.get_all_trials(study_id, deepcopy=False, states=FINISHED))


def _run_asked(study: optuna.Study, trial: Trial, objective: Callable[[Trial], float]) -> None:
    """Run a trial taken with ``study.ask()`` and report it as ``study.optimize`` would."""
    try:
        value = objective(trial)
    except optuna.TrialPruned:
        study.tell(trial, state=TrialState.PRUNED)
        return
    except BaseException:
        study.tell(trial, state=TrialState.FAIL)
        raise
    study.tell(trial, value)


def _forked_worker(
    evaluator: Evaluator, url: str, name: str, trials: int, seed: int | None, worker: int
) -> None:
    """A worker's life: it shares the parent's evaluator (forked), and opens its own storage connection."""
    optimize_here(evaluator, open_storage(url), name, trials, seed, worker)


def optimize_in_processes(
    evaluator: Evaluator,
    storage: RDBStorage,
    url: str,
    name: str,
    trials: int,
    seed: int | None,
    jobs: int,
    on_progress: Progress,
    poll_seconds: float = 0.5,
) -> None:
    """Run ``trials`` trials in this process and ``jobs - 1`` forked ones; report progress until done.

    Forked, not spawned: a worker starts with the parent's imports, candles and evaluator, in
    milliseconds instead of a second of imports and data loading each. This process is a worker too
    (it would otherwise sit idle on one of the cores). Call it before starting any thread. ``storage``
    is this process's; each worker opens its own from ``url``.
    """
    before = finished_count(storage, name)
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler(seed, 0))
    # Enqueued trials (the baseline) are taken here, before any worker exists: with SQLite storage two
    # workers can both pop the same WAITING trial, and the second to finish fails with "Cannot tell a
    # COMPLETE trial".
    with warnings.catch_warnings():  # "heartbeat is supposed to be used with Study.optimize": the
        warnings.simplefilter("ignore", UserWarning)  # baseline is one trial, run at once, right here
        asked = [study.ask() for _ in study.get_trials(deepcopy=False, states=(TrialState.WAITING,))]
    split = shares(trials, jobs)
    mine = max(0, split[0] - len(asked))
    rest = trials - len(asked) - mine
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_forked_worker, args=(evaluator, url, name, share, seed, worker), daemon=True)
        for worker, share in enumerate(shares(rest, jobs - 1) if rest > 0 else [], start=1)
    ]
    for process in processes:
        process.start()

    def report() -> None:
        on_progress(finished_count(storage, name) - before)

    try:
        objective = trial_objective(evaluator)
        for trial in asked:
            _run_asked(study, trial, objective)
            report()
        if mine:
            optimize_here(evaluator, storage, name, mine, seed, 0, on_trial=report)
        while alive := [p.sentinel for p in processes if p.is_alive()]:
            report()
            wait(alive, timeout=poll_seconds)  # returns at once when a worker exits
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    report()
    failed = [p.exitcode for p in processes if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(processes)} worker processes failed (exit {failed})")
