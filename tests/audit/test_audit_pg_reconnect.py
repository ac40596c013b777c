"""A dropped PostgreSQL connection costs nothing: the store reconnects, loses nothing, repeats nothing.

Connections are dropped for real: by ``pg_terminate_backend`` (the server ends the store's process, as
an administrator, a failover or a crash would), and by a TCP proxy that cuts a connection around its
COMMIT (:mod:`tests.audit.pg_proxy`), which is when the write's outcome is unknown to the client.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text

from bot.adapters.audit import SqlAuditStore, upgrade
from bot.adapters.audit.errors import AuditDbUnavailable
from bot.adapters.audit.transactions import RetryPolicy
from bot.core.ports import RunInfo
from bot.domain import (
    EquitySnapshot,
    Fill,
    Order,
    OrderEvent,
    OrderIntent,
    OrderStatus,
    RiskDecision,
    TradingState,
    TradingStatus,
)
from tests.pg_faults import PgProxy, terminate

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
VENUE = "binance"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


FAST = RetryPolicy(attempts=5, first_wait=0.01, max_wait=0.1)


@pytest.fixture
def pg_url(pg_db_url: str) -> str:
    """A migrated PostgreSQL schema (a dropped connection is a server's matter; SQLite is a local file)."""
    upgrade(pg_db_url)
    return pg_db_url


@pytest.fixture
def admin(pg_url: str) -> Iterator[Engine]:
    engine = create_engine(make_url(pg_url).set(query={}), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def app_name() -> str:
    """The store's ``application_name``: how the test finds its connections on a shared server."""
    return f"spotbot-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg_store(pg_url: str, app_name: str) -> Iterator[SqlAuditStore]:
    url = make_url(pg_url).update_query_dict({"application_name": app_name})
    with SqlAuditStore(url, venue=VENUE, retry=FAST) as store:
        yield store


@pytest.fixture
def proxy(pg_url: str) -> Iterator[PgProxy]:
    url = make_url(pg_url)
    running = PgProxy((url.host or "127.0.0.1", url.port or 5432))
    yield running
    running.close()


@pytest.fixture
def proxied_store(pg_url: str, proxy: PgProxy) -> Iterator[SqlAuditStore]:
    with SqlAuditStore(proxy.url(pg_url), venue=VENUE, retry=FAST) as store:
        yield store


def terminate_on_statement(store: SqlAuditStore, admin: Engine, starts: str) -> list[int]:
    """Arrange for the store's server process to be terminated just before its next statement
    starting with ``starts`` (once); returns the list of pids ended, filled in when it happens."""
    ended: list[int] = []

    def before(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if not ended and statement.lstrip().upper().startswith(starts):
            pid = conn.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            ended.append(pid)

    event.listen(store.engine, "before_cursor_execute", before)
    return ended


def run_info() -> RunInfo:
    return RunInfo(T0, "paper", VENUE, "0.1.0", "abc123", {"symbols": ["BTC/USDT"]})


def test_writes_after_the_servers_processes_were_terminated_succeed_and_nothing_is_lost(
    pg_store: SqlAuditStore,
    admin: Engine,
    app_name: str,
    new_order: Callable[..., Order],
    new_fill: Callable[..., Fill],
) -> None:
    run_id = pg_store.start_run(run_info())
    order = new_order("c1")
    pg_store.save_new_order(run_id, order)
    assert pg_store.record_fill(new_fill("t1")) is True
    assert terminate(admin, app_name) >= 1  # the pooled connection is gone

    filled = dataclasses.replace(order, status=OrderStatus.FILLED, filled_quantity=order.quantity)
    pg_store.record_order_update(filled, OrderEvent("c1", OrderStatus.FILLED, at(2), "filled"))
    assert pg_store.record_fill(new_fill("t2", occurred_at=at(2))) is True
    assert terminate(admin, app_name) >= 1

    assert [f.trade_id for f in pg_store.fills()] == ["t1", "t2"]
    assert [e.status for e in pg_store.order_events("c1")] == [OrderStatus.PENDING, OrderStatus.FILLED]
    assert [r.id for r in pg_store.runs()] == [run_id]


def test_a_server_process_terminated_mid_write_is_retried_on_a_new_connection_and_stored_once(
    pg_store: SqlAuditStore, admin: Engine, new_fill: Callable[..., Fill]
) -> None:
    ended = terminate_on_statement(pg_store, admin, "INSERT INTO FILLS")

    assert pg_store.record_fill(new_fill("t1")) is True

    assert len(ended) == 1
    assert [f.trade_id for f in pg_store.fills()] == ["t1"]
    assert pg_store.record_fill(new_fill("t1")) is False  # the venue reporting it again


def test_a_server_process_terminated_mid_read_is_retried(
    pg_store: SqlAuditStore, admin: Engine, new_fill: Callable[..., Fill]
) -> None:
    pg_store.record_fill(new_fill("t1"))
    ended = terminate_on_statement(pg_store, admin, "SELECT FILLS")

    assert [f.trade_id for f in pg_store.fills()] == ["t1"]
    assert len(ended) == 1


def _writes(
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
    new_order: Callable[..., Order],
    new_fill: Callable[..., Fill],
    new_snapshot: Callable[..., EquitySnapshot],
) -> dict[str, tuple[Callable[[SqlAuditStore, int], Any], Callable[[SqlAuditStore, int, Any], None]]]:
    """Each kind of write, with what must hold afterwards if it was stored exactly once."""
    order = new_order("c1")
    filled = dataclasses.replace(order, status=OrderStatus.FILLED, filled_quantity=order.quantity)
    halted = TradingStatus(TradingState.HALTED, "kill_switch", at(3))
    decisions = [new_decision("i1", "a"), new_decision("i1", "b")]

    def check_intent(s: SqlAuditStore, _run: int, result: Any) -> None:
        assert result is True
        assert [d.guard for d in s.decisions()] == ["a", "b"]

    def check_order(s: SqlAuditStore, _run: int, result: Any) -> None:
        assert result is True  # a retried insert that found its own row must still say "new"
        assert [e.status for e in s.order_events("c1")] == [OrderStatus.PENDING]

    def check_update(s: SqlAuditStore, _run: int, _result: Any) -> None:
        assert [e.status for e in s.order_events("c1")] == [OrderStatus.PENDING, OrderStatus.FILLED]

    def check_fill(s: SqlAuditStore, _run: int, result: Any) -> None:
        assert result is True  # else the fill would never reach the positions
        assert [f.trade_id for f in s.fills()] == ["t1"]

    def check_equity(s: SqlAuditStore, _run: int, _result: Any) -> None:
        assert len(s.equity_snapshots()) == 1

    def check_run(s: SqlAuditStore, first: int, result: Any) -> None:
        assert [r.id for r in s.runs()] == [first, result]

    def check_state(s: SqlAuditStore, _run: int, result: Any) -> None:
        assert [e.id for e in s.trading_state_events("bot")] == [result]

    return {
        "intent": (lambda s, r: s.record_intent(r, new_intent("i1"), decisions), check_intent),
        "new order": (lambda s, r: s.save_new_order(r, order), check_order),
        "order update": (
            lambda s, r: s.record_order_update(filled, OrderEvent("c1", OrderStatus.FILLED, at(2), "filled")),
            check_update,
        ),
        "fill": (lambda s, r: s.record_fill(new_fill("t1")), check_fill),
        "equity": (lambda s, r: s.record_equity(r, new_snapshot()), check_equity),
        "run start": (lambda s, r: s.start_run(run_info()), check_run),
        "trading state": (lambda s, r: s.record_trading_state("bot", r, halted, "cli:test"), check_state),
    }


WRITES = ["intent", "new order", "order update", "fill", "equity", "run start", "trading state"]


@pytest.mark.parametrize("cut", ["after", "before"])
@pytest.mark.parametrize("write", WRITES)
def test_a_write_whose_commit_was_cut_off_is_stored_exactly_once(
    proxied_store: SqlAuditStore,
    proxy: PgProxy,
    write: str,
    cut: str,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
    new_order: Callable[..., Order],
    new_fill: Callable[..., Fill],
    new_snapshot: Callable[..., EquitySnapshot],
) -> None:
    """ "after": the server committed and only its answer was lost (not repeated); "before": the COMMIT
    never arrived (run again)."""
    run_id = proxied_store.start_run(run_info())
    if write == "order update":
        proxied_store.save_new_order(run_id, new_order("c1"))
    do, check = _writes(new_intent, new_decision, new_order, new_fill, new_snapshot)[write]

    proxy.cut_at_next_commit(cut)  # type: ignore[arg-type]
    result = do(proxied_store, run_id)

    assert proxy.cuts == 1
    check(proxied_store, run_id, result)


def test_a_commit_the_server_still_holds_leaves_the_outcome_unknown_until_it_lets_go(
    proxied_store: SqlAuditStore, proxy: PgProxy, new_order: Callable[..., Order]
) -> None:
    run_id = proxied_store.start_run(run_info())
    order = new_order("c1")
    proxied_store.save_new_order(run_id, order)
    filled = dataclasses.replace(order, status=OrderStatus.FILLED, filled_quantity=order.quantity)
    event_ = OrderEvent("c1", OrderStatus.FILLED, at(2), "filled")

    proxy.cut_at_next_commit("hold")  # a network cut: the server has not noticed yet
    with pytest.raises(AuditDbUnavailable, match="may or may not be stored"):
        proxied_store.record_order_update(filled, event_)

    proxy.release()  # the server notices: its transaction rolls back
    proxied_store.record_order_update(filled, event_)  # the bot's next attempt
    assert [e.status for e in proxied_store.order_events("c1")] == [OrderStatus.PENDING, OrderStatus.FILLED]


def test_a_server_that_stays_down_fails_as_unavailable_after_bounded_retries(
    proxied_store: SqlAuditStore, proxy: PgProxy, new_fill: Callable[..., Fill]
) -> None:
    assert proxied_store.record_fill(new_fill("t1")) is True
    proxy.close()  # refuses new connections and drops the open ones

    started = time.monotonic()
    with pytest.raises(AuditDbUnavailable) as raised:
        proxied_store.record_fill(new_fill("t2"))

    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"audit DB postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/")
    assert "is unavailable" in message and "running and reachable" in message
    assert "may or may not" not in message  # it never reached the server: certainly not stored


def test_pool_pre_ping_and_retries_keep_a_busy_store_going_through_repeated_terminations(
    pg_store: SqlAuditStore, admin: Engine, app_name: str, new_fill: Callable[..., Fill]
) -> None:
    for n in range(20):
        assert pg_store.record_fill(new_fill(f"t{n}", quantity=Decimal("0.1"))) is True
        if n % 4 == 0:
            terminate(admin, app_name)
    assert [f.trade_id for f in pg_store.fills()] == [f"t{n}" for n in range(20)]
