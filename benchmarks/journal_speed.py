"""Durable audit writes per second (issue 11, "the audit journal"), through the store's own API.

    python benchmarks/journal_speed.py [--fills N] [--postgres URL]

For SQLite (a file in a temporary folder: WAL, ``synchronous=FULL``, each commit on disk before the call
returns) and for PostgreSQL when a URL is given (``--postgres`` or ``SPOTBOT_TEST_DATABASE_URL``; the
server's own ``synchronous_commit``, printed), it times, side by side in one run:

- ``save_new_order``: one order and its first event per transaction, as an order is stored before it is
  sent (the daemon's rule: never batched);
- ``record_fill``: one fill per transaction;
- ``record_fills``: batches of 10 and 100 fills per transaction, as a venue reports them (a market
  order sweeping the book, a poll of the account's trades, the fills found at start-up);
- the bare driver: one ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` and ``COMMIT`` per row, no
  SQLAlchemy: the floor a one-row transaction cannot beat.

It prints rows per second and CPU per row for each, and the goal (at least 5,000 durable fills/s) as
met or MISSED per database and batch size. Figures live here and in benchmarks/README.md, never in tests.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

GOAL_FILLS_PER_S = 5_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def timed(rows: int, work: Callable[[], object]) -> tuple[float, float]:
    """(rows per second of wall time, ms of this process's CPU per row) for ``work()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return rows / wall, cpu / rows * 1000


def bare_floor(url: str, rows: int) -> tuple[float, float]:
    """One-row transactions through the bare driver, on a table like the fills table."""
    insert = "INSERT INTO bench_fills (venue, trade_id, price, quantity) VALUES ({0}, {0}, {0}, {0}) "
    insert += "ON CONFLICT (venue, trade_id) DO NOTHING RETURNING id"
    create = "CREATE TABLE bench_fills (id {} PRIMARY KEY, venue TEXT, trade_id TEXT, price TEXT, "
    create += "quantity TEXT, UNIQUE (venue, trade_id))"
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(create.format("INTEGER"))
        statement = insert.format("?")

        def work() -> None:
            for i in range(rows):
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(statement, ("binance", str(i), "100.12", "0.001")).fetchone()
                connection.execute("COMMIT")

        try:
            return timed(rows, work)
        finally:
            connection.execute("DROP TABLE bench_fills")
            connection.close()
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as pg:
        pg.execute("DROP TABLE IF EXISTS bench_fills")
        pg.execute(create.format("SERIAL"))
        pg.commit()
        statement = insert.format("%s")

        def pg_work() -> None:
            for i in range(rows):
                pg.execute(statement, ("binance", str(i), "100.12", "0.001")).fetchone()
                pg.commit()

        try:
            return timed(rows, pg_work)
        finally:
            pg.execute("DROP TABLE bench_fills")
            pg.commit()


def measure(url: str, fills: int) -> list[tuple[str, int, float, float]]:
    """(case, rows per transaction, rows/s, CPU ms per row) for each case on the database at ``url``."""
    from bot.adapters.audit import SqlAuditStore
    from bot.adapters.audit.migrate import upgrade
    from bot.core.ports import RunInfo
    from bot.domain import Fill, Liquidity, Order, OrderPurpose, OrderType, Side

    upgrade(url)
    tag = f"{os.getpid()}-{time.time_ns()}"  # a shared PostgreSQL database keeps earlier rows
    results = []
    with SqlAuditStore(url, venue="binance") as store:
        run = store.start_run(RunInfo(T0, "paper", "binance", "bench", "h", {}, bot_name=f"bench-{tag}"))

        def order(i: int) -> Order:
            return Order(f"bench-{tag}-{i}", f"intent-{tag}", "BTC/USDT", Side.BUY, OrderType.LIMIT,
                         OrderPurpose.ENTRY, Decimal("0.001"), T0, price=Decimal("100.12"))  # fmt: skip

        orders = [order(i) for i in range(max(1, fills // 4))]
        saved = timed(len(orders), lambda: [store.save_new_order(run, o) for o in orders])
        results.append(("save_new_order", 1, *saved))

        def fill(batch: int, i: int) -> Fill:
            return Fill("binance", f"{tag}-{batch}-{i}", orders[0].client_order_id, "BTC/USDT", Side.BUY,
                        Decimal("100.12"), Decimal("0.001"), Decimal("0.000001"), "BTC", Liquidity.MAKER,
                        T0 + timedelta(seconds=i))  # fmt: skip

        singles = [fill(1, i) for i in range(fills)]
        results.append(("record_fill", 1, *timed(fills, lambda: [store.record_fill(f) for f in singles])))
        for size in (10, 100):
            every = [fill(size, i) for i in range(fills)]
            chunks = [every[i : i + size] for i in range(0, fills, size)]

            def record(chunks: list[list[Fill]] = chunks) -> None:
                for chunk in chunks:
                    store.record_fills(chunk)

            results.append(("record_fills", size, *timed(fills, record)))
        stored = {f.trade_id for f in store.fills(run)}
        assert all(f.trade_id in stored for f in singles + every), "a fill was not stored"
    results.append(("bare driver", 1, *bare_floor(url, fills)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fills", type=int, default=4000, help="fills per case (default 4000)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SPOTBOT_TEST_DATABASE_URL"),
        help="PostgreSQL URL (default: SPOTBOT_TEST_DATABASE_URL; none: SQLite only)",
    )
    args = parser.parse_args()
    from bot.app.logging_setup import configure_logging

    with tempfile.TemporaryDirectory() as tmp:
        configure_logging("WARNING", "json", file=Path(tmp) / "bench.log", stream=None)
        databases = [("SQLite (WAL, synchronous=FULL)", f"sqlite:///{tmp}/journal.db")]
        if args.postgres:
            import psycopg

            with psycopg.connect(args.postgres.replace("postgresql+psycopg", "postgresql")) as pg:
                row = pg.execute("SHOW synchronous_commit").fetchone()
            databases.append((f"PostgreSQL (synchronous_commit={row[0] if row else '?'})", args.postgres))
        python = sys.version.split()[0]
        print(f"audit journal, {args.fills:,} rows per case, Python {python}, {os.cpu_count()} CPUs")
        verdicts = []
        for name, url in databases:
            print(f"\n{name}")
            print(f"  {'case':<16} {'rows/txn':>8} {'rows/s':>9} {'CPU ms/row':>11}")
            for case, size, per_s, cpu_ms in measure(url, args.fills):
                print(f"  {case:<16} {size:>8} {per_s:>9,.0f} {cpu_ms:>11.3f}")
                if case.startswith("record_fill"):
                    verdicts.append((name.split()[0], case, size, per_s))
    print(f"\ngoal: >= {GOAL_FILLS_PER_S:,} durable fills/s through the store's API")
    for db, case, size, per_s in verdicts:
        verdict = "met" if per_s >= GOAL_FILLS_PER_S else "MISSED"
        print(f"  [{verdict:<6}] {db} {case} x{size}: {per_s:,.0f} fills/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
