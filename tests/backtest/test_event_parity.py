"""A backtest ticks only the closes where something can happen; the result must be the daemon's.

The same market and config run twice through the real wiring: once ticked at every candle close (the
sim daemon's ``SimReplay``), once by the backtest's ``EventReplay``, which skips quiet closes. Every
intent, risk decision, order, order event, fill and trading state change must be identical, and so must
the final balances, equity and drawdown. Hypothesis varies the market (volatility, symbols, gaps) and
the config (strategy, execution options, breakers) to reach the planner's every branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.market.factory import build_offline_market
from bot.adapters.market.offline import OfflineMarket
from bot.app.backtest.event_replay import event_replay
from bot.app.bootstrap import build_app, finish_app
from bot.app.settings import load_settings
from bot.app.settings.trading import ExecutionSettings, RiskSettings
from bot.app.settings.types import Section
from bot.domain.series import CandleSeries

SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
START_PRICES = {"BTC/USDT": 42_000.0, "ETH/USDT": 2_300.0, "SOL/USDT": 95.0}


@dataclass(frozen=True)
class Scenario:
    symbols: int
    candles: int
    seed: int
    volatility: float
    gaps: bool
    toml: str
    gap_fraction: float = 0.03  # of the candles dropped when ``gaps``


def market_of(scenario: Scenario) -> OfflineMarket:
    symbols = SYMBOLS[: scenario.symbols]
    market = build_offline_market(
        symbols=symbols, timeframe="5m", seed=scenario.seed, candles=scenario.candles,
        start_prices={s: START_PRICES[s] for s in symbols},
        daily_volatilities={s: scenario.volatility for s in symbols},
    )  # fmt: skip
    if not scenario.gaps:
        return market
    rng = np.random.default_rng(scenario.seed)
    series = {}
    for symbol in symbols:
        one = market.series(symbol)
        keep = rng.random(len(one)) > scenario.gap_fraction  # dropped candles: gaps, never filled
        keep[0] = True
        series[symbol] = CandleSeries(
            symbol, "5m", one.open_time[keep].copy(), one.open[keep].copy(), one.high[keep].copy(),
            one.low[keep].copy(), one.close[keep].copy(), one.volume[keep].copy(),
        )  # fmt: skip
    return OfflineMarket(series, {s: market.rules(s) for s in symbols}, "5m")


def run(scenario: Scenario, tmp: Path, *, events: bool, shadow: bool = False) -> dict[str, Any]:
    """Run the scenario to the end; everything the audit DB and the broker hold, comparable. ``shadow``:
    the event replay also ticks every close it skips and fails if the engine acts at one."""
    folder = tmp / ("shadow" if shadow else "events" if events else "every")
    folder.mkdir()
    config = folder / "bot.toml"
    symbols = ", ".join(f'"{s}"' for s in SYMBOLS[: scenario.symbols])
    config.write_text(
        f'[bot]\nname = "parity"\ndata_dir = "{folder}"\n[market]\nsymbols = [{symbols}]\n' + scenario.toml
    )
    market = market_of(scenario)
    app = build_app(load_settings(config, env={}), market=market, backtest=True)
    replay = event_replay(app, market, shadow=shadow) if events else app.replay
    replay.run_to_end()
    assert replay.error is None, repr(replay.error)
    report = finish_app(app, "completed")
    store, run_id = app.store, app.run_id
    outcome = {
        "intents": store.intents(run_id),
        "decisions": store.decisions(run_id),
        "orders": store.orders(run_id),
        "order_events": store.order_events(run_id=run_id),
        "fills": store.fills(run_id),
        "trading_states": [
            (e.state, e.reason, e.occurred_at)
            for e in store.trading_state_events("parity")
            if e.run_id == run_id
        ],
        "balances": app.broker.balances(),
        "final_equity": report.final_equity,
        "max_drawdown": report.max_drawdown,
        "trades": report.trades,
        "ticks": getattr(replay, "ticks", len(app.replay.close_times_ms)),
    }
    store.close()
    return outcome


def assert_same_run(tmp: Path, scenario: Scenario) -> tuple[dict[str, Any], dict[str, Any]]:
    every = run(scenario, tmp, events=False)
    skipping = run(scenario, tmp, events=True)
    shadowed = run(scenario, tmp, events=True, shadow=True)  # fails at a skipped close the engine acts at
    for key in every:
        if key != "ticks":
            assert skipping[key] == every[key], f"{key} differ"
            assert shadowed[key] == every[key], f"{key} differ in shadow mode"
    assert shadowed["ticks"] == skipping["ticks"], "shadow ticks are checks, not wakes"
    return every, skipping


def toml_of(sections: dict[str, dict[str, object]]) -> str:
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {value!r}" if not isinstance(value, bool) else f"{key} = {str(value).lower()}"
                  for key, value in values.items()]  # fmt: skip
    return "\n".join(lines).replace("'", '"') + "\n"


# The values each [execution] and [risk] key is drawn from: every key of ExecutionSettings and
# RiskSettings is here (test_the_generator_draws_every_execution_and_risk_key checks it against the models'
# fields), so a new key cannot silently run at its default. ``None`` leaves the key unset (its default).
# The values sit near the branches each key controls: a cap that binds and one that does not, a band or a
# stop distance the entries fall either side of, a slippage cap a falling market runs through.
EXECUTION_VALUES: dict[str, tuple[object, ...]] = {
    "entry_order": ("limit", "market"),
    "exit_order": ("market", "limit"),
    "stop_order": ("stop_market", "stop_limit"),
    "entry_timeout_candles": (1, 2, 3, 4),
    "max_reprices": (0, 1, 2),
    "on_unfilled": ("cancel", "marketable"),
    "entry_offset": ("0", "0.002"),
    "max_slippage": ("0.005", "0.0001", "0.002", "0.05"),  # tiny: marketable orders miss, exits are chased
    "stop_limit_slippage": ("0.005", "0", "0.001", "0.05"),  # 0: a stop-limit's limit is its stop
    "trailing_stop": (None, "0.004", "0.01", "0.03"),
    "take_profit_r": (None, "0.8", "1.5", "3"),
}
RISK_VALUES: dict[str, tuple[object, ...]] = {
    "risk_per_trade": ("0.005", "0.01", "0.02"),
    "max_stop_distance": ("0.1", "0.01", "0.03", "0.5"),  # ~ a 3 % stop: denied below, passed above
    "slippage_allowance": ("0.001", "0", "0.02"),
    "volatility_target": (False, True),
    "max_leverage": ("1.0", "0.2", "0.6"),
    "max_asset_fraction": ("0.25", "0.05", "1"),
    "max_open_positions": (1, 2, 3),
    "max_order_notional": (None, "15", "300", "2000"),  # 15: resized to about the 10 USDT minimum
    "price_band": ("0.02", "0.001", "0.005", "0.5"),  # 0.001: an entry limit 0.2 % below is denied
    "stale_after_candles": (2, 1, 3),
    "daily_loss_limit": ("0.005", "0.01", "0.03"),
    "max_drawdown": ("0.01", "0.03", "0.1"),
    "max_consecutive_losses": (1, 2, 3, 4),
    "loss_cooldown": ("0", "30m", "4h"),
    "max_trades_per_day": (2, 5, 10, 20),
    "symbol_cooldown": ("0", "1h"),
    # the portfolio caps: a lookback the candles fill (12h, 1d) or not (30d: cvar_no_history), caps that bind
    "max_cvar": (None, "0.002", "0.02"),
    "max_cluster_fraction": (None, "0.05", "0.3"),
    "correlation_threshold": ("0.8", "0", "0.5"),
    "risk_lookback": ("30d", "12h", "1d"),
}
# Keys deliberately not drawn, by section, each with its reason. Empty: every key is drawn.
NOT_DRAWN: dict[str, dict[str, str]] = {"execution": {}, "risk": {}}


def draw_section(draw: st.DrawFn, values: dict[str, tuple[object, ...]]) -> dict[str, object]:
    drawn = {key: draw(st.sampled_from(choices)) for key, choices in values.items()}
    return {key: value for key, value in drawn.items() if value is not None}


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    fast = draw(st.integers(3, 10))
    params: dict[str, object] = {"fast": fast, "slow": fast + draw(st.integers(2, 20)),
                                 "ma": draw(st.sampled_from(["ema", "sma"])),
                                 "stop": draw(st.sampled_from(["atr", "percent"]))}  # fmt: skip
    execution = draw_section(draw, EXECUTION_VALUES)
    risk = draw_section(draw, RISK_VALUES)
    toml = toml_of({"execution": execution, "risk": risk}) + (
        '[[strategies]]\nname = "ma"\n' + toml_of({"strategies.params": params})
    )
    gaps = draw(st.booleans())
    # Many gaps give opens far from the last close: stop-limits that trigger without filling
    # (stop_limit_slippage), exits chased past max_slippage.
    gap_fraction = draw(st.sampled_from([0.03, 0.25])) if gaps else 0.03
    return Scenario(
        symbols=draw(st.integers(1, 3)),
        candles=draw(st.integers(400, 1200)),
        seed=draw(st.integers(0, 10_000)),
        volatility=draw(st.sampled_from([0.02, 0.08, 0.25])),
        gaps=gaps,
        toml=toml,
        gap_fraction=gap_fraction,
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])  # fmt: skip
@given(scenario=scenarios())
def test_skipping_quiet_closes_changes_nothing_the_audit_trail_records(
    tmp_path_factory: pytest.TempPathFactory, scenario: Scenario
) -> None:
    assert_same_run(tmp_path_factory.mktemp("parity"), scenario)


SECTIONS: dict[str, tuple[type[Section], dict[str, tuple[object, ...]]]] = {
    "execution": (ExecutionSettings, EXECUTION_VALUES),
    "risk": (RiskSettings, RISK_VALUES),
}


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_the_generator_draws_every_execution_and_risk_key(section: str) -> None:
    model, values = SECTIONS[section]
    excluded = NOT_DRAWN[section]
    assert all(reason.strip() for reason in excluded.values()), "every excluded key needs its reason"
    fields = set(model.model_fields)
    missing = fields - set(values) - set(excluded)
    assert not missing, f"[{section}] keys the parity generator never draws: {sorted(missing)}"
    assert not set(values) & set(excluded), "a key is either drawn or excluded"
    gone = (set(values) | set(excluded)) - fields
    assert not gone, f"[{section}] has no keys {sorted(gone)} any more"


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_every_drawn_value_is_valid_and_each_key_leaves_its_default(section: str) -> None:
    model, values = SECTIONS[section]
    default = model()
    for key, choices in values.items():
        loaded = [getattr(model.model_validate({key: v}), key) for v in choices if v is not None]
        assert any(v != getattr(default, key) for v in loaded), f"[{section}] {key} only ever its default"


def test_a_backtest_ticks_far_fewer_closes_than_the_daemon(tmp_path: Path) -> None:
    scenario = Scenario(1, 3000, 11, 0.03, False, '[[strategies]]\nname = "ma"\n')
    every, skipping = assert_same_run(tmp_path, scenario)
    assert len(every["fills"]) >= 10, "the scenario should trade"
    assert skipping["ticks"] < every["ticks"] / 3


def test_breakers_trip_at_the_same_close_when_closes_are_skipped(tmp_path: Path) -> None:
    risk = toml_of({"risk": {"daily_loss_limit": "0.004", "max_drawdown": "0.02", "risk_per_trade": "0.02"}})
    scenario = Scenario(2, 2500, 5, 0.25, False, risk + '[[strategies]]\nname = "ma"\n')
    every, _ = assert_same_run(tmp_path, scenario)
    reasons = {reason for _, reason, _ in every["trading_states"]}
    assert {"daily_loss_limit", "max_drawdown"} <= reasons, reasons


def test_trailing_stops_move_at_the_same_closes_when_closes_are_skipped(tmp_path: Path) -> None:
    execution = toml_of({"execution": {"trailing_stop": "0.004", "stop_order": "stop_limit"}})
    scenario = Scenario(1, 2500, 3, 0.08, True, execution + '[[strategies]]\nname = "ma"\n')
    every, _ = assert_same_run(tmp_path, scenario)
    stops = [o for o in every["orders"] if o.purpose.value == "stop"]
    assert len(stops) > len({o.intent_id for o in stops}), "some stop was trailed"
    assert Decimal(0) < every["max_drawdown"] < 1


def test_a_gapped_stop_limit_and_its_chased_exit_are_the_same_when_closes_are_skipped(tmp_path: Path) -> None:
    """A candle opening below a stop-limit's limit leaves it triggered and unfilled (stop_limit_slippage 0):
    it is replaced by an exit, which a tiny max_slippage leaves to be chased."""
    execution = toml_of({"execution": {"trailing_stop": "0.004", "stop_order": "stop_limit",
                                       "stop_limit_slippage": "0", "max_slippage": "0.0001"}})  # fmt: skip
    ma = '[[strategies]]\nname = "ma"\n'
    scenario = Scenario(1, 1200, 8, 0.08, True, execution + ma, gap_fraction=0.25)
    every, _ = assert_same_run(tmp_path, scenario)
    details = {e.detail for e in every["order_events"]}
    assert {"stop-limit triggered without filling", "exit re-priced"} <= details


def test_the_outcomes_counted_in_the_database_are_those_of_the_stored_decisions(
    db_url: str, tmp_path: Path
) -> None:
    from bot.app.reporting import build_report

    risk = toml_of(
        {"risk": {"daily_loss_limit": "0.01", "max_drawdown": "0.04", "max_asset_fraction": "0.1"}}
    )
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\ndatabase_url = "{db_url}"\n'
        '[market]\nsymbols = ["BTC/USDT", "ETH/USDT"]\n' + risk + '[[strategies]]\nname = "ma"\n'
    )
    market = market_of(Scenario(2, 2500, 5, 0.08, False, ""))
    app = build_app(load_settings(config, env={}), market=market, backtest=True)
    event_replay(app, market).run_to_end()
    counted = finish_app(app, "completed", decisions=False)
    loaded = build_report(app.store, app.run_id)
    app.store.close()
    assert counted.decisions == [] and len(loaded.decisions) > 100
    assert counted.outcomes == loaded.outcomes
    assert loaded.outcomes.denied and loaded.outcomes.resized and loaded.outcomes.approved
