"""Shared fixtures. ``db_url`` runs a test against SQLite and, when configured, PostgreSQL.

PostgreSQL runs need ``SPOTBOT_TEST_DATABASE_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test gets a fresh schema named
``t_<random>`` as its ``search_path``, dropped afterwards, so runs repeat cleanly and in parallel.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL_ENV = "SPOTBOT_TEST_DATABASE_URL"

# Every backtest in the suite runs in shadow mode (bot/app/backtest/event_replay.py): it also ticks the
# closes its planner skips and fails if the engine acts at one. Subprocesses (spotbot backtest) inherit it.
os.environ.setdefault("SPOTBOT_SHADOW_REPLAY", "1")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite'}"
        return
    yield from _postgres_leg()


@pytest.fixture
def pg_db_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, for tests of what only a server does (connections dropped, roles)."""
    yield from _postgres_leg()


def _postgres_leg() -> Iterator[str]:
    base_url = os.environ.get(POSTGRES_URL_ENV)
    if not base_url:
        pytest.skip(f"PostgreSQL leg: set {POSTGRES_URL_ENV}=postgresql+psycopg://user@host:port/db")
    yield from _postgres_schema_url(base_url)


def _postgres_schema_url(base_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from bot.adapters.audit.engine import normalize_url

    url = normalize_url(base_url)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        scoped = url.update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def shared_data_dir() -> Path:
    """The real candle CSVs beside the project (``../shared/data``), or ``$SPOTBOT_SHARED_DATA``."""
    configured = os.environ.get("SPOTBOT_SHARED_DATA")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The real Binance candles; tests that need them are skipped, with the reason, when absent."""
    directory = shared_data_dir()
    if not (directory / "ETH_BTC-5m.csv").is_file():
        pytest.skip(f"real candle data not found at {directory} (set SPOTBOT_SHARED_DATA)")
    return directory
