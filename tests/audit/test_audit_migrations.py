"""The schema comes from packaged Alembic migrations, and upgrading is safe on every start."""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.resources import files

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.adapters.audit import SqlAuditStore, current_revision, head_revision, make_engine, upgrade
from bot.adapters.audit.migrate import alembic_config
from bot.adapters.audit.models import Base
from bot.core.ports import RunInfo

AUDIT_TABLES = {
    "runs",
    "intents",
    "risk_decisions",
    "orders",
    "order_events",
    "fills",
    "equity_snapshots",
    "trading_state_events",
    "daemon_leases",
    "trade_excursions",
    "trade_notes",
}
HEAD = "0004"


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_database_has_no_revision(db_url: str) -> None:
    assert current_revision(db_url) is None


def test_migrations_create_all_tables_and_upgrade_twice_is_a_noop(
    db_url: str, run_info: Callable[..., RunInfo]
) -> None:
    upgrade(db_url)
    assert table_names(db_url) == AUDIT_TABLES | {"alembic_version"}
    assert current_revision(db_url) == head_revision() == HEAD
    with SqlAuditStore(db_url, venue="binance") as store:
        run_id = store.start_run(run_info())

    upgrade(db_url)

    assert current_revision(db_url) == HEAD
    assert table_names(db_url) == AUDIT_TABLES | {"alembic_version"}
    with SqlAuditStore(db_url, venue="binance") as store:
        assert [run.id for run in store.runs()] == [run_id]


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(db_url: str) -> None:
    from alembic import command

    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert table_names(db_url) == {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == HEAD
    finally:
        engine.dispose()


def test_concurrent_upgrades_of_a_fresh_database_all_succeed(db_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start_daemon() -> None:
        try:
            barrier.wait(timeout=10)
            upgrade(db_url)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=start_daemon) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert current_revision(db_url) == HEAD


def test_migration_scripts_ship_inside_the_package() -> None:
    migrations = files("bot.adapters.audit") / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "script.py.mako").is_file()
    assert (migrations / "versions" / "0001_initial.py").is_file()
    assert (migrations / "versions" / "0002_trading_state.py").is_file()
