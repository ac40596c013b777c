"""Bulk inserts for the backtests' write-behind store: one ``executemany`` per table, values converted
by the columns' own bind processors, each distinct value converted once.

SQLAlchemy's Core ``executemany`` runs its whole per-row parameter machinery for every row; for the
hundreds of thousands of rows a long backtest writes (one risk decision per guard per intent) that, not
the database, was most of the cost. Here the statement is compiled once per process (for a kind of
database, table and columns: an optimize run opens a new engine per backtest, and SQLAlchemy's
statement cache is the engine's), and every column's processor
(the same :class:`~bot.adapters.audit.types.ExactDecimal` / :class:`~bot.adapters.audit.types.UtcDateTime`
conversions
the ORM applies) runs once per distinct value: the guards of one intent share its time and quantities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert

_Plan = tuple[str, tuple[str, ...] | None]  # the INSERT's text, its parameters' order if positional
_PLANS: dict[tuple[type[Dialect], str, Table, tuple[str, ...]], _Plan] = {}


def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan:
    """The compiled INSERT of ``keys`` into ``table``: the same text for every engine of one dialect."""
    key = (type(dialect), dialect.paramstyle, table, keys)
    plan = _PLANS.get(key)
    if plan is None:
        compiled = insert(table).inline().compile(dialect=dialect, column_keys=list(keys))
        order = tuple(compiled.positiontup) if compiled.positiontup is not None else None
        plan = _PLANS[key] = (str(compiled), order)
    return plan


def bulk_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, values as the ORM would take them) into ``table``."""
    if not rows:
        return
    dialect = connection.dialect
    keys = list(rows[0])
    sql, positions = _plan(dialect, table, tuple(keys))
    columns = {}  # converted column by column: no call at all for columns without a processor
    for key in keys:
        values = [row[key] for row in rows]
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        columns[key] = values if process is None else _converted(values, process)
    if positions is not None:  # positional paramstyle (SQLite's "?")
        params: list[Any] = list(zip(*(columns[k] for k in positions), strict=True))
    else:  # named (psycopg's "%(name)s")
        params = [
            dict(zip(keys, values, strict=True)) for values in zip(*(columns[k] for k in keys), strict=True)
        ]
    connection.exec_driver_sql(sql, params)


def _converted(values: list[Any], process: Callable[[Any], Any]) -> list[Any]:
    """``process`` applied to each value (``None`` stays ``None``), once per distinct value: the guards
    of one intent share its time and quantities. Equal values of one type store alike (1.5 and 1.50
    both as 1.5); a column mixing types (say 1 and True, which are equal) is converted value by value."""
    try:
        distinct = set(values)
    except TypeError:  # unhashable values: convert every one
        return [None if value is None else process(value) for value in values]
    if len({type(value) for value in distinct if value is not None}) > 1:
        return [None if value is None else process(value) for value in values]
    lookup = {value: None if value is None else process(value) for value in distinct}
    return list(map(lookup.__getitem__, values))
