"""Defects 2 and 3: orders whose answer never came, or came broken, against a venue that executes requests
late and keeps a client order id unique only among open orders (Binance's documented behaviour).

An unknown outcome is settled as "not placed" only once the request can no longer execute (its
``recvWindow`` passed), so a late order is found, not doubled; a venue order the bot cannot account for
stops new entries; a stop the venue lacks is placed again at once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest
from structlog.testing import capture_logs

from bot.domain import OrderPurpose, OrderStatus, TradingState, TradingStatus
from tests.exchange.live import last_close, live_settings, monitor_until, sends_of, start
from tests.fake_exchange.fixture import FakeExchange

ORDERS = "/api/v3/order"


@pytest.fixture
def impatient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client gives up after 1 s; requests older than 1 s are refused at the matching engine."""
    monkeypatch.setenv("SPOTBOT_EXCHANGE__TIMEOUT_MS", "1000")
    monkeypatch.setenv("SPOTBOT_EXCHANGE__RECV_WINDOW_MS", "1000")


def entry_of(app: object) -> str:
    [entry] = [o for o in app.store.orders() if o.purpose is OrderPurpose.ENTRY]  # type: ignore[attr-defined]
    return str(entry.client_order_id)


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client gives up after 1 s; a held request stays valid for a minute (it can still execute)."""
    monkeypatch.setenv("SPOTBOT_EXCHANGE__TIMEOUT_MS", "1000")
    monkeypatch.setenv("SPOTBOT_EXCHANGE__RECV_WINDOW_MS", "60000")


def start_with_a_late_entry(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, str]:
    """A live bot whose first entry request is held on its way to the matching engine (the client gave
    up on it: UNKNOWN); the entry's client id."""
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    fake_exchange.fail("POST", ORDERS, "hold")  # it reaches the matching engine when released
    app.engine.tick(last_close())
    return app, entry_of(app)


def test_an_entry_that_executes_after_the_client_gave_up_is_found_and_never_sent_twice(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, patient: None
) -> None:
    app, cid = start_with_a_late_entry(tmp_path, db_url, fake_exchange, monkeypatch)
    assert app.store.get_order(cid).status is OrderStatus.UNKNOWN  # type: ignore[union-attr]
    app.engine.monitor()  # looked up: "no such order", which is not final while the request may execute
    assert fake_exchange.orders_by_client_id(cid) == [] and sends_of(fake_exchange, cid) == 1, "not re-sent"
    fake_exchange.release()  # the request executes, after the client gave up on it

    monitor_until(app, lambda: app.engine.status.open_positions == 1, "fill of the late entry")

    assert len(fake_exchange.orders_by_client_id(cid)) == 1 and sends_of(fake_exchange, cid) == 1
    assert app.store.get_order(cid).status is OrderStatus.FILLED  # type: ignore[union-attr]
    stops = [o for o in fake_exchange.state()["orders"] if o["type"] == "STOP_LOSS_LIMIT"]
    assert [o["status"] for o in stops] == ["NEW"], "and it got its stop"
    assert app.engine.status.trading_state == "active"


