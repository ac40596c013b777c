"""Secrets come only from the environment or the secrets directory, and never show up anywhere else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app.settings import ConfigError, config_hash, load_settings, redacted_dict
from tests.settings.helpers import LIVE_EXAMPLE_TOML, LIVE_KEYS, load, write_toml

TOML_SECRET = "tomlSecretValue-9f8e7d6c"


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


@pytest.mark.parametrize("key", ["api_key", "api_secret", "password"])
def test_a_secret_in_the_config_file_is_refused_without_echoing_it(
    tmp_path: Path, secrets_dir: Path, key: str
) -> None:
    path = write_toml(tmp_path, f'[exchange]\nid = "binance"\n{key} = "{TOML_SECRET}"\n')

    with pytest.raises(ConfigError) as caught:
        load(path, secrets_dir)

    message = str(caught.value)
    assert f"exchange.{key}" in message
    assert f"SPOTBOT_EXCHANGE__{key.upper()}" in message
    assert "environment" in message
    assert TOML_SECRET not in message
    assert TOML_SECRET not in repr(caught.value.problems)
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # no chained pydantic error


def test_a_misspelt_secret_key_in_the_file_is_not_echoed_either(tmp_path: Path, secrets_dir: Path) -> None:
    path = write_toml(tmp_path, f'[exchange]\napiKey = "{TOML_SECRET}"\n')

    with pytest.raises(ConfigError) as caught:
        load(path, secrets_dir)

    assert "exchange.apiKey: (hidden)" in str(caught.value)
    assert TOML_SECRET not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # no chained pydantic error


def test_a_database_password_in_the_config_file_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    path = write_toml(tmp_path, f'[bot]\ndatabase_url = "postgresql://bot:{TOML_SECRET}@db/spotbot"\n')

    with pytest.raises(ConfigError) as caught:
        load(path, secrets_dir)

    assert "SPOTBOT_BOT__DATABASE_URL" in str(caught.value)
    assert TOML_SECRET not in str(caught.value)


def test_live_mode_without_keys_names_the_variables_to_set(secrets_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(LIVE_EXAMPLE_TOML, secrets_dir)

    message = str(caught.value)
    assert "exchange.api_key: (missing)" in message
    assert "SPOTBOT_EXCHANGE__API_KEY" in message
    assert "SPOTBOT_EXCHANGE__API_SECRET" in message


def test_live_mode_refuses_empty_keys(secrets_dir: Path) -> None:
    env = {"SPOTBOT_EXCHANGE__API_KEY": "", "SPOTBOT_EXCHANGE__API_SECRET": "x" * 12}

    with pytest.raises(ConfigError, match="SPOTBOT_EXCHANGE__API_KEY"):
        load(LIVE_EXAMPLE_TOML, secrets_dir, env=env)


def test_keys_are_read_from_the_secrets_directory(secrets_dir: Path) -> None:
    (secrets_dir / "SPOTBOT_EXCHANGE__API_KEY").write_text("dir-key-1234\n")
    (secrets_dir / "spotbot_exchange__api_secret").write_text("dir-secret-5678")  # names are case-insensitive
    (secrets_dir / "unrelated_service_password").write_text("not ours")

    settings = load(LIVE_EXAMPLE_TOML, secrets_dir)

    assert settings.exchange.api_key is not None and settings.exchange.api_secret is not None
    assert settings.exchange.api_key.get_secret_value() == "dir-key-1234"  # trailing newline stripped
    assert settings.exchange.api_secret.get_secret_value() == "dir-secret-5678"
    assert settings.secret_values() == ("dir-key-1234", "dir-secret-5678")


def test_the_secrets_directory_can_come_from_the_environment(secrets_dir: Path) -> None:
    (secrets_dir / "SPOTBOT_EXCHANGE__API_KEY").write_text("from-dir-key")
    env = {"SPOTBOT_SECRETS_DIR": str(secrets_dir), "SPOTBOT_EXCHANGE__API_SECRET": "from-env-secret"}

    settings = load_settings(LIVE_EXAMPLE_TOML, env=env)

    assert settings.exchange.api_key is not None
    assert settings.exchange.api_key.get_secret_value() == "from-dir-key"


def test_the_environment_beats_the_secrets_directory(secrets_dir: Path) -> None:
    (secrets_dir / "SPOTBOT_EXCHANGE__API_KEY").write_text("from-dir")

    settings = load(LIVE_EXAMPLE_TOML, secrets_dir, env=LIVE_KEYS)

    assert settings.exchange.api_key is not None
    assert settings.exchange.api_key.get_secret_value() == LIVE_KEYS["SPOTBOT_EXCHANGE__API_KEY"]


def test_secrets_do_not_show_in_repr(secrets_dir: Path) -> None:
    settings = load(LIVE_EXAMPLE_TOML, secrets_dir, env=LIVE_KEYS)

    for value in LIVE_KEYS.values():
        assert value not in repr(settings) and value not in str(settings)


def test_errors_in_a_live_config_do_not_echo_environment_secrets(secrets_dir: Path) -> None:
    env = {**LIVE_KEYS, "SPOTBOT_RISK__RISK_PER_TRADE": "0.5"}

    with pytest.raises(ConfigError) as caught:
        load(LIVE_EXAMPLE_TOML, secrets_dir, env=env)

    for value in LIVE_KEYS.values():
        assert value not in str(caught.value)


# ------------------------------------------------------------------------------ redacted_dict, config_hash


def _values(value: Any) -> list[str]:
    """Every string value (not the keys, which are the schema's names) in JSON-like data."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _values(item)]
    if isinstance(value, list):
        return [s for item in value for s in _values(item)]
    return []


def test_redacted_dict_is_json_with_secrets_masked(secrets_dir: Path) -> None:
    env = {**LIVE_KEYS, "SPOTBOT_BOT__DATABASE_URL": "postgresql://bot:db-pass-777@db/spotbot"}
    settings = load(LIVE_EXAMPLE_TOML, secrets_dir, env=env)

    data = redacted_dict(settings)

    text = json.dumps(data)  # JSON-safe: no Decimal, Path or datetime objects left
    assert data["exchange"]["api_key"] == "**********"
    assert data["exchange"]["api_secret"] == "**********"
    assert data["exchange"]["password"] is None
    assert data["risk"]["risk_per_trade"] == "0.005"
    assert data["bot"]["data_dir"] == "/var/lib/spotbot"
    for secret in [*LIVE_KEYS.values(), "db-pass-777"]:
        assert secret not in text


secret_text = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters='\\"'),
    min_size=8,
    max_size=40,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(api_key=secret_text, api_secret=secret_text)
