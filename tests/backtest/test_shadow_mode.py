"""Shadow mode catches a planner that skips a close where the engine would act: the skipping backtest
alone would only be silently wrong (fewer trades), the shadow run fails and names the close."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app.backtest.event_replay import ShadowMismatch, event_replay
from bot.app.backtest.events import EventPlanner
from bot.app.bootstrap import build_app, finish_app
from bot.app.settings import load_settings
from tests.backtest.test_event_parity import Scenario, market_of

SCENARIO = Scenario(1, 1500, 11, 0.03, False, '[[strategies]]\nname = "ma"\n')


def replay(tmp_path: Path, *, shadow: bool) -> tuple[Any, Any]:
    config = tmp_path / "bot.toml"
    config.write_text(f'[bot]\nname = "shadow"\ndata_dir = "{tmp_path}"\n[market]\nsymbols = ["BTC/USDT"]\n'
                      + SCENARIO.toml)  # fmt: skip
    market = market_of(SCENARIO)
    app = build_app(load_settings(config, env={}), market=market, backtest=True)
    run = event_replay(app, market, shadow=shadow)
    run.run_to_end()
    return run, finish_app(app, "completed")


def blind_after(first: int) -> Any:
    """A planner that, after close ``first``, wakes only at the last close: it misses what happens."""
    honest = EventPlanner.next_wake

    def next_wake(self: EventPlanner, index: int, watch: Any, has_unreported: bool) -> Any:
        if index < first:
            return honest(self, index, watch, has_unreported)
        last = len(self.timeline) - 1
        return (None, []) if index >= last else (last, [])

    return next_wake


def test_the_honest_planner_passes_in_shadow_mode_and_trades(tmp_path: Path) -> None:
    run, report = replay(tmp_path, shadow=True)
    assert run.error is None and run.shadow_ticks > run.ticks > 0
    assert len(report.trades) >= 3


def test_a_planner_that_skips_a_close_the_engine_acts_at_fails_in_shadow_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EventPlanner, "next_wake", blind_after(300))
    (tmp_path / "plain").mkdir()
    (tmp_path / "shadow").mkdir()

    plain, _ = replay(tmp_path / "plain", shadow=False)
    shadowed, _ = replay(tmp_path / "shadow", shadow=True)

    assert plain.error is None, "without the shadow the skipping run is only silently wrong"
    assert isinstance(shadowed.error, ShadowMismatch)
    assert "a close the event planner skipped" in str(shadowed.error)