def test_an_order_request_too_old_for_its_recv_window_is_sent_again_under_the_same_id_once_it_is_dead(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, impatient: None
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    fake_exchange.fail("POST", ORDERS, "hold")
    app.engine.tick(last_close())
    cid = entry_of(app)

    monitor_until(app, lambda: app.engine.status.open_positions == 1, "the entry, sent again")
    fake_exchange.release()  # the first request reaches the matching engine now: too old, refused
    monitor_until(app, lambda: fake_exchange.requests(ORDERS, "POST")["in_flight"] == 0, "the refusal")

    assert sends_of(fake_exchange, cid) == 2 and len(fake_exchange.orders_by_client_id(cid)) == 1


def test_a_second_venue_order_under_one_client_id_stops_new_entries(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    cid = entry_of(app)
    # What the bot did before this fix: the first order filled, the same client id was sent again, and
    # Binance took it (an id is unique only among open orders).
    other = ccxt.binance(fake_exchange.ccxt_config())
    other.create_order("BTC/USDT", "limit", "buy", 0.001, 60_500, {"clientOrderId": cid})
    with capture_logs() as logs:
        app.engine.monitor()

    assert app.engine.status.trading_state == "reducing"
    latest = app.store.latest_trading_state("onfake")
    assert latest is not None and latest.reason == "duplicate_venue_order"
    assert [e for e in logs if e["event"] == "duplicate_venue_order" and e["log_level"] == "critical"]
    venue_trades = {str(t["id"]) for t in fake_exchange.state()["trades"]}
    assert {f.trade_id for f in app.store.fills()} == venue_trades, "every fill is kept, the second too"


def test_a_resting_second_venue_order_under_a_booked_client_id_is_not_booked_over_the_first(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    cid = entry_of(app)
    booked = app.store.get_order(cid)
    other = ccxt.binance(fake_exchange.ccxt_config())
    other.create_order("BTC/USDT", "limit", "buy", 0.001, 59_000, {"clientOrderId": cid})  # rests, open
    app.engine.monitor()

    assert app.engine.status.trading_state == "reducing"
    assert app.store.get_order(cid) == booked, "the first venue order stays booked, FILLED"
    app.daemon.reconcile_now()  # type: ignore[union-attr]
    latest = app.store.latest_trading_state("onfake")
    assert latest is not None and latest.reason in ("duplicate_venue_order", "reconcile_duplicate_client_id")
    assert app.store.get_order(cid) == booked


def test_an_open_order_under_our_prefix_that_the_db_lacks_stops_new_entries(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    stranger = "sb" + "ab" * 12 + "n0"  # another daemon on the same account, with another audit DB
    ccxt.binance(fake_exchange.ccxt_config()).create_order(
        "BTC/USDT", "limit", "buy", 0.001, 50_000, {"clientOrderId": stranger}
    )
    app.daemon.reconcile_now()  # type: ignore[union-attr]
    app.engine.monitor()
    assert app.engine.status.trading_state == "reducing"
    latest = app.store.latest_trading_state("onfake")
    assert latest is not None and latest.reason == "reconcile_unknown_venue_orders"


@pytest.mark.parametrize(
    ("fault", "sends"),
    [
        pytest.param({"kind": "raw", "body": "<html>502</html>"}, 2, id="broken-answer-not-placed"),
        pytest.param({"kind": "truncate", "keep": 40}, 1, id="truncated-answer-placed"),
    ],
)
def test_a_stop_whose_answer_cannot_be_read_ends_placed_exactly_once(
    tmp_path: Path,
    db_url: str,
    fake_exchange: FakeExchange,
    monkeypatch: pytest.MonkeyPatch,
    impatient: None,
    fault: dict[str, object],
    sends: int,
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    fake_exchange.fail("POST", ORDERS, where={"type": "STOP_LOSS_LIMIT"}, **fault)  # type: ignore[arg-type]
    app.engine.tick(last_close())
    [stop] = [o for o in app.store.orders() if o.purpose is OrderPurpose.STOP]
    history = [e.status for e in app.store.order_events(stop.client_order_id)]
    assert OrderStatus.UNKNOWN in history, "an unreadable answer is no acknowledgement"

    def protected() -> bool:
        return [o["status"] for o in fake_exchange.orders_by_client_id(stop.client_order_id)] == ["NEW"]

    monitor_until(app, protected, "the stop working at the venue")
    assert sends_of(fake_exchange, stop.client_order_id) == sends
    assert app.store.get_order(stop.client_order_id).status is OrderStatus.OPEN  # type: ignore[union-attr]


def test_a_stop_the_venue_no_longer_has_is_replaced_at_once_with_an_alert(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, impatient: None
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    [lost] = [o for o in app.store.orders() if o.purpose is OrderPurpose.STOP]
    fake_exchange.forget(lost.client_order_id)  # the venue lost it: look-ups answer -2013

    with capture_logs() as logs:
        monitor_until(app, lambda: len(working_stops(fake_exchange)) == 1, "a new stop at the venue")

    assert app.store.get_order(lost.client_order_id).status is OrderStatus.EXPIRED  # type: ignore[union-attr]
    [new] = working_stops(fake_exchange)
    assert new["clientOrderId"] != lost.client_order_id, "a new attempt id"
    held = Decimal(fake_exchange.state()["balances"]["BTC"]["free"]) + Decimal(new["origQty"])
    assert Decimal(new["origQty"]) == lost.quantity and held > 0
    alerts = [e for e in logs if e["event"] == "order_missing_at_venue"]
    assert alerts and alerts[0]["log_level"] == "critical" and alerts[0]["purpose"] == "stop"


def working_stops(fake: FakeExchange) -> list[dict[str, str]]:
    return [o for o in fake.state()["orders"] if o["type"] == "STOP_LOSS_LIMIT" and o["status"] == "NEW"]


def halt(app: object, *, flatten: bool = False) -> None:
    """The kill switch, as ``spotbot halt`` records it; the daemon applies it on its next monitor."""
    status = TradingStatus(TradingState.HALTED, "kill_switch", datetime.now(tz=UTC))
    store = app.store  # type: ignore[attr-defined]
    store.record_trading_state("onfake", app.engine.run_id, status, "test", flatten=flatten)  # type: ignore[attr-defined]


def test_a_halt_withdraws_an_entry_whose_request_was_lost_and_never_sends_it_again(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, impatient: None
) -> None:
    app, cid = start_with_a_late_entry(tmp_path, db_url, fake_exchange, monkeypatch)  # too late to execute
    halt(app)

    monitor_until(app, lambda: app.store.get_order(cid).status.is_terminal, "the entry settled")  # type: ignore[union-attr]
    fake_exchange.release()  # the request reaches the matching engine now: too old, refused
    monitor_until(app, lambda: fake_exchange.requests(ORDERS, "POST")["in_flight"] == 0, "the refusal")

    assert sends_of(fake_exchange, cid) == 1 and fake_exchange.orders_by_client_id(cid) == []
    assert app.store.get_order(cid).status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert app.engine.status.open_positions == 0 and app.engine.status.trading_state == "halted"


def test_a_halt_cancels_an_entry_whose_late_request_reached_the_venue_after_all(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, patient: None
) -> None:
    app, cid = start_with_a_late_entry(tmp_path, db_url, fake_exchange, monkeypatch)
    halt(app)
    app.engine.monitor()  # withdrawn: "no such order" is not final yet, and it is not sent again
    fake_exchange.set_price("BTCUSDT", "61000")  # the entry's limit no longer fills at once
    fake_exchange.release()  # it rests at the venue now

    monitor_until(app, lambda: app.store.get_order(cid).status.is_terminal, "the entry settled")  # type: ignore[union-attr]

    assert [o["status"] for o in fake_exchange.orders_by_client_id(cid)] == ["CANCELED"]
    assert sends_of(fake_exchange, cid) == 1
    assert app.store.get_order(cid).status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert app.engine.status.open_positions == 0


def test_a_flatten_withdraws_a_stop_whose_request_was_lost_instead_of_sending_it_again(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, impatient: None
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    fake_exchange.fail("POST", ORDERS, "hold", where={"type": "STOP_LOSS_LIMIT"})
    app.engine.tick(last_close())  # the entry fills; the stop's request is late
    [stop] = [o for o in app.store.orders() if o.purpose is OrderPurpose.STOP]
    assert stop.status is OrderStatus.UNKNOWN
    time.sleep(2.5)  # past the stop's outcome deadline (recvWindow 1 s + 1.25 s): "not found" is final
    halt(app, flatten=True)  # the flatten cancels the stop before any look-up could send it again

    monitor_until(app, lambda: app.engine.status.open_positions == 0, "the position flattened")
    fake_exchange.release()  # the stop's request reaches the matching engine now: too old, refused
    monitor_until(app, lambda: fake_exchange.requests(ORDERS, "POST")["in_flight"] == 0, "the refusal")

    assert sends_of(fake_exchange, stop.client_order_id) == 1
    assert fake_exchange.orders_by_client_id(stop.client_order_id) == []
    assert app.store.get_order(stop.client_order_id).status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert Decimal(fake_exchange.state()["balances"].get("BTC", {}).get("free", "0")) < Decimal("0.001")


def test_a_flatten_whose_stop_cannot_be_cancelled_yet_exits_once_the_venue_answers_again(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start(live_settings(tmp_path, db_url, fake_exchange, monkeypatch))
    app.engine.tick(last_close())
    assert app.engine.status.open_positions == 1 and len(working_stops(fake_exchange)) == 1
    fake_exchange.fail("DELETE", ORDERS, "status", times=3, status=503)  # the venue is overloaded
    halt(app, flatten=True)

    app.engine.monitor()  # the stop stays: the exit waits for it, it is not dropped
    assert app.engine.status.open_positions == 1
    monitor_until(app, lambda: app.engine.status.open_positions == 0, "the position flattened")

    assert working_stops(fake_exchange) == []
    assert Decimal(fake_exchange.state()["balances"].get("BTC", {}).get("free", "0")) < Decimal("0.001")
    assert app.engine.status.trading_state == "halted"


def test_a_periodic_reconciliation_leaves_a_late_entry_to_its_deadline_and_the_bot_follows_it(
    tmp_path: Path, db_url: str, fake_exchange: FakeExchange, monkeypatch: pytest.MonkeyPatch, patient: None
) -> None:
    app, cid = start_with_a_late_entry(tmp_path, db_url, fake_exchange, monkeypatch)

    app.daemon.reconcile_now()  # type: ignore[union-attr]  # inside the request's recvWindow: not final
    assert app.store.get_order(cid).status is OrderStatus.UNKNOWN  # type: ignore[union-attr]
    fake_exchange.release()  # the request executes, after the client gave up on it
    monitor_until(app, lambda: app.engine.status.open_positions == 1, "the late entry's fill")

    assert app.store.get_order(cid).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert OrderStatus.EXPIRED not in [e.status for e in app.store.order_events(cid)]
    assert len(working_stops(fake_exchange)) == 1, "and it got its stop"
