"""Defect 6: an answer that cannot be read on a read (balance, open orders, trades) used to escape the
adapter as an AttributeError and fail the whole tick. It is the venue being unavailable: the tick is
skipped, said once, and the bot goes on when the answers are whole again."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from tests.exchange.live import last_close, live_settings, start
from tests.fake_exchange.fixture import FakeExchange

TRUNCATED = {"kind": "truncate", "keep": 20}
HTML = {"kind": "raw", "body": "<html>gateway</html>"}


@pytest.mark.parametrize(
    ("path", "fault"),
    [("/api/v3/account", TRUNCATED), ("/api/v3/openOrders", HTML), ("/api/v3/myTrades", TRUNCATED)],
    ids=["balance-truncated", "open-orders-html", "trades-truncated"],
)  # each read meets each kind of broken body in tests/exchange/test_ccxt_venue_answers.py
def test_a_read_the_bot_cannot_parse_skips_the_tick_quietly_and_trading_goes_on(
    tmp_path: Path,
    db_url: str,
    fake_exchange: FakeExchange,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    fault: dict[str, object],
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    orders_before = fake_exchange.state()["orders"]
    fake_exchange.fail("GET", path, times=20, **fault)  # type: ignore[arg-type]
    with capture_logs() as logs:
        app.engine.monitor()  # no exception escapes: the daemon's job would have failed on AttributeError
        app.engine.monitor()
    assert app.engine.status.exchange_ok is False
    assert len([e for e in logs if e["event"] == "exchange_unavailable"]) == 1, "said once, not per tick"
    assert fake_exchange.state()["orders"] == orders_before, "nothing decided on what could not be read"

    fake_exchange.reset_faults()
    app.engine.monitor()
    assert app.engine.status.exchange_ok is True and app.engine.status.open_positions == 1
