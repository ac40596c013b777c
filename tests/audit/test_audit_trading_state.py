"""Trading state changes (halt, resume, breakers) are append-only events; the newest per bot is in force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.adapters.audit import (
    SqlAuditStore,
    TradingStateEvent,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from bot.adapters.audit.migrate import alembic_config
from bot.core.ports import RunInfo
from bot.domain import TradingState, TradingStatus
from tests.audit.conftest import T0, VENUE, at, insert_legacy_run


def halted(reason: str = "kill_switch", minutes: float = 1) -> TradingStatus:
    return TradingStatus(TradingState.HALTED, reason, at(minutes))


def active(reason: str = "resumed", minutes: float = 2) -> TradingStatus:
    return TradingStatus(TradingState.ACTIVE, reason, at(minutes))


def test_a_recorded_change_reads_back_with_its_id_actor_and_flatten_flag(
    store: SqlAuditStore, run_id: int
) -> None:
    event_id = store.record_trading_state("bot-a", run_id, halted(), "cli:alice@box", flatten=True)

    assert store.trading_state_events("bot-a") == [
        TradingStateEvent(
            id=event_id,
            bot_name="bot-a",
            run_id=run_id,
            state=TradingState.HALTED,
            reason="kill_switch",
            actor="cli:alice@box",
            flatten=True,
            occurred_at=at(1),
        )
    ]
    assert store.latest_trading_state("bot-a") == store.trading_state_events("bot-a")[0]
    assert store.trading_state_events("bot-a")[0].status == halted()


def test_flatten_defaults_to_false_and_run_id_may_be_unknown(store: SqlAuditStore) -> None:
    store.record_trading_state("bot-a", None, halted(), "engine")

    latest = store.latest_trading_state("bot-a")
    assert latest is not None
    assert (latest.run_id, latest.flatten) == (None, False)


def test_events_come_back_in_recording_order_and_after_id_returns_only_newer_ones(
    store: SqlAuditStore, run_id: int
) -> None:
    first = store.record_trading_state("bot-a", run_id, halted(minutes=5), "cli:alice@box")
    second = store.record_trading_state("bot-a", run_id, active(minutes=5), "cli:alice@box")
    third = store.record_trading_state("bot-a", run_id, halted("max_drawdown", minutes=4), "engine")

    assert first < second < third
    assert [e.id for e in store.trading_state_events("bot-a")] == [first, second, third]
    assert [e.reason for e in store.trading_state_events("bot-a", after_id=first)] == [
        "resumed",
        "max_drawdown",
    ]
    assert store.trading_state_events("bot-a", after_id=third) == []


def test_the_latest_state_is_kept_per_bot(store: SqlAuditStore, run_id: int) -> None:
    store.record_trading_state("bot-a", run_id, halted(), "cli:alice@box")
    store.record_trading_state("bot-b", run_id, halted("daily_loss_limit"), "engine")
    store.record_trading_state("bot-a", run_id, active(), "cli:alice@box")

    latest_a = store.latest_trading_state("bot-a")
    latest_b = store.latest_trading_state("bot-b")
    assert latest_a is not None and latest_a.state is TradingState.ACTIVE
    assert latest_b is not None and (latest_b.state, latest_b.reason) == (
        TradingState.HALTED,
        "daily_loss_limit",
    )
    assert store.latest_trading_state("bot-c") is None
    assert [e.bot_name for e in store.trading_state_events("bot-b")] == ["bot-b"]


def test_the_database_itself_refuses_to_change_or_delete_trading_state_events(
    store: SqlAuditStore, run_id: int
) -> None:
    store.record_trading_state("bot-a", run_id, halted(), "cli:alice@box")

    for statement in (
        "UPDATE trading_state_events SET state = 'active'",
        "DELETE FROM trading_state_events",
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))

    latest = store.latest_trading_state("bot-a")
    assert latest is not None and latest.state is TradingState.HALTED


def test_a_run_id_that_does_not_exist_is_refused(store: SqlAuditStore) -> None:
    with pytest.raises(IntegrityError):
        store.record_trading_state("bot-a", 999, halted(), "engine")
    assert store.trading_state_events("bot-a") == []


def test_upgrading_0001_to_the_head_keeps_the_data_and_adds_the_table(db_url: str) -> None:
    upgrade(db_url, "0001")
    run_id = insert_legacy_run(db_url, {"bot": {"name": "spotbot"}})

    upgrade(db_url)

    assert current_revision(db_url) == head_revision()
    with SqlAuditStore(db_url, venue=VENUE) as store:
        assert [(run.id, run.started_at) for run in store.runs()] == [(run_id, T0)]
        event_id = store.record_trading_state("spotbot", run_id, halted(), "cli:alice@box")
        latest = store.latest_trading_state("spotbot")
        assert latest is not None and latest.id == event_id


def test_downgrading_0002_drops_only_the_trading_state_table(
    db_url: str, run_info: Callable[..., RunInfo]
) -> None:
    upgrade(db_url)
    with SqlAuditStore(db_url, venue=VENUE) as store:
        run_id = store.start_run(run_info())
        store.record_trading_state("spotbot", run_id, halted(), "engine")
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0002")
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0001")
        assert current_revision(engine) == "0001"
        upgrade(engine)
        with SqlAuditStore(engine, venue=VENUE) as store:
            assert [run.id for run in store.runs()] == [run_id]
            assert store.latest_trading_state("spotbot") is None
    finally:
        engine.dispose()


def test_times_are_stored_as_aware_utc(store: SqlAuditStore) -> None:
    store.record_trading_state("bot-a", None, halted(minutes=90), "engine")
    latest = store.latest_trading_state("bot-a")
    assert latest is not None
    assert latest.occurred_at == T0 + timedelta(minutes=90)
    assert latest.occurred_at.utcoffset() == timedelta(0)
