"""Bulk inserts for the backtests' write-behind store: one ``executemany`` per table, values converted
by the columns' own bind processors, each distinct value converted once.

SQLAlchemy's Core ``executemany`` runs its whole per-row parameter machinery for every row; for the
hundreds of thousands of rows a long backtest writes (one risk decision per guard per intent) that, not
the database, was most of the cost. Here the statement is compiled once, and every column's processor
(the same :class:`~bot.adapters.audit.types.ExactDecimal` / :class:`~bot.adapters.audit.types.UtcDateTime`
conversions
the ORM applies) runs once per distinct value: the guards of one intent share its time and quantities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert


def bulk_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, values as the ORM would take them) into ``table``."""
    if not rows:
        return
    dialect = connection.dialect
    keys = list(rows[0])
    statement = insert(table).inline().compile(dialect=dialect, column_keys=keys)
    columns = {}  # converted column by column: no call at all for columns without a processor
    for key in keys:
        values = [row[key] for row in rows]
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        columns[key] = values if process is None else _converted(values, process)
    if statement.positiontup is not None:  # positional paramstyle (SQLite's "?")
        params: list[Any] = list(zip(*(columns[k] for k in statement.positiontup), strict=True))
    else:  # named (psycopg's "%(name)s")
        params = [
            dict(zip(keys, values, strict=True)) for values in zip(*(columns[k] for k in keys), strict=True)
        ]
    connection.exec_driver_sql(str(statement), params)


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
