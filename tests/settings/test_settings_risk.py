"""``[risk]`` holds every RiskLimits field by the same name; risk_limits() builds the pure value."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app.settings import ConfigError, RiskSettings, risk_limits
from bot.app.settings.types import format_duration, parse_duration
from risk.limits import RiskLimits
from tests.settings.helpers import LIVE_EXAMPLE_TOML, LIVE_KEYS, PAPER_TOML, load, write_toml


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def _problems(tmp_path: Path, secrets_dir: Path, risk: str, env: dict[str, str] | None = None) -> str:
    path = write_toml(tmp_path, "[risk]\n" + risk)
    with pytest.raises(ConfigError) as caught:
        load(path, secrets_dir, env=env)
    return "\n".join(str(problem) for problem in caught.value.problems)


def test_every_risk_limits_field_is_a_risk_setting() -> None:
    assert set(RiskLimits.field_names()) <= set(RiskSettings.model_fields)


def test_the_defaults_map_to_the_default_risk_limits_exactly(tmp_path: Path, secrets_dir: Path) -> None:
    assert risk_limits(load(None, secrets_dir)) == RiskLimits()
    assert risk_limits(load(PAPER_TOML, secrets_dir)) == RiskLimits()


def test_the_live_example_builds_valid_limits(secrets_dir: Path) -> None:
    limits = risk_limits(load(LIVE_EXAMPLE_TOML, secrets_dir, env=LIVE_KEYS))
    assert limits.risk_per_trade == Decimal("0.005")
    assert limits.max_order_notional == Decimal("1000")


def test_each_key_reaches_the_limits(tmp_path: Path, secrets_dir: Path) -> None:
    path = write_toml(
        tmp_path,
        """
        [risk]
        risk_per_trade = "0.015"
        max_asset_fraction = "0.5"
        max_open_positions = 2
        max_order_notional = "2500.5"
        price_band = "0.01"
        stale_after_candles = 3
        daily_loss_limit = "0.05"
        max_drawdown = "0.2"
        max_consecutive_losses = 4
        loss_cooldown = "90m"
        max_trades_per_day = 7
        symbol_cooldown = "0"
        """,
    )
    limits = risk_limits(load(path, secrets_dir))
    assert limits == RiskLimits(
        risk_per_trade=Decimal("0.015"),
        max_asset_fraction=Decimal("0.5"),
        max_open_positions=2,
        max_order_notional=Decimal("2500.5"),
        price_band=Decimal("0.01"),
        stale_after_candles=3,
        daily_loss_limit=Decimal("0.05"),
        max_drawdown=Decimal("0.2"),
        max_consecutive_losses=4,
        loss_cooldown=timedelta(minutes=90),
        max_trades_per_day=7,
        symbol_cooldown=timedelta(0),
    )


def test_a_duration_can_come_from_the_environment(secrets_dir: Path) -> None:
    settings = load(None, secrets_dir, env={"SPOTBOT_RISK__SYMBOL_COOLDOWN": "30s"})
    assert risk_limits(settings).symbol_cooldown == timedelta(seconds=30)


def test_a_typo_in_a_risk_key_names_it_and_suggests_the_right_one(tmp_path: Path, secrets_dir: Path) -> None:
    text = _problems(tmp_path, secrets_dir, 'max_drawdwn = "0.2"\n')
    assert "risk.max_drawdwn" in text
    assert "did you mean 'max_drawdown'?" in text


@pytest.mark.parametrize("bad", ["4 hours", "h4", "-1h", "1.5h", "", "4w"])
def test_a_bad_duration_names_the_key_the_value_and_the_format(
    tmp_path: Path, secrets_dir: Path, bad: str
) -> None:
    text = _problems(tmp_path, secrets_dir, f'loss_cooldown = "{bad}"\n')
    assert f"risk.loss_cooldown: {bad!r}" in text
    assert "a duration such as '4h', '90m', '30s'" in text


@pytest.mark.parametrize(
    ("risk", "key", "allowed"),
    [
        (
            'risk_per_trade = "0.03"\n',
            "risk.risk_per_trade: '0.03'",
            "2 % of equity per trade is the hard ceiling",
        ),
        ("max_leverage = 2\n", "risk.max_leverage: 2", "spot never borrows; 1.0 is the ceiling"),
        ('max_asset_fraction = "1.5"\n', "risk.max_asset_fraction: '1.5'", "at most 1"),
        ("max_open_positions = 0\n", "risk.max_open_positions: 0", "at least 1"),
        ('max_order_notional = "0"\n', "risk.max_order_notional: '0'", "greater than 0"),
        ('price_band = "0.6"\n', "risk.price_band: '0.6'", "at most 0.5"),
        ('daily_loss_limit = "1"\n', "risk.daily_loss_limit: '1'", "less than 1"),
        ('max_drawdown = "0"\n', "risk.max_drawdown: '0'", "greater than 0"),
        ("max_trades_per_day = 0\n", "risk.max_trades_per_day: 0", "at least 1"),
    ],
)
def test_a_limit_out_of_bounds_is_refused_with_what_is_allowed(
    tmp_path: Path, secrets_dir: Path, risk: str, key: str, allowed: str
) -> None:
    text = _problems(tmp_path, secrets_dir, risk)
    assert key in text
    assert allowed in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        ("90m", timedelta(minutes=90)),
        ("30s", timedelta(seconds=30)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        ("0", timedelta(0)),
        (0, timedelta(0)),
    ],
)
def test_friendly_durations_parse_and_print_back(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected
