"""With ``market.source = "exchange"``, an ``exchange.id`` ccxt does not know is a config error, found by
``config check`` and every command before it starts; a sim config never loads ccxt to check it."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app.config_checks import check_exchange_id
from bot.app.settings import ConfigError, load_settings
from tests.settings.helpers import load, write_toml


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def test_an_unknown_exchange_id_is_refused_naming_the_closest(tmp_path: Path, secrets_dir: Path) -> None:
    path = write_toml(tmp_path, '[market]\nsource = "exchange"\n[exchange]\nid = "binanse"\n')
    settings = load(path, secrets_dir)

    with pytest.raises(ConfigError) as caught:
        check_exchange_id(settings, path)

    assert str(caught.value) == (
        f"invalid configuration in {path}: exchange.id: 'binanse' — a ccxt exchange id, e.g. 'binance'; "
        "did you mean 'binance'?"
    )
    check_exchange_id(load(write_toml(tmp_path, '[market]\nsource = "exchange"\n'), secrets_dir))


def test_config_check_refuses_an_unknown_exchange_in_one_line(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[market]\nsource = "exchange"\n[exchange]\nid = "binanse"\n')

    done = subprocess.run(
        [sys.executable, "-m", "bot", "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SPOTBOT_SECRETS_DIR": str(tmp_path)},
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: invalid configuration in {path}: exchange.id: 'binanse' — a ccxt exchange id, "
        "e.g. 'binance'; did you mean 'binance'?"
    ]


def test_a_sim_config_is_checked_without_loading_ccxt(tmp_path: Path) -> None:
    """The exchange id is checked only when the exchange is used: a sim run never pays for ccxt."""
    path = write_toml(tmp_path, '[exchange]\nid = "binanse"\n')

    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SPOTBOT_SECRETS_DIR": str(tmp_path)},
    )

    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert "bot.app.settings" in imported, "-X importtime lists the imports"
    assert not [name for name in imported if name.startswith("ccxt")]


def test_leaving_all_of_the_quote_currency_alone_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(None, env={"SPOTBOT_EXCHANGE__LEAVE_ALONE": '{"USDT": "all", "BTC": "all"}'})
    assert [p.key for p in refused.value.problems] == ["exchange.leave_alone.USDT"]
    settings = load_settings(None, env={"SPOTBOT_EXCHANGE__LEAVE_ALONE": '{"USDT": "500", "BTC": "all"}'})
    assert settings.exchange.leave_alone == {"USDT": Decimal("500"), "BTC": "all"}
