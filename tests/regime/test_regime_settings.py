"""``[regime]``: its defaults, and errors that name the key, the bad value and what is allowed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app.settings import ConfigError, Settings
from bot.domain import Season, Trend
from tests.settings.helpers import REPO, load, write_toml

EXAMPLE = REPO / "config" / "regime.example.toml"
ONE = '[regime]\nbasket = ["ETH/BTC"]\n'  # a valid [regime] of one alt, to add a bad key to
BASE = """
[bot]
quote_currency = "BTC"
[bot.starting_balances]
BTC = "1"
[market]
symbols = ["ETH/BTC", "LTC/BTC", "ETC/BTC"]
[market.rules]
min_notional = "0.0001"
[[strategies]]
name = "alts"
"""


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    return directory


def settings_with(tmp_path: Path, secrets_dir: Path, regime: str) -> Settings:
    return load(write_toml(tmp_path, BASE + regime), secrets_dir)


def problem(tmp_path: Path, secrets_dir: Path, regime: str, key: str) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_with(tmp_path, secrets_dir, regime)
    lines = [str(p) for p in caught.value.problems if p.key == key]
    assert lines, f"no problem for {key!r} in:\n{caught.value}"
    return lines[0]


def test_a_basket_alone_takes_every_default(tmp_path: Path, secrets_dir: Path) -> None:
    settings = settings_with(tmp_path, secrets_dir, '[regime]\nbasket = ["ETH/BTC", "LTC/BTC", "ETC/BTC"]\n')

    regime = settings.regime
    assert regime is not None
    spec = regime.spec(settings.market.timeframe)
    assert (spec.timeframe, spec.window, spec.btc_symbol) == ("5m", timedelta(days=90), None)
    assert (spec.alt_season, spec.btc_season, spec.needed, spec.trend_candles) == (
        Decimal("0.75"), Decimal("0.25"), 2, 50
    )  # fmt: skip
    assert regime.guard("5m").gates == {}


def test_a_gate_becomes_the_guards_rule_for_that_strategy(tmp_path: Path, secrets_dir: Path) -> None:
    usdt = """
[market]
symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
[[strategies]]
name = "alts"
[regime]
basket = ["ETH/USDT", "SOL/USDT"]
btc_symbol = "BTC/USDT"
[regime.gates.alts]
seasons = ["alt_season", "neutral"]
btc_trend = "up"
"""
    settings = load(write_toml(tmp_path, usdt), secrets_dir)

    assert settings.regime is not None
    guard = settings.regime.guard(settings.market.timeframe)
    gate = guard.gates["alts"]
    assert (gate.seasons, gate.btc_trend) == (frozenset({Season.ALT_SEASON, Season.NEUTRAL}), Trend.UP)
    assert (guard.spec.btc_symbol, guard.spec.btc_asset, guard.spec.quoted_in_btc("ETH/USDT")) == (
        "BTC/USDT", "BTC", False
    )  # fmt: skip


def test_offline_the_regime_may_read_longer_candles_the_market_builds(
    tmp_path: Path, secrets_dir: Path
) -> None:
    settings = settings_with(tmp_path, secrets_dir, '[regime]\nbasket = ["ETH/BTC"]\ntimeframe = "1d"\n')

    assert settings.regime is not None and settings.regime.spec("5m").timeframe == "1d"


def test_no_regime_section_means_no_regime(tmp_path: Path, secrets_dir: Path) -> None:
    assert settings_with(tmp_path, secrets_dir, "").regime is None


@pytest.mark.parametrize(
    ("regime", "key", "says"),
    [
        (ONE + '[regime.gates.nope]\nseasons = ["alt_season"]\n',
         "regime.gates.nope", "a gate of a strategy: one of alts"),
        ('[regime]\nbasket = ["ETH/BTC", "XRP/BTC"]\n', "regime.basket",
         "'XRP/BTC' — a symbol of market.symbols"),
        (ONE + 'btc_symbol = "BTC/USDT"\n', "regime.btc_symbol",
         "'BTC/USDT' — a symbol of market.symbols"),
        (ONE + 'window = "3 days"\n', "regime.window", "'3 days' — a duration such as"),
        (ONE + 'window = "0"\n', "regime.window", "a duration above zero"),
        (ONE + 'window = "1m"\n', "regime.window", "at least one 5m candle"),
        (ONE + 'timeframe = "1m"\n', "regime.timeframe", "market.timeframe (5m) or a whole multiple of it"),
        (ONE + 'windw = "3d"\n', "regime.windw", "did you mean 'window'"),
        ("[regime]\nwindow = \"3d\"\n", "regime.basket", "required"),
        ("[regime]\nbasket = []\n", "regime.basket", "(missing) — required: at least one alt symbol"),
        (ONE + 'alt_season = 0.2\n', "regime.alt_season", "above btc_season (0.25)"),
        (ONE + 'min_alts = 2\n', "regime.min_alts", "at most the basket's size (1)"),
        ('[regime]\nbasket = ["ETH/USDT"]\n', "regime.basket", "or set btc_symbol (e.g. 'BTC/USDT')"),
        (ONE + '[regime.gates.alts]\nbtc_trend = "up"\n',
         "regime.gates.alts.btc_trend", "'up' — any, unless btc_symbol is set"),
        (ONE + '[regime.gates.alts]\nseasons = ["alt"]\n',
         "regime.gates.alts.seasons[0]", "one of 'alt_season', 'btc_season' or 'neutral'"),
        (ONE + '[regime.gates.alts]\nseasons = []\n',
         "regime.gates.alts.seasons", "at least one of alt_season, btc_season, neutral"),
        (ONE + '[regime.gates.alts]\nseasons = ["neutral", "neutral"]\n',
         "regime.gates.alts.seasons", "each season at most once"),
    ],
)  # fmt: skip
def test_a_bad_regime_setting_names_its_key(
    tmp_path: Path, secrets_dir: Path, regime: str, key: str, says: str
) -> None:
    assert says in problem(tmp_path, secrets_dir, regime, key)


def test_the_shipped_example_loads_with_its_gate(secrets_dir: Path) -> None:
    settings = load(EXAMPLE, secrets_dir)

    assert settings.regime is not None
    guard = settings.regime.guard(settings.market.timeframe)
    assert guard.spec.window == timedelta(days=3) and set(guard.gates) == {"alts_in_alt_season"}
    assert {s.name for s in settings.strategies} == {"alts_in_alt_season", "always"}
