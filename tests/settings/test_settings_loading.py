"""Loading: defaults, the shipped files, environment overrides, source priority, strategy defaults."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.app.settings import MaCrossoverParams, Settings, load_settings
from tests.settings.helpers import LIVE_EXAMPLE_TOML, LIVE_KEYS, PAPER_TOML, load, write_toml


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def test_defaults_load_as_a_paper_run_on_the_synthetic_market(secrets_dir: Path) -> None:
    settings = load(None, secrets_dir)

    assert settings.bot.mode == "paper"
    assert settings.market.source == "sim"
    assert settings.market.symbols == ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    assert settings.risk.risk_per_trade == Decimal("0.01")
    assert settings.risk.max_leverage == Decimal("1.0")
    assert settings.bot.starting_balances == {"USDT": Decimal("10000")}
    assert [s.name for s in settings.strategies] == ["ma_crossover"]
    assert settings.strategies[0].symbols == settings.market.symbols
    assert settings.strategies[0].timeframe == "5m"
    assert settings.exchange.api_key is None
    assert settings.secret_values() == ()


def test_shipped_paper_config_loads(secrets_dir: Path) -> None:
    settings = load(PAPER_TOML, secrets_dir)

    assert settings.bot.mode == "paper"
    assert settings.market.source == "sim"
    assert settings.market.symbols == ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    assert settings.market.timeframe == "5m"
    assert 1_000 <= settings.market.sim.candles <= 5_000
    assert settings.market.sim.candles / settings.market.replay_speed < 30, "a paper run should take seconds"
    assert [s.kind for s in settings.strategies] == ["ma_crossover"]


def test_shipped_live_example_loads_with_keys_from_the_environment(secrets_dir: Path) -> None:
    settings = load(LIVE_EXAMPLE_TOML, secrets_dir, env=LIVE_KEYS)

    assert settings.bot.mode == "live"
    assert settings.market.source == "exchange"
    assert settings.exchange.id == "binance"
    assert settings.market.symbols == ("BTC/USDT", "ETH/USDT")
    assert settings.market.timeframe == "15m"
    assert settings.strategies[0].timeframe == "15m"
    assert settings.exchange.api_key is not None
    assert settings.exchange.api_key.get_secret_value() == LIVE_KEYS["SPOTBOT_EXCHANGE__API_KEY"]
    assert settings.venue == "binance"


def test_shipped_live_example_contains_no_secret_and_warns_about_withdrawals() -> None:
    text = LIVE_EXAMPLE_TOML.read_text(encoding="utf-8")

    assert "api_key =" not in text and "api_secret =" not in text
    assert "SPOTBOT_EXCHANGE__API_KEY" in text
    assert "withdraw" in text.lower()


def test_environment_overrides_nested_values_of_the_file(tmp_path: Path, secrets_dir: Path) -> None:
    path = write_toml(tmp_path, '[risk]\nrisk_per_trade = "0.01"\n[bot]\nmode = "paper"\n')
    env = {
        "SPOTBOT_RISK__RISK_PER_TRADE": "0.005",
        "spotbot_market__sim__seed": "99",  # names are case-insensitive
        "SPOTBOT_MARKET__SYMBOLS": "BTC/USDT,ETH/USDT",
        "UNRELATED": "ignored",
    }

    settings = load(path, secrets_dir, env=env)

    assert settings.risk.risk_per_trade == Decimal("0.005")
    assert settings.risk.max_stop_distance == Decimal("0.10"), (
        "siblings of an overridden key keep their values"
    )
    assert settings.market.sim.seed == 99
    assert settings.market.symbols == ("BTC/USDT", "ETH/USDT")
    assert settings.strategies[0].symbols == ("BTC/USDT", "ETH/USDT")


def test_environment_can_switch_to_live_mode(secrets_dir: Path) -> None:
    env = {"SPOTBOT_BOT__MODE": "live", "SPOTBOT_MARKET__SOURCE": "exchange", **LIVE_KEYS}

    settings = load(None, secrets_dir, env=env)

    assert settings.bot.mode == "live"


def test_priority_is_overrides_then_environment_then_secrets_dir_then_file(
    tmp_path: Path, secrets_dir: Path
) -> None:
    path = write_toml(tmp_path, "[market.sim]\nseed = 1\ncandles = 100\n[paper]\nslippage_bps = 1\n")
    (secrets_dir / "SPOTBOT_MARKET__SIM__SEED").write_text("3\n")
    (secrets_dir / "SPOTBOT_MARKET__SIM__CANDLES").write_text("300\n")
    (secrets_dir / "SPOTBOT_PAPER__SLIPPAGE_BPS").write_text("3\n")
    env = {"SPOTBOT_MARKET__SIM__SEED": "2", "SPOTBOT_PAPER__SLIPPAGE_BPS": "2"}

    settings = load_settings(path, env=env, secrets_dir=secrets_dir, overrides={"paper": {"slippage_bps": 4}})

    assert settings.paper.slippage_bps == 4  # overrides beat the environment
    assert settings.market.sim.seed == 2  # the environment beats the secrets dir
    assert settings.market.sim.candles == 300  # the secrets dir beats the file
    assert settings.market.sim.start.year == 2024  # defaults fill the rest


def test_strategy_symbols_and_timeframe_default_to_the_market(tmp_path: Path, secrets_dir: Path) -> None:
    path = write_toml(
        tmp_path,
        """
        [market]
        symbols = ["BTC/USDT", "ETH/USDT"]
        timeframe = "1h"
        [[strategies]]
        name = "all"
        [[strategies]]
        name = "btc_only"
        symbols = ["BTC/USDT"]
        [strategies.params]
        fast = 5
        slow = 20
        ma = "sma"
        stop = "percent"
        stop_percent = 0.05
        """,
    )

    settings = load(path, secrets_dir)

    all_symbols, btc_only = settings.strategies
    assert all_symbols.symbols == ("BTC/USDT", "ETH/USDT")
    assert all_symbols.timeframe == "1h"
    assert btc_only.symbols == ("BTC/USDT",)
    assert btc_only.params == MaCrossoverParams(fast=5, slow=20, ma="sma", stop="percent", stop_percent=0.05)


def test_relative_paths_resolve_against_the_working_directory(
    tmp_path: Path, secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_toml(tmp_path, '[bot]\ndata_dir = "state"\n[logging]\nfile = "logs/bot.jsonl"\n')

    settings = load(path, secrets_dir)

    assert settings.bot.data_dir == tmp_path / "state"
    assert settings.logging.file == tmp_path / "logs" / "bot.jsonl"
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'state' / 'spotbot.sqlite'}"


def test_database_url_from_the_environment_is_used_and_redacted_for_display(secrets_dir: Path) -> None:
    env = {"SPOTBOT_BOT__DATABASE_URL": "postgresql+psycopg://bot:pw-Secret-42@db:5432/spotbot"}

    settings = load(None, secrets_dir, env=env)

    assert settings.effective_database_url == env["SPOTBOT_BOT__DATABASE_URL"]
    assert "pw-Secret-42" not in settings.effective_database_url_redacted
    assert settings.effective_database_url_redacted.startswith("postgresql+psycopg://bot:")
    assert settings.secret_values() == ("pw-Secret-42",)


def test_csv_source_takes_one_existing_file_per_symbol(tmp_path: Path, secrets_dir: Path) -> None:
    (tmp_path / "btc.csv").write_text("")
    path = write_toml(
        tmp_path,
        f"""
        [market]
        source = "csv"
        symbols = ["BTC/USDT"]
        [market.csv.files]
        "BTC/USDT" = "{tmp_path / "btc.csv"}"
        """,
    )

    settings = load(path, secrets_dir)

    assert settings.market.csv.files == {"BTC/USDT": tmp_path / "btc.csv"}


def test_settings_are_immutable(secrets_dir: Path) -> None:
    settings = load(None, secrets_dir)

    with pytest.raises(ValidationError):
        settings.risk.risk_per_trade = Decimal("0.02")  # type: ignore[misc]


def test_settings_built_directly_read_keyword_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.upper().startswith("SPOTBOT_")]:
        monkeypatch.delenv(name)

    settings = Settings(risk={"risk_per_trade": "0.015"}, market={"symbols": ["ETH/USDT"]})

    assert settings.risk.risk_per_trade == Decimal("0.015")
    assert settings.strategies[0].symbols == ("ETH/USDT",)


def test_settings_params_mirror_the_strategy_dataclass() -> None:
    """The bootstrap builds ``strategies.ma_crossover.MaCrossoverParams(**params.model_dump())``."""
    from strategies.ma_crossover import MaCrossoverParams as StrategyParams

    dumped = MaCrossoverParams().model_dump()

    assert StrategyParams(**dumped) == StrategyParams()


def test_strategies_can_be_replaced_from_the_environment_as_json(secrets_dir: Path) -> None:
    env = {"SPOTBOT_STRATEGIES": '[{"name": "fast_one", "params": {"fast": 5, "slow": 12}}]'}

    settings = load(PAPER_TOML, secrets_dir, env=env)

    assert [s.name for s in settings.strategies] == ["fast_one"]
    assert settings.strategies[0].params == MaCrossoverParams(fast=5, slow=12)
