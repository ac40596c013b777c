"""A ``SPOTBOT_`` environment variable or secrets-directory file that maps to no key is an error naming it,
so a misspelt override can never quietly not apply; the few non-setting variables are listed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app.settings import ConfigError
from bot.app.settings.names import NON_SETTING_VARIABLES, not_settings
from tests.settings.helpers import REPO, load


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def _refused(secrets_dir: Path, env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load(None, secrets_dir, env=env)
    return str(caught.value)


def test_a_single_underscore_variable_is_an_error_suggesting_the_setting(secrets_dir: Path) -> None:
    message = _refused(secrets_dir, {"SPOTBOT_RISK_RISK_PER_TRADE": "0.005"})

    assert message == (
        "invalid configuration: SPOTBOT_RISK_RISK_PER_TRADE: not a setting — did you mean "
        "SPOTBOT_RISK__RISK_PER_TRADE? (SPOTBOT_ + the key path in capitals, __ for each dot)"
    )


def test_an_unknown_table_variable_is_an_error_naming_it_and_the_rule(secrets_dir: Path) -> None:
    message = _refused(secrets_dir, {"SPOTBOT_RISKK__Q": "1"})

    assert message.startswith("invalid configuration: SPOTBOT_RISKK__Q: not a setting — ")
    assert "SPOTBOT_ + the key path in capitals, __ for each dot" in message
    assert "SPOTBOT_SECRETS_DIR" in message


def test_an_unknown_key_inside_a_table_is_reported_once_as_a_variable(secrets_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(None, secrets_dir, env={"SPOTBOT_RISK__RISK_PER_TRAD": "0.005"})

    assert [problem.key for problem in caught.value.problems] == ["SPOTBOT_RISK__RISK_PER_TRAD"]
    assert "did you mean SPOTBOT_RISK__RISK_PER_TRADE?" in str(caught.value)


def test_a_lower_case_misspelling_is_refused_like_an_upper_case_one(secrets_dir: Path) -> None:
    assert "did you mean SPOTBOT_MARKET__REPLAY_SPEED?" in _refused(
        secrets_dir, {"spotbot_market__replay_sped": "50"}
    )


def test_a_variable_reaching_into_a_table_says_to_set_the_whole_table_as_json(secrets_dir: Path) -> None:
    message = _refused(secrets_dir, {"SPOTBOT_BOT__STARTING_BALANCES__USDT": "5000"})

    assert "set SPOTBOT_BOT__STARTING_BALANCES to the whole table as JSON" in message


def test_a_near_miss_of_a_non_setting_variable_suggests_it(secrets_dir: Path) -> None:
    assert "did you mean SPOTBOT_SECRETS_DIR?" in _refused(secrets_dir, {"SPOTBOT_SECRET_DIR": "/x"})


def test_every_problem_is_listed_with_the_rest_of_the_config(secrets_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(None, secrets_dir, env={"SPOTBOT_RISKK__X": "1", "SPOTBOT_RISK__RISK_PER_TRADE": "0.5"})

    assert {problem.key for problem in caught.value.problems} == {"SPOTBOT_RISKK__X", "risk.risk_per_trade"}


def test_the_value_of_a_misspelt_variable_is_never_shown(secrets_dir: Path) -> None:
    secret = "sk-live-never-shown-9f2e"

    message = _refused(secrets_dir, {"SPOTBOT_EXCHANGE__APIKEY": secret, "SPOTBOT_EXCHANGE__KEY": secret})

    assert secret not in message
    assert "did you mean SPOTBOT_EXCHANGE__API_KEY?" in message


@pytest.mark.parametrize("name", NON_SETTING_VARIABLES)
def test_the_listed_non_setting_variables_are_allowed(secrets_dir: Path, name: str) -> None:
    value = str(secrets_dir) if name == "SPOTBOT_SECRETS_DIR" else "1"

    assert load(None, secrets_dir, env={name: value}).risk.risk_per_trade > 0


def test_variables_of_other_programs_are_none_of_our_business(secrets_dir: Path) -> None:
    assert load(None, secrets_dir, env={"PATH": "/bin", "SPOTBOTX_Y": "1", "MY_SPOTBOT_Z": "1"})


def test_a_secret_file_that_maps_to_no_key_is_an_error_naming_the_file_not_its_content(
    secrets_dir: Path,
) -> None:
    (secrets_dir / "SPOTBOT_EXCHANGE__API_SECRT").write_text("s3cr3t-content-77aa")
    (secrets_dir / "README").write_text("not ours: no SPOTBOT_ prefix")

    message = _refused(secrets_dir, {})

    assert f"SPOTBOT_EXCHANGE__API_SECRT (a file in {secrets_dir}): not a setting" in message
    assert "did you mean SPOTBOT_EXCHANGE__API_SECRET?" in message
    assert "s3cr3t-content-77aa" not in message


def test_the_process_environment_is_checked_like_an_injected_one(tmp_path: Path, secrets_dir: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SPOTBOT_SECRETS_DIR": str(secrets_dir), "SPOTBOT_RISK_RISK_PER_TRADE": "0.005"},
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: invalid configuration in {config}: SPOTBOT_RISK_RISK_PER_TRADE: not a setting — did you "
        "mean SPOTBOT_RISK__RISK_PER_TRADE? (SPOTBOT_ + the key path in capitals, __ for each dot)"
    ]


def test_the_readme_documents_every_non_setting_variable() -> None:
    configuration = (REPO / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]

    assert [name for name in NON_SETTING_VARIABLES if name not in configuration] == []


def test_every_spotbot_variable_the_project_names_is_a_setting_or_listed() -> None:
    """Catches a new ``SPOTBOT_`` variable read by code, CI or docs without being listed."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: no file list to scan")
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    names: set[str] = set()
    for name in files.stdout.split():
        path = REPO / name
        if name.startswith("tests/settings/") or name == "bot/app/settings/names.py" or not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if "not a setting" not in line:  # examples of the error itself
                names.update(re.findall(r"\bSPOTBOT_\w*[A-Z0-9]\b", line))

    assert {"SPOTBOT_SECRETS_DIR", "SPOTBOT_EXCHANGE__API_KEY"} <= names, "the scan finds the variables"
    assert not_settings(names) == []
