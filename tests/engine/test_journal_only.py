"""The audit DB is the bot's journal: written during a run, read once at start-up to rebuild the order
state, never read by a trading decision (the order state in memory is the one owner). A whole sim
daemon run and a whole backtest run here with a store that records every read after start-up.

One read is not the journal: ``trading_state_events`` is the kill switch's inbox (another process writes
a human's halt into the DB), and a running daemon must read it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import bootstrap
from bot.app.backtest import runner
from bot.app.bootstrap import App, build_app, finish_app
from bot.app.settings import load_settings
from bot.domain import OrderPurpose
from tests.e2e.test_real_candles import real_candles_config

READS = (
    "get_order", "orders", "orders_for_intent", "latest_filled_entry", "fills", "runs", "latest_run_id",
    "intents", "decisions", "intent_outcome_counts", "order_status_counts", "order_events",
    "equity_snapshots", "latest_trading_state",
)  # fmt: skip


def sealable(base: type, reads: list[str]) -> type:
    """``base`` whose reads are recorded in ``reads`` once ``seal()`` was called (``unseal()`` ends it)."""

    def reading(name: str) -> Callable[..., Any]:
        def read(self: Any, *args: Any, **kwargs: Any) -> Any:
            if self.sealed:
                reads.append(name)
            return getattr(base, name)(self, *args, **kwargs)

        return read

    namespace: dict[str, Any] = {name: reading(name) for name in READS}
    namespace["sealed"] = False
    namespace["seal"] = lambda self: setattr(self, "sealed", True)
    namespace["unseal"] = lambda self: setattr(self, "sealed", False)
    return type(f"Sealable{base.__name__}", (base,), namespace)


@pytest.fixture
def journal_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    for name in ("SqlAuditStore", "BatchedAuditStore"):
        monkeypatch.setattr(bootstrap, name, sealable(getattr(bootstrap, name), reads))
    return reads


EVERY_ORDER_PATH = """
[execution]
entry_offset = "0.002"
entry_timeout_candles = 1
max_reprices = 2
on_unfilled = "marketable"
trailing_stop = "0.01"
take_profit_r = "2"
stop_order = "stop_limit"
"""


def config(tmp_path: Path, db_url: str, shared_data: Path) -> Path:
    """Real candles; limit entries that reprice, a trailing stop and take-profits: every order path."""
    return real_candles_config(tmp_path, db_url, shared_data, fast=8, slow=30, extra=EVERY_ORDER_PATH)


def assert_traded_every_way(app: App) -> None:
    orders = app.store.orders(app.run_id)
    purposes = {o.purpose for o in orders}
    assert {OrderPurpose.ENTRY, OrderPurpose.STOP, OrderPurpose.TAKE_PROFIT} <= purposes
    assert any(o.client_order_id.endswith("1") and o.purpose is OrderPurpose.ENTRY for o in orders), (
        "reprices"
    )
    assert sum(1 for o in orders if o.purpose is OrderPurpose.STOP) > 3, "stops trailed"


def test_a_sim_daemon_never_reads_its_journal_after_start_up(
    tmp_path: Path, db_url: str, shared_data: Path, journal_reads: list[str]
) -> None:
    app = build_app(load_settings(config(tmp_path, db_url, shared_data)), max_ticks=3000)
    app.store.seal()  # type: ignore[attr-defined]
    app.replay.run_to_end()
    app.store.unseal()  # type: ignore[attr-defined]

    assert app.replay.error is None
    assert journal_reads == []
    report = finish_app(app, "completed")
    assert len(report.trades) >= 3
    assert_traded_every_way(app)


def test_a_backtest_never_reads_its_journal_after_start_up(
    tmp_path: Path, db_url: str, shared_data: Path, journal_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def sealed_replay(app: App, market: Any) -> Any:
        app.store.seal()  # type: ignore[attr-defined]
        return real_replay(app, market)

    def unsealed_finish(app: App, *args: Any, **kwargs: Any) -> Any:
        app.store.unseal()  # type: ignore[attr-defined]
        return real_finish(app, *args, **kwargs)

    real_replay, real_finish = runner.event_replay, runner.finish_app
    monkeypatch.setattr(runner, "event_replay", sealed_replay)
    monkeypatch.setattr(runner, "finish_app", unsealed_finish)
    settings = load_settings(config(tmp_path, db_url, shared_data))

    result = runner.run_backtest(settings, runner.backtest_market(settings, None, None))

    assert journal_reads == []
    assert len(result.report.trades) >= 3
    assert_traded_every_way(result.app)
