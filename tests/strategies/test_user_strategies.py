"""A trader's own strategy, in a file outside the repository, run by path like a built-in.

Every command runs as a user would run it (``python -m bot ...`` in a subprocess, from another
directory); the strategy file is what ``spotbot strategies new`` writes, or a small one written here.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def spotbot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=environ,
    )


def candles(shared_data: Path, folder: Path, name: str, rows: int = 2000) -> Path:
    """The first ``rows`` candles of a shared file (a short run keeps the test quick)."""
    lines = (shared_data / name).read_text().splitlines()[: rows + 1]
    path = folder / name
    path.write_text("\n".join(lines) + "\n")
    return path


def config(folder: Path, strategies: str, symbols: str = '["ETH/BTC"]', extra: str = "") -> Path:
    path = folder / "bot.toml"
    path.write_text(
        f"""
[bot]
name = "mine"
data_dir = "{folder / "data"}"
quote_currency = "BTC"
[bot.starting_balances]
BTC = "1"
[market]
symbols = {symbols}
timeframe = "5m"
{extra}
[market.rules]
min_notional = "0.0001"
{strategies}
"""
    )
    return path


RSI = """
[[strategies]]
name = "my_rsi"
kind = "my_rsi.py:MyRsi"
[strategies.params]
period = 14
[strategies.search]
period = {low = 7, high = 21}
"""


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the repository holding the template ``spotbot strategies new my_rsi`` writes."""
    folder = tmp_path / "my_bot"
    folder.mkdir()
    made = spotbot("strategies", "new", "my_rsi", "--dir", str(folder), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert 'kind = "my_rsi.py:MyRsi"' in made.stdout
    return folder


def test_the_template_backtests_by_path_relative_to_the_config(
    outside: Path, shared_data: Path, tmp_path: Path
) -> None:
    data = candles(shared_data, outside, "ETH_BTC-5m.csv")
    cfg = config(outside, RSI)
    out = outside / "bt"
    run = spotbot("backtest", "--config", str(cfg), "--data", str(data), "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads((out / "result.json").read_text())
    assert result["metrics"]["trades"] > 0, "the RSI dip template trades on real candles"
    with sqlite3.connect(out / "audit.sqlite") as db:
        strategies = {row[0] for row in db.execute("SELECT DISTINCT strategy FROM intents")}
    assert strategies == {"my_rsi"}


def test_the_template_runs_in_the_daemon_by_path(outside: Path, shared_data: Path, tmp_path: Path) -> None:
    data = candles(shared_data, outside, "ETH_BTC-5m.csv", rows=600)
    extra = f'source = "csv"\nreplay_speed = 50000\n[market.csv.files]\n"ETH/BTC" = "{data}"'
    cfg = config(outside, RSI.replace("period = 14", "period = 7"), extra=extra)
    run = spotbot("run", "--config", str(cfg), "--log-format", "json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    with sqlite3.connect(outside / "data" / "spotbot.sqlite") as db:
        intents = db.execute("SELECT count(*) FROM intents WHERE strategy = 'my_rsi'").fetchone()[0]
    assert intents > 0


def test_optimize_searches_the_params_of_a_strategy_loaded_by_path(
    outside: Path, shared_data: Path, tmp_path: Path
) -> None:
    data = candles(shared_data, outside, "ETH_BTC-5m.csv")
    cfg = config(outside, RSI)
    run = spotbot(
        "optimize", "--config", str(cfg), "--data", str(data), "--trials", "3", "--seed", "1", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    tuned = (outside / "bot.optimized.toml").read_text()
    assert 'kind = "my_rsi.py:MyRsi"' in tuned
    assert "my_rsi.period" in run.stdout


BROKEN = {
    "syntax.py": (
        "class Broken:\n    def on_candles(self, view)\n        return []\n",
        "syntax.py, line 2: SyntaxError",
    ),
    "raises.py": (
        "import math\n\nVALUE = math.sqrt(-1)\n",
        "raises.py, line 3: ValueError: math domain error",
    ),
}


@pytest.mark.parametrize("file", sorted(BROKEN))
def test_a_strategy_file_that_cannot_be_imported_is_a_one_line_config_error_with_file_and_line(
    tmp_path: Path, file: str
) -> None:
    source, expected = BROKEN[file]
    (tmp_path / file).write_text(source)
    cfg = config(tmp_path, f'[[strategies]]\nname = "x"\nkind = "{file}:Broken"\n')
    run = spotbot("config", "check", str(cfg), cwd=tmp_path)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "strategies[0].kind" in run.stderr
    assert expected in run.stderr


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("missing.py:Nope", "no such file"),
        ("my_rsi.py:MyRsx", "has no class 'MyRsx'; strategy classes there: MyRsi"),
        ("json:dumps", "has no class 'dumps'"),
        ("json:JSONEncoder", "has no on_candles(self, view) method: not a strategy"),
        ("no_such_package.module:Thing", "no module named 'no_such_package'"),
        ("rsi_but_typo", "one of ma_crossover"),
    ],
)
def test_a_kind_that_names_no_strategy_is_refused_saying_what_is_wrong(
    outside: Path, tmp_path: Path, kind: str, expected: str
) -> None:
    cfg = config(outside, f'[[strategies]]\nname = "x"\nkind = "{kind}"\n')
    run = spotbot("config", "check", str(cfg), cwd=tmp_path)
    assert run.returncode == 2, run.stdout
    assert "strategies[0].kind" in run.stderr and expected in run.stderr, run.stderr


def test_params_of_a_user_strategy_are_validated_by_its_own_model(outside: Path, tmp_path: Path) -> None:
    cfg = config(outside, RSI.replace("period = 14", "period = 1\nperiodd = 3"))
    run = spotbot("config", "check", str(cfg), cwd=tmp_path)
    assert run.returncode == 2
    assert "strategies[0].params.period: 1" in run.stderr
    assert "greater than or equal to 2" in run.stderr
    assert "strategies[0].params.periodd: 3" in run.stderr and "unknown key" in run.stderr


def test_strategies_list_shows_builtins_and_the_user_strategy_a_config_names(
    outside: Path, tmp_path: Path
) -> None:
    cfg = config(outside, RSI)
    run = spotbot("strategies", "list", "--config", str(cfg), "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    kinds = {kind["kind"]: kind for kind in json.loads(run.stdout)}
    assert "ma_crossover" in kinds
    mine = kinds["my_rsi.py:MyRsi"]
    assert {p["name"]: p["default"] for p in mine["params"]}["period"] == 14
    assert "RSI length" in {p["name"]: p["description"] for p in mine["params"]}["period"]


def test_strategies_new_never_overwrites(outside: Path, tmp_path: Path) -> None:
    again = spotbot("strategies", "new", "my_rsi", "--dir", str(outside), cwd=tmp_path)
    assert again.returncode == 2
    assert "exists" in again.stderr and "nothing overwritten" in again.stderr


def test_an_installed_module_and_an_entry_point_name_a_strategy(outside: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    package = site / "my_strats"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "rsi.py").write_text((outside / "my_rsi.py").read_text())
    dist = site / "my_strats-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-strats\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[spotbot.strategies]\nshop_rsi = my_strats.rsi:MyRsi\n")
    env = {"PYTHONPATH": f"{ROOT}:{site}"}
    listed = spotbot("strategies", "list", "--json", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    found = {kind["kind"]: kind["source"] for kind in json.loads(listed.stdout)}
    assert found["shop_rsi"] == "entry point my_strats.rsi:MyRsi"
    for kind in ("my_strats.rsi:MyRsi", "shop_rsi"):
        cfg = config(
            tmp_path, f'[[strategies]]\nname = "x"\nkind = "{kind}"\n[strategies.params]\nperiod = 9\n'
        )
        checked = spotbot("config", "check", str(cfg), cwd=tmp_path, env=env)
        assert checked.returncode == 0, checked.stderr


FAILING = '''
from decimal import Decimal
from bot.domain import IntentKind, OrderIntent, OrderType, Side, make_intent_id

FAIL_AFTER_MS = {fail_after}


class Fragile:
    """Buys while flat, then breaks at a given time."""

    def __init__(self, name, timeframe, params):
        self.name, self.timeframe, self.warmup = name, timeframe, 1

    def on_candles(self, view):
        last = view.candles[-1]
        if last.open_time >= FAIL_AFTER_MS:
            raise ZeroDivisionError("the user's bug")
        if view.position is not None:
            return []
        price = view.rules.price_from_float(float(last.close), is_buy=True)
        return [OrderIntent(
            intent_id=make_intent_id(self.name, view.symbol, last.open_time, IntentKind.ENTRY),
            strategy=self.name, symbol=view.symbol, side=Side.BUY, kind=IntentKind.ENTRY,
            order_type=OrderType.MARKET, reference_price=price, created_at=view.now, reason="first",
            stop_price=view.rules.round_price_down(price * Decimal("0.95")),
        )]
'''


def test_a_strategy_that_raises_is_disabled_with_file_and_line_and_everything_else_goes_on(
    tmp_path: Path, shared_data: Path
) -> None:
    eth = candles(shared_data, tmp_path, "ETH_BTC-5m.csv", rows=3000)
    ltc = candles(shared_data, tmp_path, "LTC_BTC-5m.csv", rows=3000)
    first_open = int(ltc.read_text().splitlines()[1].split(",")[0])
    fail_after = first_open + 100 * 300_000
    (tmp_path / "fragile.py").write_text(FAILING.format(fail_after=fail_after))
    strategies = (
        '[[strategies]]\nname = "fragile"\nkind = "fragile.py:Fragile"\nsymbols = ["LTC/BTC"]\n'
        '[[strategies]]\nname = "ma"\nsymbols = ["ETH/BTC"]\n[strategies.params]\nfast = 12\nslow = 48\n'
    )
    cfg = config(tmp_path, strategies, symbols='["ETH/BTC", "LTC/BTC"]')
    out = tmp_path / "bt"
    args = ("backtest", "--config", str(cfg), "--data", str(eth), "--data", str(ltc), "--out", str(out))
    run = spotbot(*args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    log = [
        json.loads(line) for line in (out / "backtest.log").read_text().splitlines() if line.startswith("{")
    ]
    disabled = [entry for entry in log if entry.get("event") == "strategy_disabled"]
    assert len(disabled) == 1, "disabled once, not at every candle after"
    assert disabled[0]["strategy"] == "fragile"
    assert "fragile.py, line 17: ZeroDivisionError: the user's bug" in disabled[0]["error"]
    with sqlite3.connect(out / "audit.sqlite") as db:
        fragile_before, fragile_after = (
            db.execute(
                f"SELECT count(*) FROM intents WHERE strategy = 'fragile' AND created_at {op} ?",
                (_iso(fail_after),),
            ).fetchone()[0]
            for op in ("<=", ">")  # created at the close: the failing candle closes 5m after it opens
        )
        ma_after = db.execute(
            "SELECT count(*) FROM intents WHERE strategy = 'ma' AND created_at > ?",
            (_iso(fail_after),),
        ).fetchone()[0]
        stops = db.execute(
            "SELECT count(*) FROM orders WHERE symbol = 'LTC/BTC' AND purpose = 'stop'"
        ).fetchone()[0]
    assert fragile_before > 0 and fragile_after == 0, "its intents until it failed, none after"
    assert ma_after > 0, "the other strategy kept trading after the failure"
    assert stops >= 1, "the disabled strategy's position kept its stop"


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLite stores it
