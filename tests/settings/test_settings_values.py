"""Values that used to pass ``config check`` and fail later are refused at load time, each with its key,
its value and what is allowed: booleans for numbers, NaN and infinities, amounts the audit DB cannot
carry, a zero slippage cap, endless durations, paths that cannot be files or directories, an exchange
ccxt does not know (tests/settings/test_settings_exchange_id.py)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.app.settings import ConfigError, Settings
from bot.app.settings.strategies import STRATEGY_PARAMS
from bot.app.settings.types import is_model, unwrap
from tests.settings.helpers import load, write_toml

NUMBERS = (int, float, Decimal)


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def _refusal(tmp_path: Path, secrets_dir: Path, toml: str) -> str:
    """The one problem the config has, as the user reads it."""
    with pytest.raises(ConfigError) as caught:
        load(write_toml(tmp_path, toml), secrets_dir)
    assert len(caught.value.problems) == 1, str(caught.value)
    return str(caught.value.problems[0])


def _numeric_keys(model: Any, table: str) -> Iterator[tuple[str, str]]:
    """(TOML table, key) of every numeric field below ``model``; dict-valued ones get a sample key."""
    for name, field in model.model_fields.items():
        target = unwrap(field.annotation)
        where = f"{table}.{name}" if table else name
        if is_model(target):
            yield from _numeric_keys(target, where)
        elif target in NUMBERS:
            yield table, name
        elif getattr(target, "__origin__", None) is dict and unwrap(target.__args__[1]) in NUMBERS:
            yield where, "BTC/USDT" if "price" in name else "USDT"


NUMERIC_KEYS = sorted(_numeric_keys(Settings, ""))
STRATEGY_NUMERIC_KEYS = [
    (kind, name) for kind, model in STRATEGY_PARAMS.items() for _, name in _numeric_keys(model, "")
]


def test_the_sweep_finds_the_numeric_settings() -> None:
    assert len(NUMERIC_KEYS) >= 30
    assert ("risk", "max_open_positions") in NUMERIC_KEYS
    assert ("bot.starting_balances", "USDT") in NUMERIC_KEYS
    assert ("ma_crossover", "fast") in STRATEGY_NUMERIC_KEYS


@pytest.mark.parametrize(("table", "key"), NUMERIC_KEYS, ids=[f"{t}.{k}" for t, k in NUMERIC_KEYS])
@pytest.mark.parametrize("boolean", ["true", "false"])
def test_true_or_false_for_a_number_is_refused(
    tmp_path: Path, secrets_dir: Path, table: str, key: str, boolean: str
) -> None:
    line = _refusal(tmp_path, secrets_dir, f'[{table}]\n"{key}" = {boolean}\n')

    assert line == f"{table}.{key}: {boolean} — a number, not true or false"


@pytest.mark.parametrize(("kind", "key"), STRATEGY_NUMERIC_KEYS)
def test_true_for_a_numeric_strategy_param_is_refused(
    tmp_path: Path, secrets_dir: Path, kind: str, key: str
) -> None:
    toml = f'[[strategies]]\nname = "a"\nkind = "{kind}"\n[strategies.params]\n{key} = true\n'

    assert (
        _refusal(tmp_path, secrets_dir, toml)
        == f"strategies[0].params.{key}: true — a number, not true or false"
    )


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e308", "1e-300", "0"])
def test_a_start_price_must_be_a_finite_price_the_bot_can_carry(
    tmp_path: Path, secrets_dir: Path, value: str
) -> None:
    line = _refusal(tmp_path, secrets_dir, f'[market.sim.start_prices]\n"BTC/USDT" = {value}\n')

    assert line.startswith("market.sim.start_prices.BTC/USDT: ")
    assert line.endswith(" — a finite number (not nan or inf)") or "a price from 1e-12 to 1e+12" in line


@pytest.mark.parametrize(("table", "key"), [("market", "replay_speed"), ("exchange", "monitor_seconds")])
def test_nan_for_a_bounded_number_says_it_must_be_finite(
    tmp_path: Path, secrets_dir: Path, table: str, key: str
) -> None:
    assert _refusal(tmp_path, secrets_dir, f"[{table}]\n{key} = nan\n") == (
        f"{table}.{key}: nan — a finite number (not nan or inf)"
    )


def test_a_starting_balance_the_audit_db_cannot_hold_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    line = _refusal(tmp_path, secrets_dir, "[bot.starting_balances]\nUSDT = 1e30\n")

    assert line.startswith("bot.starting_balances.USDT: 1e+30 — from 0 to 999999999999999 (the audit DB")
    balances = load(write_toml(tmp_path, '[bot.starting_balances]\nUSDT = "999999999999999"\n'), secrets_dir)
    assert balances.bot.starting_balances == {"USDT": Decimal("999999999999999")}


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[risk]\nmax_order_notional = "1e20"', "risk.max_order_notional"),
        ('[market.rules]\nmin_notional = "1e20"', "market.rules.min_notional"),
        ('[market.rules]\nmin_notional = "1e-30"', "market.rules.min_notional"),
        (
            '[market.rules.overrides."BTC/USDT"]\nmin_notional = "0"',
            "market.rules.overrides.BTC/USDT.min_notional",
        ),
        (
            '[market.rules.overrides."BTC/USDT"]\ntick_size = "1e-30"',
            "market.rules.overrides.BTC/USDT.tick_size",
        ),
        (
            '[market.rules.overrides."BTC/USDT"]\nstep_size = "1e-19"',
            "market.rules.overrides.BTC/USDT.step_size",
        ),
        (
            '[market.rules.overrides."BTC/USDT"]\ntick_size = "1e30"',
            "market.rules.overrides.BTC/USDT.tick_size",
        ),
    ],
)
def test_amounts_and_increments_outside_what_the_bot_can_carry_are_refused(
    tmp_path: Path, secrets_dir: Path, toml: str, key: str
) -> None:
    """A lot step below 1e-18 (or one derived from a tiny minimum notional) made every sizing fail."""
    line = _refusal(tmp_path, secrets_dir, toml)

    assert line.startswith(f"{key}: ")
    assert " — from " in line


def test_a_zero_slippage_cap_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    assert _refusal(tmp_path, secrets_dir, '[execution]\nmax_slippage = "0"\n') == (
        "execution.max_slippage: '0' — greater than 0"
    )


@pytest.mark.parametrize("duration", ["99999999999d", "366d", "8761h"])
def test_a_duration_beyond_a_year_is_refused_not_overflowed(
    tmp_path: Path, secrets_dir: Path, duration: str
) -> None:
    line = _refusal(tmp_path, secrets_dir, f'[risk]\nloss_cooldown = "{duration}"\n')

    assert line.startswith(f"risk.loss_cooldown: '{duration}' — a duration such as")
    assert line.endswith("at most 365d")


def test_a_simulation_that_would_run_past_year_9999_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    line = _refusal(tmp_path, secrets_dir, "[market.sim]\nstart = 9999-12-30T00:00:00Z\n")

    assert line == (
        "market.sim.start: 9999-12-30T00:00:00+00:00 — a start after which 2000 5m candles end by year 9999"
    )


def test_an_empty_log_file_path_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    assert _refusal(tmp_path, secrets_dir, '[logging]\nfile = ""\n') == (
        "logging.file: '' — a path; an empty one is none (leave the key out instead)"
    )


def test_a_directory_as_log_file_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    assert _refusal(tmp_path, secrets_dir, f'[logging]\nfile = "{tmp_path}"\n') == (
        f"logging.file: '{tmp_path}' — a file path, not a directory"
    )


def test_a_log_file_below_a_file_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    (tmp_path / "plain").write_text("x")

    line = _refusal(tmp_path, secrets_dir, f'[logging]\nfile = "{tmp_path}/plain/spotbot.log"\n')

    assert line.endswith(f"a file path in a directory ({tmp_path}/plain is a file)")


def test_a_file_as_data_dir_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    (tmp_path / "plain").write_text("x")

    assert _refusal(tmp_path, secrets_dir, f'[bot]\ndata_dir = "{tmp_path}/plain"\n') == (
        f"bot.data_dir: '{tmp_path}/plain' — a directory ({tmp_path}/plain is a file)"
    )


@pytest.mark.parametrize(
    ("value", "shown", "why"),
    [("true", "true", "a number, not true or false"), ('"al"', "'al'", "a valid decimal")],
)
def test_an_amount_left_alone_is_all_or_a_number_in_one_line(
    tmp_path: Path, secrets_dir: Path, value: str, shown: str, why: str
) -> None:
    line = _refusal(tmp_path, secrets_dir, f"[exchange.leave_alone]\nBTC = {value}\n")

    assert line.startswith(f"exchange.leave_alone.BTC: {shown} — 'all', or an amount above 0 (")
    assert why in line


def test_a_replay_so_slow_its_timer_would_overflow_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    """1e-300 candles a second passed, started a run and crashed it with an OverflowError."""
    assert _refusal(tmp_path, secrets_dir, "[market]\nreplay_speed = 1e-300\n") == (
        "market.replay_speed: 1e-300 — at least 0.001"
    )


@pytest.mark.parametrize("url", ["mysql://spotbot@db/audit", "oracle://spotbot@db/audit"])
def test_an_audit_db_the_store_cannot_use_is_refused(tmp_path: Path, secrets_dir: Path, url: str) -> None:
    line = _refusal(tmp_path, secrets_dir, f'[bot]\ndatabase_url = "{url}"\n')

    assert line.startswith(f"bot.database_url: '{url}' — an SQLAlchemy URL for sqlite or postgresql")


def test_a_market_of_a_currency_against_itself_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    """USDT/USDT passed and failed the first tick: 'spot positions are long-only'."""
    with pytest.raises(ConfigError) as caught:
        load(write_toml(tmp_path, '[market]\nsymbols = ["USDT/USDT"]\n'), secrets_dir)

    assert "market.symbols[0]: 'USDT/USDT' — BASE/QUOTE of two different currencies, e.g. 'BTC/USDT'" in (
        str(problem) for problem in caught.value.problems
    )
