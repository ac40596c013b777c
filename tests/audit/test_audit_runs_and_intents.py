"""Runs, intents with their risk chain, and equity snapshots are stored and read back as recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.adapters.audit import RunRecord, SqlAuditStore, UnknownRecordError
from bot.core.ports import RunInfo
from bot.domain import EquitySnapshot, OrderIntent, RiskDecision, Verdict

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_started_and_finished_run_is_read_back_as_a_record(
    store: SqlAuditStore, run_info: Callable[..., RunInfo]
) -> None:
    info = run_info(config={"risk": {"per_trade": Decimal("0.01")}, "symbols": ["BTC/USDT"]})
    run_id = store.start_run(info)
    assert store.runs()[0].status == "running"

    store.finish_run(run_id, at(90), "stopped")

    assert store.runs() == [
        RunRecord(
            id=run_id,
            started_at=T0,
            stopped_at=at(90),
            status="stopped",
            mode="paper",
            venue="binance",
            version="0.1.0",
            config_hash="abc123",
            config={"risk": {"per_trade": "0.01"}, "symbols": ["BTC/USDT"]},  # Decimals stored as text
            bot_name="spotbot",
            kind="daemon",
        )
    ]


def test_finishing_an_unknown_run_raises(store: SqlAuditStore) -> None:
    with pytest.raises(UnknownRecordError, match="42"):
        store.finish_run(42, at(1), "stopped")


def test_latest_run_id_is_none_on_an_empty_database_then_the_newest_run(
    store: SqlAuditStore, run_info: Callable[..., RunInfo]
) -> None:
    assert store.latest_run_id() is None
    first = store.start_run(run_info())
    second = store.start_run(run_info())

    assert second > first
    assert store.latest_run_id() == second


def test_intents_with_decisions_are_stored_and_read_back_in_chain_order(
    store: SqlAuditStore,
    run_id: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
) -> None:
    intent = new_intent("i1", quantity=Decimal("0.3"))
    chain = [
        new_decision("i1", "zeta_stop_required"),
        new_decision("i1", "alpha_position_sizer", verdict=Verdict.RESIZED, quantity_after=Decimal("0.3")),
        new_decision("i1", "mid_exposure_cap", detail="exposure 0.4 < cap 1.0"),
    ]

    assert store.record_intent(run_id, intent, chain) is True

    assert store.intents(run_id) == [intent]
    assert store.decisions(run_id) == chain


def test_recording_an_existing_intent_returns_false_and_writes_nothing(
    store: SqlAuditStore,
    run_id: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
) -> None:
    store.record_intent(run_id, new_intent("i1"), [new_decision("i1", "a")])

    again = store.record_intent(run_id, new_intent("i1", reason="restart"), [new_decision("i1", "b")])

    assert again is False
    assert [i.reason for i in store.intents()] == ["fast sma crossed above slow"]
    assert [d.guard for d in store.decisions()] == ["a"]


def test_decisions_are_ordered_by_intent_time_then_chain_position(
    store: SqlAuditStore,
    run_id: int,
    run_info: Callable[..., RunInfo],
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
) -> None:
    other_run = store.start_run(run_info())
    store.record_intent(run_id, new_intent("late", created_at=at(5)), [new_decision("late", g) for g in "xy"])
    store.record_intent(
        run_id, new_intent("early", created_at=at(1)), [new_decision("early", g) for g in "ba"]
    )
    store.record_intent(other_run, new_intent("other", created_at=at(3)), [new_decision("other", "o")])

    assert [(d.intent_id, d.guard) for d in store.decisions(run_id)] == [
        ("early", "b"),
        ("early", "a"),
        ("late", "x"),
        ("late", "y"),
    ]
    assert [d.guard for d in store.decisions()] == ["b", "a", "o", "x", "y"]
    assert [i.intent_id for i in store.intents(run_id)] == ["early", "late"]


def test_a_denied_intent_is_data_with_its_reason(
    store: SqlAuditStore,
    run_id: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
) -> None:
    denial = new_decision(
        "i1", "daily_loss_breaker", verdict=Verdict.DENIED, reason="halted", quantity_after=None
    )
    store.record_intent(run_id, new_intent("i1", stop_price=None, limit_price=None), [denial])

    assert store.decisions(run_id) == [denial]


def test_decisions_for_another_intent_are_refused(
    store: SqlAuditStore,
    run_id: int,
    new_intent: Callable[..., OrderIntent],
    new_decision: Callable[..., RiskDecision],
) -> None:
    with pytest.raises(ValueError, match="i2"):
        store.record_intent(run_id, new_intent("i1"), [new_decision("i2", "a")])
    assert store.intents() == []


def test_equity_snapshots_round_trip_per_run_in_time_order(
    store: SqlAuditStore,
    run_id: int,
    run_info: Callable[..., RunInfo],
    new_snapshot: Callable[..., EquitySnapshot],
) -> None:
    other_run = store.start_run(run_info())
    later = new_snapshot(taken_at=at(10), equity=Decimal("9800.123456789012345678"))
    earlier = new_snapshot(taken_at=at(5))
    store.record_equity(run_id, later)
    store.record_equity(run_id, earlier)
    store.record_equity(other_run, new_snapshot(taken_at=at(7)))

    assert store.equity_snapshots(run_id) == [earlier, later]
    assert len(store.equity_snapshots()) == 3
