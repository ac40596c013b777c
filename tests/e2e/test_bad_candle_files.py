"""``spotbot run`` on a CSV market refuses a bad candle file as ``spotbot backtest`` does: one line on
stderr naming the file and the problem, exit 2, no traceback, and no audit run left behind.

Every kind of bad file is refused by the reader with an error naming the file (in-process, quick); a
few kinds go through the real ``spotbot run`` to show the one line and the exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.adapters.audit import SqlAuditStore
from bot.adapters.market.csv_replay import CsvFormatError, load_csv_series

HEADER = "timestamp,open,high,low,close,volume\n"
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z
FIVE_MINUTES = 300_000


def row(i: int, o: str = "100", h: str = "101", lo: str = "99", c: str = "100.5", v: str = "10") -> str:
    return f"{T0 + i * FIVE_MINUTES},{o},{h},{lo},{c},{v}\n"


def text(body: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(body, encoding="utf-8")


def raw(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def directory(path: Path) -> None:
    path.mkdir()


def nothing(path: Path) -> None:
    """The configured file does not exist."""


BAD_FILES: dict[str, Callable[[Path], None]] = {
    "empty file": text(""),
    "header only": text(HEADER),
    "header and blank lines": text(HEADER + "\n\n"),
    "no header": text(row(0) + row(1)),
    "wrong column names": text("time,o,h,l,c,v\n" + row(0)),
    "a missing column": text("timestamp,open,high,low,close\n" + f"{T0},100,101,99,100.5\n"),
    "an extra column": text(HEADER.strip() + ",trades\n" + row(0).strip() + ",3\n"),
    "a short row": text(HEADER + row(0) + f"{T0 + FIVE_MINUTES},100,101,99\n"),
    "semicolons": text(HEADER.replace(",", ";") + row(0).replace(",", ";")),
    "a non-numeric price": text(HEADER + row(0) + row(1, c="abc")),
    "a date as timestamp": text(HEADER + "2024-01-01,100,101,99,100.5,10\n"),
    "a fractional timestamp": text(HEADER + f"{T0}.5,100,101,99,100.5,10\n"),
    "a negative timestamp": text(HEADER + "-300000,100,101,99,100.5,10\n"),
    "a timestamp past year 9999": text(HEADER + "99999999999999999999,100,101,99,100.5,10\n"),
    "NaN price": text(HEADER + row(0) + row(1, o="nan")),
    "infinite price": text(HEADER + row(0) + row(1, h="inf")),
    "negative price": text(HEADER + row(0) + row(1, lo="-99")),
    "zero price": text(HEADER + row(0) + row(1, o="0")),
    "a price too large to carry": text(HEADER + row(0, o="1e300", h="1e300", lo="1e300", c="1e300")),
    "negative volume": text(HEADER + row(0) + row(1, v="-1")),
    "high below low": text(HEADER + row(0) + row(1, h="98", lo="99", o="98.5", c="98.5")),
    "close above high": text(HEADER + row(0) + row(1, c="102")),
    "unsorted timestamps": text(HEADER + row(1) + row(0)),
    "duplicate timestamps": text(HEADER + row(0) + row(0)),
    "mixed intervals": text(HEADER + row(0) + f"{T0 + 60_000},100,101,99,100.5,10\n"),
    "binary garbage": raw(bytes(range(256)) * 4),
    "a NUL byte": raw((HEADER + row(0)).encode().replace(b"100.5", b"10\x000.5")),
    "Latin-1 text": raw(HEADER.encode() + "1704067200000,100,101,99,100.5,10 Zürich\n".encode("latin-1")),
    "UTF-16 text": raw((HEADER + row(0)).encode("utf-16")),
    "a field over the csv size limit": text(HEADER + f"{T0}," + "9" * 200_000 + ",101,99,100.5,10\n"),
    "an unclosed quote": text(HEADER + '"' + row(0)),
    "JSON instead of CSV": text('{"timestamp": [1704067200000]}\n'),
    "a directory": directory,
    "a missing file": nothing,
}


def run_on(
    tmp_path: Path, make: Callable[[Path], None], name: str = "BTC_USDT-5m.csv"
) -> subprocess.CompletedProcess[str]:
    candles = tmp_path / name
    make(candles)
    config = tmp_path / "csv.toml"
    config.write_text(
        '[market]\nsource = "csv"\nsymbols = ["BTC/USDT"]\nreplay_speed = 100000\n'
        f'[market.csv.files]\n"BTC/USDT" = "{candles}"\n'
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config), "--log-format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "SPOTBOT_BOT__DATA_DIR": str(tmp_path / "data")},
    )


def runs_recorded(data_dir: Path) -> list[str]:
    """The status of every run in the audit DB of ``data_dir`` (none if the run never created it)."""
    database = data_dir / "spotbot.sqlite"
    if not database.exists():
        return []
    with SqlAuditStore(f"sqlite:///{database}", venue="paper") as store:
        return [run.status for run in store.runs()]


READ_BY_THE_RUN = ("empty file", "NaN price", "binary garbage", "a price too large to carry", "a directory",
                  "a missing file")  # fmt: skip


@pytest.mark.parametrize("kind", [k for k in BAD_FILES if k not in ("a directory", "a missing file")])
def test_every_kind_of_bad_candle_file_is_refused_by_the_reader_naming_it(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "BTC_USDT-5m.csv"
    BAD_FILES[kind](path)
    with pytest.raises(CsvFormatError) as refused:
        load_csv_series(path, "BTC/USDT", "5m")
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.slow
@pytest.mark.parametrize("make", [BAD_FILES[k] for k in READ_BY_THE_RUN], ids=READ_BY_THE_RUN)
def test_run_refuses_a_bad_candle_file_in_one_line_naming_it(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    done = run_on(tmp_path, make)

    assert done.returncode == 2, done.stderr[-3000:]
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr[-3000:]
    assert lines[0].startswith("error: ")
    assert str(tmp_path / "BTC_USDT-5m.csv") in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert runs_recorded(tmp_path / "data") == [], "no run left behind, 'running' or otherwise"


def test_run_refuses_a_file_whose_name_says_another_timeframe(tmp_path: Path) -> None:
    done = run_on(tmp_path, text(HEADER + row(0) + row(1)), name="BTC_USDT-1m.csv")

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: {tmp_path / 'BTC_USDT-1m.csv'}: configured timeframe '5m' differs from '1m' in the file name"
    ]


def test_the_same_config_with_a_good_file_runs_to_the_end(tmp_path: Path) -> None:
    done = run_on(tmp_path, text(HEADER + "".join(row(i) for i in range(30))))

    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    assert '"run_finished"' in done.stdout
