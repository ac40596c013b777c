"""``[risk]`` keys of the portfolio-risk guards: their defaults (off), errors naming the key, the bad value
and what is allowed; and where the guards sit in the chain when they are on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.app.bootstrap import build_risk_chain
from bot.app.settings import ConfigError
from risk.factory import build_chain
from risk.limits import RiskLimits
from risk.portfolio_guards import ClusterGuard, CvarGuard
from tests.settings.helpers import load, write_toml

BASE = """
[bot]
quote_currency = "BTC"
[bot.starting_balances]
BTC = "1"
[market]
symbols = ["ETH/BTC", "LTC/BTC"]
[market.rules]
min_notional = "0.0001"
[[strategies]]
name = "cross"
[risk]
"""


def problem(tmp_path: Path, risk: str, key: str) -> str:
    secrets = tmp_path / "secrets"
    secrets.mkdir(exist_ok=True)
    with pytest.raises(ConfigError) as caught:
        load(write_toml(tmp_path, BASE + risk), secrets)
    lines = [str(p) for p in caught.value.problems if p.key == f"risk.{key}"]
    assert lines, f"no problem for {key!r} in:\n{caught.value}"
    return lines[0]


def test_by_default_both_guards_are_off_and_the_chain_does_not_hold_them(tmp_path: Path):
    limits = RiskLimits()
    assert (limits.max_cvar, limits.max_cluster_fraction) == (None, None)
    assert (limits.correlation_threshold, limits.risk_lookback) == (Decimal("0.8"), timedelta(days=30))
    names = build_chain(limits).guard_names
    assert "cvar" not in names and "cluster_exposure" not in names


def test_set_in_the_config_they_join_the_caps_cluster_after_concentration_cvar_last(tmp_path: Path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    risk = 'max_cvar = "0.04"\nmax_cluster_fraction = "0.5"\n'
    risk += 'correlation_threshold = "0.7"\nrisk_lookback = "14d"\n'
    settings = load(write_toml(tmp_path, BASE + risk), secrets)
    chain = build_risk_chain(settings)
    names = chain.guard_names
    assert names[-5:] == ("concentration", "cluster_exposure", "max_open_positions", "cvar", "spot_balance")
    cluster, cvar = chain.guards[-4], chain.guards[-2]
    assert isinstance(cluster, ClusterGuard) and isinstance(cvar, CvarGuard)
    assert (cluster.max_cluster_fraction, cluster.correlation_threshold) == (Decimal("0.5"), Decimal("0.7"))
    assert cvar.max_cvar == Decimal("0.04")
    assert (cvar.spec.timeframe, cvar.spec.lookback) == ("5m", timedelta(days=14)) == (
        cluster.spec.timeframe, cluster.spec.lookback
    )  # fmt: skip


def test_an_engine_refuses_the_guards_without_the_timeframe_of_their_candles(tmp_path: Path):
    """``build_chain`` without ``timeframe`` (tests of the pure chain) builds guards an engine cannot feed."""
    from bot.app.bootstrap import build_market
    from bot.core.intent_pipeline import IntentPipeline
    from bot.core.ports import Ports

    chain = build_chain(RiskLimits(max_cvar=Decimal("0.05")))
    assert chain.guard_names[-2] == "cvar"
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    market = build_market(load(write_toml(tmp_path, BASE), secrets))
    ports = Ports(market=market, broker=None, store=None, clock=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs its returns' timeframe"):
        IntentPipeline(ports=ports, scope=None, chain=chain, executor=None, book=None, control=None,  # type: ignore[arg-type]
                       marks=None, status=None, venue=None)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "key", "allowed"),
    [
        ('max_cvar = "1.5"', "max_cvar", "at most 1"),
        ('max_cvar = "0"', "max_cvar", "greater than 0"),
        ('max_cluster_fraction = "-0.1"', "max_cluster_fraction", "greater than 0"),
        ('correlation_threshold = "1"', "correlation_threshold", "less than 1"),
        ('risk_lookback = "soon"', "risk_lookback", ""),
    ],
)
def test_a_bad_value_is_refused_naming_the_key(tmp_path: Path, line: str, key: str, allowed: str):
    message = problem(tmp_path, line + "\n", key)
    assert message.startswith(f"risk.{key}: ") and allowed in message
