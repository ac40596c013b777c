"""Defect 4: the venue refuses the API key mid-run (Binance -2015: a revoked key, a changed IP whitelist,
or a temporary ban), which ccxt reports as a rate limit once a first call succeeded. New entries stop at
once with one critical line; the bot halts if it lasts; it trades again if the venue takes the key back.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from tests.exchange.live import last_close, live_settings, monitor_until, start
from tests.fake_exchange.fixture import FakeExchange


def states(app: object, bot: str = "onfake") -> list[tuple[str, str]]:
    events = app.store.trading_state_events(bot)  # type: ignore[attr-defined]
    return [(e.state.value, e.reason) for e in events]


def test_a_refused_key_stops_new_entries_at_once_and_lifts_when_the_venue_takes_it_back(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTBOT_EXCHANGE__KEY_REFUSED_HALT_AFTER", "12s")  # the client retries after 3 s
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())  # a first signed call succeeds: ccxt now calls -2015 a DDoS ban
    fake_exchange.refuse_key()
    with capture_logs() as logs:
        app.engine.monitor()
        app.engine.monitor()

    assert app.engine.status.trading_state == "reducing"
    assert [e for e in logs if e["event"] == "exchange_key_refused" and e["log_level"] == "critical"] != []
    assert (
        len([e for e in logs if e["event"] == "exchange_key_refused" and e["log_level"] == "critical"]) == 1
    )
    fake_exchange.accept_key()
    monitor_until(app, lambda: app.engine.status.trading_state == "active", "trading again")
    assert states(app)[-2:] == [("reducing", "exchange_key_refused"), ("active", "exchange_key_refused_over")]


def test_a_key_refused_for_longer_than_allowed_halts_the_bot_once(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTBOT_EXCHANGE__KEY_REFUSED_HALT_AFTER", "2s")
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    fake_exchange.refuse_key()
    refused_at = time.monotonic()
    monitor_until(app, lambda: app.engine.status.trading_state == "halted", "a halt", limit_s=60)

    assert time.monotonic() - refused_at >= 2, "not before the allowed time"
    assert states(app)[-2:] == [("reducing", "exchange_key_refused"), ("halted", "fatal_exchange_error")]
    fake_exchange.accept_key()
    monitor_until(app, lambda: app.engine.status.exchange_ok, "the venue answering")
    assert app.engine.status.trading_state == "halted", "a halt needs a human: spotbot resume"
    entries = [o for o in fake_exchange.state()["orders"] if o["type"] == "LIMIT" and o["side"] == "BUY"]
    assert len(entries) == 1, "no new entry was sent after the refusal"
