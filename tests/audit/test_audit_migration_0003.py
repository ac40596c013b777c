"""Migration 0003 (live venue records): old runs learn their bot name; downgrading keeps the runs."""

from __future__ import annotations

from decimal import Decimal

from alembic import command

from bot.adapters.audit import SqlAuditStore, current_revision, make_engine, upgrade
from bot.adapters.audit.migrate import alembic_config
from bot.domain import EquitySnapshot
from tests.audit.conftest import T0, VENUE, insert_legacy_run


def test_runs_stored_before_0003_get_the_bot_name_of_their_stored_config(db_url: str) -> None:
    upgrade(db_url, "0002")
    named = insert_legacy_run(db_url, {"bot": {"name": "spotbot-live"}, "market": {}})
    unnamed = insert_legacy_run(db_url, {"market": {}})

    upgrade(db_url)

    with SqlAuditStore(db_url, venue=VENUE) as store:
        by_id = {run.id: run for run in store.runs()}
    assert (by_id[named].bot_name, by_id[unnamed].bot_name) == ("spotbot-live", None)
    assert by_id[named].kind is None, "whether an old run was a daemon is not known"


def test_downgrading_0003_keeps_runs_and_snapshots(db_url: str) -> None:
    upgrade(db_url)
    with SqlAuditStore(db_url, venue=VENUE) as store:
        run_id = insert_legacy_run(db_url, {"bot": {"name": "spotbot"}})
        one, zero = Decimal(1), Decimal(0)
        store.record_equity(run_id, EquitySnapshot(T0, one, one, zero, one, {"BTC/USDT": one}))
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0002")
        assert current_revision(engine) == "0002"
        upgrade(engine)
        with SqlAuditStore(engine, venue=VENUE) as store:
            assert [run.id for run in store.runs()] == [run_id]
            assert [s.marks for s in store.equity_snapshots(run_id)] == [{}], "the marks went with 0003"
    finally:
        engine.dispose()
