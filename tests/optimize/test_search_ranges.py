"""[strategies.search]: ranges next to the params they tune, validated like every other key."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from bot.app.optimize.space import SearchSpaceError, baseline, search_space
from bot.app.settings import ConfigError, Settings, load_settings

BASE = """
[[strategies]]
name = "ma_cross"
[strategies.params]
fast = 12
slow = 48
atr_multiple = 2.0
[strategies.search]
"""


def load(tmp_path: Path, search: str) -> Settings:
    config = tmp_path / "c.toml"
    config.write_text(BASE + search)
    return load_settings(config, env={})


def problems(tmp_path: Path, search: str) -> dict[str, tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, search)
    return {p.key: (p.value, p.allowed) for p in caught.value.problems}


def test_ranges_become_int_float_and_categorical_dimensions(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        "fast = {low = 5, high = 50}\nslow = {low = 20, high = 100, step = 4}\n"
        'ma = {choices = ["ema", "sma"]}\n'
        "atr_multiple = {low = 0.5, high = 4, log = true}\n",
    )
    dims = {d.name: d.distribution for d in search_space(settings)}
    assert dims["ma_cross.fast"] == IntDistribution(5, 50)
    assert dims["ma_cross.slow"] == IntDistribution(20, 100, step=4)
    assert dims["ma_cross.ma"] == CategoricalDistribution(("ema", "sma"))
    assert dims["ma_cross.atr_multiple"] == FloatDistribution(0.5, 4.0, log=True)
    assert baseline(search_space(settings)) == {
        "ma_cross.fast": 12,
        "ma_cross.slow": 48,
        "ma_cross.ma": "ema",
        "ma_cross.atr_multiple": 2.0,
    }


def test_a_config_without_search_ranges_has_nothing_to_optimize(tmp_path: Path) -> None:
    with pytest.raises(SearchSpaceError, match="nothing to optimize"):
        search_space(load(tmp_path, ""))


def test_a_search_key_must_name_a_param_of_the_kind(tmp_path: Path) -> None:
    found = problems(tmp_path, "fats = {low = 5, high = 50}\n")
    _, allowed = found["strategies[0].search.fats"]
    assert "a parameter of ma_crossover" in allowed and "fast" in allowed


def test_low_must_be_below_high(tmp_path: Path) -> None:
    found = problems(tmp_path, "fast = {low = 40, high = 10}\n")
    assert found["strategies[0].search.fast.high"] == ("10", "greater than low (40)")


def test_the_configs_own_value_must_be_inside_the_range(tmp_path: Path) -> None:
    found = problems(tmp_path, "fast = {low = 20, high = 40}\n")
    value, allowed = found["strategies[0].params.fast"]
    assert value == "12" and "within search.fast [20, 40]" in allowed


def test_an_int_param_takes_integer_bounds_only(tmp_path: Path) -> None:
    found = problems(tmp_path, "fast = {low = 5, high = 50.5}\n")
    assert found["strategies[0].search.fast.high"] == ("50.5", "an integer (fast is)")


def test_bounds_must_be_valid_values_of_the_param(tmp_path: Path) -> None:
    found = problems(tmp_path, "fast = {low = 1, high = 20}\n")
    value, allowed = found["strategies[0].search.fast.low"]
    assert value == "1" and "greater than or equal to 2" in allowed


def test_categorical_choices_are_checked_against_the_allowed_values(tmp_path: Path) -> None:
    found = problems(tmp_path, 'ma = {choices = ["ema", "wma"]}\n')
    value, allowed = found["strategies[0].search.ma.choices[1]"]
    assert value == "'wma'" and "'ema' or 'sma'" in allowed


def test_a_categorical_param_needs_choices_not_a_numeric_range(tmp_path: Path) -> None:
    found = problems(tmp_path, "ma = {low = 1, high = 2}\n")
    assert "choices" in found["strategies[0].search.ma"][1]


def test_log_needs_a_positive_low_and_no_step(tmp_path: Path) -> None:
    found = problems(tmp_path, "atr_multiple = {low = 0.5, high = 4, step = 0.5, log = true}\n")
    assert found["strategies[0].search.atr_multiple.log"] == ("true", "only with low > 0 and without step")


def test_unknown_keys_in_a_range_are_errors(tmp_path: Path) -> None:
    found = problems(tmp_path, "fast = {low = 5, high = 50, hgh = 3}\n")
    assert "unknown key" in found["strategies[0].search.fast.hgh"][1]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(tmp_path, "fast = {low = 40, high = 10}\nbogus = {low = 1, high = 2}\n")
    assert {"strategies[0].search.fast.high", "strategies[0].search.bogus"} <= set(found)