def test_redacted_dict_never_contains_a_secret(secrets_dir: Path, api_key: str, api_secret: str) -> None:
    env = {"SPOTBOT_EXCHANGE__API_KEY": api_key, "SPOTBOT_EXCHANGE__API_SECRET": api_secret}
    settings = load(LIVE_EXAMPLE_TOML, secrets_dir, env=env)

    strings = _values(redacted_dict(settings))

    for secret in (api_key.strip(), api_secret.strip()):
        assert not any(secret in s for s in strings)


def test_config_hash_is_stable_and_ignores_the_credentials(secrets_dir: Path) -> None:
    first = load(LIVE_EXAMPLE_TOML, secrets_dir, env=LIVE_KEYS)
    again = load(LIVE_EXAMPLE_TOML, secrets_dir, env=LIVE_KEYS)
    rotated = load(
        LIVE_EXAMPLE_TOML,
        secrets_dir,
        env={
            "SPOTBOT_EXCHANGE__API_KEY": "other-key-0000",
            "SPOTBOT_EXCHANGE__API_SECRET": "other-secret-0000",
        },
    )
    riskier = load(LIVE_EXAMPLE_TOML, secrets_dir, env={**LIVE_KEYS, "SPOTBOT_RISK__RISK_PER_TRADE": "0.01"})

    assert len(config_hash(first)) == 64
    assert config_hash(first) == config_hash(again)
    assert config_hash(first) == config_hash(rotated)
    assert config_hash(first) != config_hash(riskier)


def test_config_hash_of_paper_runs_does_not_depend_on_having_keys(secrets_dir: Path) -> None:
    without = load(None, secrets_dir)
    with_keys = load(None, secrets_dir, env=LIVE_KEYS)

    assert config_hash(without) == config_hash(with_keys)
