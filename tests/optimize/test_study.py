"""The study and the trial's settings: refused param combinations, and a study name bound to its setup."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.optimize.evaluate import Evaluator, InvalidParams, OptimizeSetup
from bot.app.optimize.study import StudyMismatch, open_storage, open_study, shares, storage_url
from tests.optimize.test_optimize_command import write_config


def test_a_combination_the_settings_refuse_is_invalid_before_any_backtest(
    tmp_path: Path, shared_data: Path
) -> None:
    setup = OptimizeSetup(
        config=write_config(tmp_path), data=(shared_data / "ETH_BTC-5m.csv",), start="2018-01-11",
        end="2018-01-12", folds=2,
    )  # fmt: skip
    evaluator = Evaluator(setup)
    settings = evaluator.trial_settings({"ma_cross.fast": 8, "ma_cross.slow": 10, "ma_cross.ma": "sma"})
    (strategy,) = settings.strategies
    assert (strategy.params.fast, strategy.params.slow, strategy.params.ma) == (8, 10, "sma")
    with pytest.raises(InvalidParams, match="slow"):
        evaluator.evaluate({"ma_cross.fast": 8, "ma_cross.slow": 8, "ma_cross.ma": "sma"})


def test_a_study_name_is_bound_to_its_setup(tmp_path: Path) -> None:
    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}")
    setup = {"objective": "sharpe", "windows": [], "search": {"s.fast": "x"}, "settings": "abc"}
    study = open_study(storage, "s", setup, {"s.fast": 5})
    (queued,) = study.get_trials()
    assert queued.system_attrs["fixed_params"] == {"s.fast": 5}  # the baseline goes first
    open_study(storage, "s", dict(setup), {"s.fast": 5})  # the same setup continues the study
    assert len(study.get_trials()) == 1  # and does not enqueue the baseline twice
    with pytest.raises(StudyMismatch, match="objective"):
        open_study(storage, "s", {**setup, "objective": "calmar"}, {"s.fast": 5})


def test_trials_are_shared_out_evenly_and_postgres_urls_use_psycopg_3() -> None:
    assert shares(7, 3) == [3, 2, 2]
    assert shares(2, 4) == [1, 1]
    assert storage_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert storage_url("sqlite:///x.db") == "sqlite:///x.db"
