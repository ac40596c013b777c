"""A columnar copy of a candle CSV (Parquet, beside it), so a backtest reads only its time window.

A CSV must be read whole: its rows are text, validated line by line (a 1 GB file: over a minute and
several GB of memory, even for a 15-day window). ``spotbot download`` therefore also writes
``BASE_QUOTE-TF.parquet`` next to each ``BASE_QUOTE-TF.csv``: the same, already validated candles in
row groups of :data:`ROW_GROUP` candles, each carrying the range of its open times. A windowed read
opens only the row groups that overlap the window.

The copy stands for its CSV only while the CSV is unchanged: it records the CSV's size and
modification time, and a copy that disagrees (the CSV was edited, re-downloaded or replaced) is not
used; the CSV is read as before. It also records what the whole file's market rules are derived from
(its median close), so a window trades under the same rules as the whole file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bot.adapters.market.csv_replay import load_csv_series
from bot.domain.series import CandleSeries

ROW_GROUP = 50_000  # candles per row group: a month of 1m candles is one or two groups
COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
_KEY = b"spotbot"  # the metadata written below, under one key


@dataclass(frozen=True, slots=True)
class Window:
    """A series read for a window, with what the whole file's rules derive from."""

    series: CandleSeries
    median_close: float  # of the whole file, not the window
    groups_read: int
    groups: int


def columnar_path(csv_path: Path) -> Path:
    """Where the columnar copy of ``csv_path`` lives: beside it, ``.parquet`` for ``.csv``."""
    return csv_path.with_suffix(".parquet")


def _stamp(csv_path: Path) -> dict[str, str]:
    stat = csv_path.stat()
    return {"source_size": str(stat.st_size), "source_mtime_ns": str(stat.st_mtime_ns)}


def write_columnar(csv_path: Path, symbol: str, timeframe: str) -> Path:
    """Read ``csv_path`` (validated, as a backtest would) and write its columnar copy; returns its path.

    Written to a temporary name and renamed, so a reader never sees half a file."""
    stamp = _stamp(csv_path)
    series = load_csv_series(csv_path, symbol, timeframe)
    table = pa.table(
        {name: getattr(series, "open_time" if name == "timestamp" else name) for name in COLUMNS}
    )
    facts = {**stamp, "timeframe": timeframe, "median_close": repr(series.median_close())}
    table = table.replace_schema_metadata({_KEY: json.dumps(facts).encode()})
    target = columnar_path(csv_path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, temporary, row_group_size=ROW_GROUP, compression="zstd")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _open_current(csv_path: Path, timeframe: str) -> tuple[pq.ParquetFile, dict[str, str]] | None:
    """The columnar copy of ``csv_path`` and its facts, if it exists and still matches the CSV."""
    path = columnar_path(csv_path)
    if not path.is_file():
        return None
    try:
        file = pq.ParquetFile(path)
        facts = json.loads((file.schema_arrow.metadata or {}).get(_KEY, b"null"))
    except (OSError, ValueError, pa.ArrowInvalid):  # unreadable, or not a copy of ours
        return None
    if not isinstance(facts, dict) or facts.get("timeframe") != timeframe:
        return None
    if {key: facts.get(key) for key in ("source_size", "source_mtime_ns")} != _stamp(csv_path):
        return None
    return file, facts


def is_current(csv_path: Path, timeframe: str) -> bool:
    """Whether ``csv_path`` has a columnar copy that still matches it."""
    return _open_current(csv_path, timeframe) is not None


def read_window(
    csv_path: Path, symbol: str, timeframe: str, start_ms: int | None, end_ms: int | None
) -> Window | None:
    """The candles of ``csv_path`` opening in ``[start_ms, end_ms)`` from its columnar copy, reading only
    the row groups that overlap; ``None`` if there is no copy, it no longer matches the CSV, or the
    window holds no candle (read the CSV then)."""
    current = _open_current(csv_path, timeframe)
    if current is None:
        return None
    file, facts = current
    lo = start_ms if start_ms is not None else np.iinfo(np.int64).min
    hi = end_ms if end_ms is not None else np.iinfo(np.int64).max
    column = file.schema_arrow.get_field_index("timestamp")
    groups = []
    for index in range(file.num_row_groups):
        stats = file.metadata.row_group(index).column(column).statistics
        if stats is None or not stats.has_min_max or (stats.min < hi and stats.max >= lo):
            groups.append(index)
    if not groups:
        return None  # nothing in the window: the caller's whole-file path says so in its own words
    table = file.read_row_groups(groups, columns=list(COLUMNS))
    arrays = {name: table.column(name).to_numpy() for name in COLUMNS}
    times = arrays["timestamp"].astype(np.int64)
    keep = slice(*np.searchsorted(times, [lo, hi], side="left").tolist())
    if keep.stop <= keep.start:
        return None
    series = CandleSeries(
        symbol,
        timeframe,
        np.ascontiguousarray(times[keep]),
        *(np.ascontiguousarray(arrays[name][keep], dtype=np.float64) for name in COLUMNS[1:]),
    )
    return Window(series, float(facts["median_close"]), len(groups), file.num_row_groups)
