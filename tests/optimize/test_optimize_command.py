"""``spotbot optimize`` end to end on the real ETH/BTC candles in ../shared/data, through the CLI.

A day of 5-minute candles (288; 2 folds = 3 windows of 96) or half a day keeps each run to seconds.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from typer.testing import CliRunner

from bot.app.cli import app
from bot.app.settings import load_settings

WINDOW = ("--from", "2018-01-11", "--to", "2018-01-12")
HALF_DAY = ("--from", "2018-01-11", "--to", "2018-01-11T12:00")


def write_config(directory: Path) -> Path:
    config = directory / "tune.toml"
    config.write_text(
        f"""
# my tuning config
[bot]
name = "tune"
data_dir = "{directory / "daemon-data"}"
quote_currency = "BTC"
[bot.starting_balances]
BTC = "1"
[market]
symbols = ["ETH/BTC"]
timeframe = "5m"
[market.rules]
min_notional = "0.0001"
[[strategies]]
name = "ma_cross"
[strategies.params]
fast = 5
slow = 20
[strategies.search]
fast = {{low = 3, high = 8}}
slow = {{low = 10, high = 24}}
ma = {{choices = ["ema", "sma"]}}
"""
    )
    return config


def invoke(command: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [command, *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def optimize(
    config: Path, data: Path, out: Path, *args: str, window: tuple[str, ...] = WINDOW
) -> dict[str, Any]:
    code, output = invoke(
        "optimize", "--config", str(config), "--data", str(data), *window, "--windows", "2",
        "--out", str(out), *args,
    )  # fmt: skip
    assert code == 0, output
    assert "Top trials" in output and "OOS" in output and "gap" in output
    summary: dict[str, Any] = json.loads(out.with_suffix(".json").read_text())
    return summary


def study_trials(out: Path, name: str) -> list[optuna.trial.FrozenTrial]:
    study = optuna.load_study(study_name=name, storage=f"sqlite:///{out.with_suffix('.study.db')}")
    return study.get_trials()


def test_optimize_writes_a_config_whose_backtest_reproduces_the_best_trial(
    tmp_path: Path, shared_data: Path
) -> None:
    data = shared_data / "ETH_BTC-5m.csv"
    out = tmp_path / "tuned.toml"
    summary = optimize(write_config(tmp_path), data, out, "--trials", "6", "--seed", "3")

    trials = study_trials(out, summary["study"])
    assert len(trials) == 6 and summary["trials"]["complete"] + summary["trials"]["pruned"] == 6
    assert trials[0].params == {"ma_cross.fast": 5, "ma_cross.slow": 20, "ma_cross.ma": "ema"}  # baseline
    assert [w["candles"] for w in summary["windows"]] == [96, 96, 96]
    best = summary["best"]
    assert best["oos_score"] == max(t.value for t in trials if t.state == TrialState.COMPLETE)
    assert best["gap"] == best["is_score"] - best["oos_score"]
    assert len(best["window_scores"]) == 3

    text = out.read_text()
    assert text.startswith("# Optimized by spotbot optimize")
    assert f"study {summary['study']}" in text and "gap (IS - OOS)" in text
    written = tomllib.loads(text)
    assert written["strategies"][0]["search"]["fast"] == {"low": 3, "high": 8}  # ranges kept
    settings = load_settings(out, env={})
    params = settings.strategies[0].params
    assert {"ma_cross.fast": params.fast, "ma_cross.slow": params.slow, "ma_cross.ma": params.ma} == (  # type: ignore[attr-defined]
        best["params"]
    )

    code, output = invoke(
        "backtest", "--config", str(out), "--data", str(data), *WINDOW, "--out", str(tmp_path / "bt")
    )
    assert code == 0, output
    result = json.loads((tmp_path / "bt" / "result.json").read_text())
    assert result["metrics"] == summary["full_data"]["metrics"]
    assert result["data"]["candles"] == summary["full_data"]["data"]["candles"] == 288


def test_two_jobs_share_the_sqlite_study_and_run_the_trials_requested(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "tuned.toml"
    data = shared_data / "ETH_BTC-5m.csv"
    args = ("--trials", "4", "--jobs", "2", "--seed", "1")
    summary = optimize(write_config(tmp_path), data, out, *args, window=HALF_DAY)

    trials = study_trials(out, summary["study"])
    assert len(trials) == 4
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    # The enqueued baseline (trial 0) is taken by the coordinating process before the worker is forked,
    # so two workers can never pop the same queued trial; it is a worker itself, and shares the rest.
    baseline = next(t for t in trials if t.number == 0)
    assert baseline.user_attrs["worker"].endswith(f":{os.getpid()}")
    workers = [t.user_attrs["worker"] for t in trials]
    assert len(set(workers)) == 2
    assert sorted(w.endswith(f":{os.getpid()}") for w in workers) == [False, False, True, True]
    # The workers share the file in WAL mode: neither waits in SQLite's busy handler for the other's reads.
    study_db = sqlite3.connect(out.with_suffix(".study.db"))
    try:
        assert study_db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        study_db.close()


def test_the_same_seed_gives_the_same_best_params(tmp_path: Path, shared_data: Path) -> None:
    config, data = write_config(tmp_path), shared_data / "ETH_BTC-5m.csv"
    args = ("--trials", "4", "--seed", "11")
    first = optimize(config, data, tmp_path / "a" / "tuned.toml", *args, window=HALF_DAY)
    second = optimize(config, data, tmp_path / "b" / "tuned.toml", *args, window=HALF_DAY)
    assert first["best"]["params"] == second["best"]["params"]
    assert [t["params"] for t in first["top_trials"]] == [t["params"] for t in second["top_trials"]]


def test_params_scored_before_are_not_backtested_again(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TPE proposes points it has scored again (often, in a small integer space); a backtest is
    deterministic, so the earlier scores are reused, and the trial says which one it repeats."""
    from bot.app.optimize.evaluate import Evaluator

    config = write_config(tmp_path)
    text = config.read_text().replace("fast = {low = 3, high = 8}", "fast = {choices = [5]}")
    config.write_text(text.replace("slow = {low = 10, high = 24}", 'slow = {choices = [20]}').replace(
        'ma = {choices = ["ema", "sma"]}', 'ma = {choices = ["ema"]}'))  # fmt: skip
    evaluated: list[dict[str, Any]] = []
    real = Evaluator.evaluate
    monkeypatch.setattr(
        Evaluator, "evaluate", lambda self, values: evaluated.append(values) or real(self, values)
    )
    out = tmp_path / "tuned.toml"

    summary = optimize(
        config, shared_data / "ETH_BTC-5m.csv", out, "--trials", "4", "--seed", "3", window=HALF_DAY
    )

    trials = sorted(study_trials(out, summary["study"]), key=lambda t: t.number)
    assert len(trials) == 4 and len({tuple(sorted(t.params.items())) for t in trials}) == 1  # one point
    assert len(evaluated) == 1  # backtested once
    assert [t.user_attrs.get("same_as") for t in trials] == [None, 0, 0, 0]
    assert {t.value for t in trials} == {trials[0].value}
    assert all(t.user_attrs["window_scores"] == trials[0].user_attrs["window_scores"] for t in trials)
