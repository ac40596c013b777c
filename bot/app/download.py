"""``spotbot download``: closed OHLCV candles from an exchange into ``BASE_QUOTE-TF.csv``, incrementally.

- Through the adapter (``make_client`` + ``ExchangeCaller``: error translation, rate-limit pauses, read
  retries), ``fetch_ohlcv`` in pages of 1000 from ``since``, each page starting just after the last candle.
- Only closed candles are saved: a candle is kept when it closed by the exchange's clock (``fetch_time``)
  and opened before ``--to``. The still-forming candle is never written.
- Incremental: an existing file is read for its last timestamp and only newer candles are fetched and
  appended (a half-written last line from an interrupted run is dropped first). A ``since`` before the
  file's first candle does not backfill.
- The file has the header ``timestamp,open,high,low,close,volume`` (ms UTC open time): what
  :func:`bot.adapters.market.csv_replay.load_csv_series` and ``spotbot backtest --data`` read.
- Gaps (candles the exchange does not have) are kept as gaps and reported.
- Beside each CSV, its columnar copy ``BASE_QUOTE-TF.parquet`` (:mod:`bot.adapters.market.columnar`),
  rewritten whenever the CSV grew: a backtest with ``--from``/``--to`` reads only its window from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from bot.adapters.exchange import answers
from bot.adapters.exchange.client import make_client
from bot.adapters.exchange.retry import ExchangeCaller
from bot.adapters.market.columnar import is_current, write_columnar
from bot.app.backtest.data import candle_file_name, parse_date
from bot.domain import BrokerError, timeframe_ms
from bot.domain.clock import datetime_to_ms, ms_to_datetime

PAGE_LIMIT = 1000
HEADER = "timestamp,open,high,low,close,volume\n"

OnProgress = Callable[[str, int, int], None]  # (symbol, candle slots covered, candle slots in all)


@dataclass(frozen=True, slots=True)
class Gap:
    after_open_ms: int  # the last candle before the gap
    before_open_ms: int  # the first candle after it
    missing: int  # candles missing in between


@dataclass(frozen=True, slots=True)
class DownloadResult:
    symbol: str
    path: Path
    fetched: int  # new candles written by this run
    total: int  # candles in the file now
    first_open_ms: int | None
    last_open_ms: int | None
    gaps: list[Gap] = field(default_factory=list)


def _number(value: Any) -> str:
    """A price or volume as plain decimal text (never scientific notation)."""
    text = format(Decimal(str(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def existing_timestamps(path: Path) -> list[int]:
    """The open times in an existing candle file (empty if none); drops a half-written last line."""
    if not path.is_file():
        return []
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):  # interrupted mid-write: cut back to the last complete line
        raw = raw[: raw.rfind(b"\n") + 1]
        path.write_bytes(raw)
    lines = raw.decode("utf-8").splitlines()
    if lines and lines[0].strip() != HEADER.strip():
        raise ValueError(f"{path}: not a candle file (header {lines[0]!r}, expected {HEADER.strip()!r})")
    return [int(line.split(",", 1)[0]) for line in lines[1:] if line.strip()]


def find_gaps(open_times: Sequence[int], step_ms: int) -> list[Gap]:
    """Every run of missing candles between consecutive open times."""
    return [Gap(a, b, (b - a) // step_ms - 1) for a, b in pairwise(open_times) if b - a > step_ms]


def _append(path: Path, rows: list[list[Any]]) -> None:
    """Append rows in one write, header first for a new file, flushed to disk."""
    text = "".join(f"{int(r[0])},{','.join(_number(v) for v in r[1:6])}\n" for r in rows)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write((HEADER if new else "") + text)
        handle.flush()
        os.fsync(handle.fileno())


def download_symbol(
    caller: ExchangeCaller,
    symbol: str,
    timeframe: str,
    *,
    since_ms: int,
    until_ms: int | None,
    directory: Path,
    now_ms: int,
    on_progress: OnProgress | None = None,
) -> DownloadResult:
    """Fetch ``symbol``'s closed candles opening in ``[since, until)`` that the file does not hold yet."""
    step = timeframe_ms(timeframe)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / candle_file_name(symbol, timeframe)
    times = existing_timestamps(path)
    start = -(-since_ms // step) * step  # first aligned open at or after since
    if times:
        start = max(start, times[-1] + step)
    last_open = (now_ms // step) * step - step  # the newest candle closed by now
    if until_ms is not None:
        last_open = min(last_open, -(-until_ms // step) * step - step)  # opens before until
    slots = max(0, (last_open - start) // step + 1)
    fetched = 0
    cursor = start
    while cursor <= last_open:
        fetch = partial(
            caller.client.fetch_ohlcv,
            symbol,
            timeframe,
            since=cursor,
            limit=PAGE_LIMIT,
            params={"until": last_open},
        )
        page: list[list[Any]] = caller.read("fetch_ohlcv", symbol, fetch, answers.candles)
        rows = [r for r in page if cursor <= int(r[0]) <= last_open and int(r[0]) % step == 0]
        if not rows:
            break
        _append(path, rows)
        fetched += len(rows)
        times.extend(int(r[0]) for r in rows)
        cursor = int(rows[-1][0]) + step
        if on_progress is not None:
            on_progress(symbol, min(slots, (cursor - start) // step), slots)
    if on_progress is not None:
        on_progress(symbol, slots, slots)
    if times and (fetched or not is_current(path, timeframe)):
        write_columnar(path, symbol, timeframe)  # what a windowed backtest reads instead of the CSV
    return DownloadResult(
        symbol=symbol,
        path=path,
        fetched=fetched,
        total=len(times),
        first_open_ms=times[0] if times else None,
        last_open_ms=times[-1] if times else None,
        gaps=find_gaps(times, step),
    )


def download(
    caller: ExchangeCaller,
    symbols: Sequence[str],
    timeframe: str,
    *,
    since_ms: int,
    until_ms: int | None,
    directory: Path,
    on_progress: OnProgress | None = None,
) -> list[DownloadResult]:
    """Download every symbol; "now" is the exchange's clock, read once, so the forming candle is left out."""
    timeframe_ms(timeframe)
    markets = caller.read("load_markets", None, caller.client.load_markets, answers.markets)
    unknown = [s for s in symbols if s not in markets]
    if unknown:
        raise ValueError(f"--symbols: {', '.join(unknown)} not listed by {caller.client.id}")
    if timeframe not in (getattr(caller.client, "timeframes", None) or {timeframe: timeframe}):
        raise ValueError(f"--timeframe {timeframe!r}: not offered by {caller.client.id}")
    now_ms = int(caller.read("fetch_time", None, caller.client.fetch_time))
    return [
        download_symbol(
            caller,
            symbol,
            timeframe,
            since_ms=since_ms,
            until_ms=until_ms,
            directory=directory,
            now_ms=now_ms,
            on_progress=on_progress,
        )
        for symbol in symbols
    ]


def describe_gaps(result: DownloadResult, step_ms: int, shown: int = 10) -> list[str]:
    """Human lines for a result's gaps (the first ``shown``, then how many more)."""
    lines = [
        f"  {ms_to_datetime(g.after_open_ms + step_ms).isoformat()} .. "
        f"{ms_to_datetime(g.before_open_ms - step_ms).isoformat()}: {g.missing} candles missing"
        for g in result.gaps[:shown]
    ]
    if len(result.gaps) > shown:
        lines.append(f"  ... and {len(result.gaps) - shown} more gaps")
    return lines


def run_download(
    *,
    exchange: str,
    symbols: Sequence[str],
    timeframe: str,
    since: str,
    to: str | None,
    directory: Path,
    url: str | None,
    console: Console,
) -> int:
    """The ``spotbot download`` command: exit code 0 when done, 1 on an exchange error, 2 on bad input."""
    errors = Console(stderr=True)
    try:
        since_ms = datetime_to_ms(parse_date(since, "--since"))
        until_ms = datetime_to_ms(parse_date(to, "--to")) if to else None
        step = timeframe_ms(timeframe)
        if not symbols:
            raise ValueError("--symbols: at least one symbol, e.g. BTC/USDT,ETH/USDT")
        caller = ExchangeCaller(make_client(exchange, urls_override=url))
    except ValueError as exc:
        errors.print(f"[bold red]download error[/]: {exc}", highlight=False)
        return 2
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(symbol: str, done: int, total: int) -> None:
            if symbol not in tasks:
                tasks[symbol] = progress.add_task(symbol, total=max(total, 1))
            progress.update(tasks[symbol], completed=done if total else 1)

        try:
            results = download(
                caller,
                symbols,
                timeframe,
                since_ms=since_ms,
                until_ms=until_ms,
                directory=directory,
                on_progress=on_progress,
            )
        except ValueError as exc:
            errors.print(f"[bold red]download error[/]: {exc}", highlight=False)
            return 2
        except BrokerError as exc:
            errors.print(f"[bold red]exchange error[/] ({type(exc).__name__}): {exc}", highlight=False)
            return 1
    for result in results:
        first, last = result.first_open_ms, result.last_open_ms
        span = (
            f"{ms_to_datetime(first).isoformat()} .. {ms_to_datetime(last).isoformat()}"
            if first is not None and last is not None
            else "empty"
        )
        console.print(
            f"{result.symbol}: +{result.fetched} candles, {result.total} in {result.path} ({span}); "
            f"gaps: {len(result.gaps)} ({sum(g.missing for g in result.gaps)} candles missing)",
            highlight=False,
            soft_wrap=True,
        )
        for line in describe_gaps(result, step):
            console.print(line, highlight=False, soft_wrap=True)
    return 0
