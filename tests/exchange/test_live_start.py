"""Defects 5, 11 and 12: how a live start meets the account. ``spotbot run --live`` is run for real against
the fake Binance: a refused key or secret is one line and exit 3 (never a traceback, never a run left
``running``); a key that can withdraw is refused unless allowed by name; coins the user keeps are left alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.adapters.audit import SqlAuditStore
from tests.exchange.live import config, last_close, live_settings, prepare, start
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange

ROOT = Path(__file__).resolve().parents[2]


def spotbot_live(path: Path, **env: str) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "SPOTBOT_EXCHANGE__API_KEY": API_KEY,
        "SPOTBOT_EXCHANGE__API_SECRET": API_SECRET,
        "SPOTBOT_EXECUTION__STOP_ORDER": "stop_limit",
        **env,
    }
    command = [sys.executable, "-m", "bot", "run", "--config", str(path), "--live", "--log-format", "json"]
    return subprocess.Popen(command, cwd=ROOT, env=environment, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def refused(proc: subprocess.Popen[str]) -> str:
    """The start ended by itself with exit 3 and one ``error:`` line on stderr; that line."""
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3, stderr[-3000:]
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def live_config(tmp_path: Path, db_url: str, fake: FakeExchange) -> Path:
    prepare(fake)
    return config(tmp_path, db_url, fake.url, mode="live")


def test_a_wrong_secret_at_start_is_one_line_exit_3_a_failed_run_and_a_halt(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange
) -> None:
    wrong = "a-secret-that-signs-nothing-right"
    line = refused(
        spotbot_live(live_config(tmp_path, db_url, fake_exchange), SPOTBOT_EXCHANGE__API_SECRET=wrong)
    )

    assert "refused the API credentials" in line and "-1022" in line and "API secret" in line
    assert wrong not in line
    with SqlAuditStore(db_url, venue="binance") as store:
        assert [run.status for run in store.runs()] == ["failed"]
        latest = store.latest_trading_state("onfake")
    assert latest is not None and (latest.state.value, latest.reason) == ("halted", "fatal_exchange_error")


def test_a_key_the_venue_does_not_know_is_exit_3_without_a_halt(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange
) -> None:
    path = live_config(tmp_path, db_url, fake_exchange)
    line = refused(spotbot_live(path, SPOTBOT_EXCHANGE__API_KEY="a-key-the-venue-never-issued"))

    assert "refused the API key (-2015" in line
    with SqlAuditStore(db_url, venue="binance") as store:
        assert [run.status for run in store.runs()] == ["failed"]
        assert store.latest_trading_state("onfake") is None, "-2015 may be a ban that lifts: no halt"


def test_a_key_that_may_withdraw_is_refused_unless_allowed_by_name(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange
) -> None:
    fake_exchange.set_key_permissions(enableWithdrawals=True, enableFutures=True)
    path = live_config(tmp_path, db_url, fake_exchange)
    line = refused(spotbot_live(path))
    assert "futures, withdrawals" in line and "exchange.allow_key_permissions" in line
    assert fake_exchange.log(path="/api/v3/order") == [], "nothing was traded with it"

    allowed = '["withdrawals", "futures"]'
    proc = spotbot_live(path, SPOTBOT_EXCHANGE__ALLOW_KEY_PERMISSIONS=allowed)
    events = wait_for_event(proc, "daemon_started")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    checked = next(e for e in events if e["event"] == "api_key_checked")
    assert checked["allowed"] == ["futures", "withdrawals"] and checked["ip_restricted"] is False
    assert any(e["event"] == "api_key_not_ip_restricted" for e in events), "the missing IP limit is said"


def wait_for_event(proc: subprocess.Popen[str], name: str, limit_s: float = 120) -> list[dict[str, object]]:
    """JSON log lines of ``proc`` up to the one named ``name`` (the daemon runs on after it)."""
    assert proc.stdout is not None
    events: list[dict[str, object]] = []
    deadline = time.monotonic() + limit_s
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == name:
            return events
        if time.monotonic() > deadline:
            break
    proc.kill()
    pytest.fail(f"no {name} event: {proc.communicate()[1][-3000:]}")


@pytest.mark.parametrize("left_alone", ['{"BTC": "0.5"}', '{"BTC": "all"}'])
def test_coins_kept_in_the_account_are_left_alone_instead_of_stopping_entries(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, left_alone: str
) -> None:
    fake_exchange.set_balance("BTC", "0.5")  # the user's long-term holding
    unaware = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    assert state_of(unaware) == ("reducing", "reconcile_venue_excess"), "unexplained coins: exits only"
    unaware.store.record_trading_state("onfake", None, resumed(), "cli:test")

    monkeypatch.setenv("SPOTBOT_EXCHANGE__LEAVE_ALONE", left_alone)
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    assert state_of(app)[0] == "active"
    app.engine.tick(last_close())
    assert app.engine.status.open_positions == 1, "it trades beside them"
    balance = fake_exchange.state()["balances"]["BTC"]
    held_by_venue = sum(float(balance[k]) for k in ("free", "locked"))
    assert held_by_venue > 0.5, "and never sold what was kept"


def state_of(app: object) -> tuple[str, str]:
    latest = app.store.latest_trading_state("onfake")  # type: ignore[attr-defined]
    assert latest is not None
    return latest.state.value, latest.reason


def resumed() -> object:
    from datetime import UTC, datetime

    from bot.domain import TradingState, TradingStatus

    return TradingStatus(TradingState.ACTIVE, "resumed", datetime.now(UTC))
