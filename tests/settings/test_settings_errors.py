"""Config errors name the key, the bad value and what is allowed; unknown keys are errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app.settings import ConfigError
from tests.settings.helpers import load, write_toml


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def _error(tmp_path: Path, secrets_dir: Path, toml: str, env: dict[str, str] | None = None) -> ConfigError:
    path = write_toml(tmp_path, toml)
    with pytest.raises(ConfigError) as caught:
        load(path, secrets_dir, env=env)
    return caught.value


def _problem(error: ConfigError, key: str) -> str:
    lines = [str(problem) for problem in error.problems if problem.key == key]
    assert lines, f"no problem for {key!r} in:\n{error}"
    return lines[0]


def test_a_typo_in_a_key_is_an_error_naming_the_key(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, "[risk]\nrisk_per_trad = 0.01\n")

    line = _problem(error, "risk.risk_per_trad")
    assert "extra keys are not allowed" in line
    assert "did you mean 'risk_per_trade'" in line
    assert str(error.path) in str(error)


def test_an_unknown_table_is_an_error(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, "[riks]\nrisk_per_trade = 0.01\n")

    assert "did you mean 'risk'" in _problem(error, "riks")


def test_an_unknown_strategy_param_is_an_error(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, '[[strategies]]\nname = "a"\n[strategies.params]\nfsat = 3\n')

    assert "did you mean 'fast'" in _problem(error, "strategies[0].params.fsat")


def test_risk_per_trade_above_the_hard_ceiling_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, "[risk]\nrisk_per_trade = 0.03\n")

    line = _problem(error, "risk.risk_per_trade")
    assert "0.03" in line
    assert "at most 0.02" in line
    assert "hard ceiling" in line


def test_leverage_above_one_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, "[risk]\nmax_leverage = 2\n")

    line = _problem(error, "risk.max_leverage")
    assert "2" in line and "spot never borrows" in line


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.5"), places=4))
def test_risk_per_trade_loads_exactly_up_to_the_ceiling(tmp_path: Path, risk: Decimal) -> None:
    env = {"SPOTBOT_RISK__RISK_PER_TRADE": str(risk)}
    if risk <= Decimal("0.02"):
        assert load(None, tmp_path, env=env).risk.risk_per_trade == risk
    else:
        with pytest.raises(ConfigError) as caught:
            load(None, tmp_path, env=env)
        line = _problem(caught.value, "risk.risk_per_trade")
        assert str(risk) in line and "from SPOTBOT_RISK__RISK_PER_TRADE" in line


def test_bad_values_name_what_is_allowed(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(
        tmp_path,
        secrets_dir,
        """
        [bot]
        name = "Spot Bot"
        mode = "yolo"
        [market]
        symbols = ["btcusdt"]
        timeframe = "7m"
        replay_speed = 0
        [market.rules]
        taker_fee = 0.02
        [execution]
        entry_timeout_candles = 0
        """,
    )

    assert "a-z, 0-9" in _problem(error, "bot.name")
    assert "'paper' or 'live'" in _problem(error, "bot.mode")
    assert "BASE/QUOTE" in _problem(error, "market.symbols[0]")
    assert "one of 1m, 3m, 5m" in _problem(error, "market.timeframe")
    assert "at least 0.001" in _problem(error, "market.replay_speed")
    assert "less than 0.01" in _problem(error, "market.rules.taker_fee")
    assert "at least 1" in _problem(error, "execution.entry_timeout_candles")


def test_every_problem_is_reported_at_once(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(
        tmp_path, secrets_dir, "[risk]\nrisk_per_trade = 0.5\nmax_leverage = 3\n[paper]\nslippage_bps = -1\n"
    )

    assert {p.key for p in error.problems} == {
        "risk.risk_per_trade",
        "risk.max_leverage",
        "paper.slippage_bps",
    }
    assert "3 problems" in str(error)


def test_live_mode_needs_the_exchange_source(tmp_path: Path, secrets_dir: Path) -> None:
    env = {"SPOTBOT_EXCHANGE__API_KEY": "k" * 16, "SPOTBOT_EXCHANGE__API_SECRET": "s" * 16}
    error = _error(tmp_path, secrets_dir, '[bot]\nmode = "live"\n', env=env)

    assert "market.source = 'exchange'" in _problem(error, "bot.mode")


def test_strategy_errors_name_the_entry(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(
        tmp_path,
        secrets_dir,
        """
        [market]
        symbols = ["BTC/USDT"]
        [[strategies]]
        name = "one"
        kind = "martingale"
        [[strategies]]
        name = "two"
        symbols = ["ETH/USDT"]
        timeframe = "1h"
        [[strategies]]
        name = "two"
        [strategies.params]
        fast = 30
        slow = 20
        """,
    )

    assert "one of ma_crossover" in _problem(error, "strategies[0].kind")
    assert "'martingale'" in _problem(error, "strategies[0].kind")
    assert "greater than fast (30)" in _problem(error, "strategies[2].params.slow")


def test_strategy_cross_checks(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(
        tmp_path,
        secrets_dir,
        """
        [market]
        symbols = ["BTC/USDT"]
        [[strategies]]
        name = "two"
        symbols = ["ETH/USDT"]
        timeframe = "1h"
        [[strategies]]
        name = "two"
        """,
    )

    assert "one of market.symbols (BTC/USDT)" in _problem(error, "strategies[0].symbols")
    assert "market.timeframe (5m)" in _problem(error, "strategies[0].timeframe")
    assert "unique" in _problem(error, "strategies")


def test_an_empty_strategy_list_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, "strategies = []\n")

    assert "at least one" in _problem(error, "strategies")


def test_a_symbol_may_be_listed_only_once(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, '[market]\nsymbols = ["BTC/USDT", "ETH/USDT", "BTC/USDT"]\n')

    assert "'BTC/USDT' — each symbol at most once" in _problem(error, "market.symbols")


def test_symbols_must_be_quoted_in_the_quote_currency(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, '[market]\nsymbols = ["BTC/USDT", "ETH/BTC"]\n')

    assert "'ETH/BTC' — a symbol quoted in bot.quote_currency (USDT)" in _problem(error, "market.symbols")


def test_csv_source_needs_a_file_for_every_symbol(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(
        tmp_path,
        secrets_dir,
        """
        [market]
        source = "csv"
        symbols = ["BTC/USDT", "ETH/USDT"]
        [market.csv.files]
        "BTC/USDT" = "does-not-exist.csv"
        "XRP/USDT" = "x.csv"
        """,
    )

    assert "an existing CSV file" in _problem(error, "market.csv.files.BTC/USDT")
    assert "every symbol needs a CSV file" in _problem(error, "market.csv.files.ETH/USDT")
    assert "listed in market.symbols" in _problem(error, "market.csv.files.XRP/USDT")


def test_sim_start_must_have_a_time_zone_and_sit_on_a_candle_boundary(
    tmp_path: Path, secrets_dir: Path
) -> None:
    naive = _error(tmp_path, secrets_dir, "[market.sim]\nstart = 2024-01-01T00:00:00\n")
    off_grid = _error(tmp_path, secrets_dir, "[market.sim]\nstart = 2024-01-01T00:01:00Z\n")

    assert "time zone" in _problem(naive, "market.sim.start")
    assert "5m candle boundary" in _problem(off_grid, "market.sim.start")


def test_a_toml_syntax_error_gives_the_line(tmp_path: Path, secrets_dir: Path) -> None:
    error = _error(tmp_path, secrets_dir, '[bot]\nname = "x"\nmode = \n')

    assert "line 3" in str(error)
    assert "invalid TOML" in str(error)


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path, secrets_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.toml"):
        load(tmp_path / "nope.toml", secrets_dir)


def test_a_missing_secrets_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SPOTBOT_SECRETS_DIR"):
        from bot.app.settings import load_settings

        load_settings(None, env={"SPOTBOT_SECRETS_DIR": str(tmp_path / "absent")})


def test_bad_json_in_an_environment_variable_is_a_config_error(tmp_path: Path, secrets_dir: Path) -> None:
    with pytest.raises(ConfigError, match="SPOTBOT_BOT__STARTING_BALANCES: not valid JSON"):
        load(None, secrets_dir, env={"SPOTBOT_BOT__STARTING_BALANCES": "{not json"})


def test_patching_one_strategy_from_the_environment_explains_the_json_way(secrets_dir: Path) -> None:
    with pytest.raises(ConfigError, match="set SPOTBOT_STRATEGIES to the whole list as JSON"):
        load(None, secrets_dir, env={"SPOTBOT_STRATEGIES__0__PARAMS__FAST": "5"})
