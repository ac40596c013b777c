"""``spotbot export tax-lots`` and ``spotbot export fills`` as a user runs them, on SQLite and PostgreSQL:
which runs' lots count, what the CSV says, and how each mistake ends (one line, its exit code)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from bot.adapters.audit import current_revision, upgrade
from tests.tax.records import buy, day, decimals, read_csv, record_run, sell, spotbot

D = Decimal


def export(db_url: str, tmp_path: Path, *args: str, bot: str = "alpha") -> CompletedProcess[str]:
    """``spotbot export ARGS`` on ``db_url``, the config's bot named ``bot``."""
    env = {
        "SPOTBOT_BOT__DATABASE_URL": db_url,
        "SPOTBOT_BOT__NAME": bot,
        "SPOTBOT_BOT__DATA_DIR": str(tmp_path),
    }
    return spotbot("export", *args, cwd=tmp_path, env=env)


@pytest.fixture
def two_bots(db_url: str) -> dict[str, int]:
    """alpha buys at 20 000 (run 1), beta at 50 000 (run 2), alpha sells at 30 000 (run 3); an offline
    simulation of alpha (run 4) buys and sells on its own."""
    return {
        "alpha_buys": record_run(db_url, [buy("1", "20000", day(0), fee="20")], bot="alpha"),
        "beta_buys": record_run(db_url, [buy("1", "50000", day(1), trade_id="b1")], bot="beta"),
        "alpha_sells": record_run(db_url, [sell("1", "30000", day(2), fee="30")], bot="alpha"),
        "alpha_sim": record_run(
            db_url,
            [buy("1", "1", day(3), venue="paper"), sell("1", "2", day(4), venue="paper")],
            bot="alpha",
            venue="paper",
            mode="paper",
        ),
    }


def test_a_bots_lots_are_carried_across_its_runs_and_never_taken_from_another_bot(
    db_url: str, tmp_path: Path, two_bots: dict[str, int]
) -> None:
    for method in ("fifo", "hifo"):
        done = export(db_url, tmp_path, "tax-lots", "--bot", "alpha", "--method", method)

        assert done.returncode == 0, done.stderr
        (row,) = read_csv(done.stdout)
        assert (row["asset"], row["quantity"], row["currency"]) == ("BTC", "1", "USDT")
        assert (row["acquired_at"], row["disposed_at"]) == ("2023-01-01T00:00:00Z", "2023-01-03T00:00:00Z")
        assert D(row["cost_basis"]) == 20000 + 20, "alpha's own lot, not beta's dearer one"
        assert (D(row["proceeds"]), D(row["fees"])) == (30000 - 30, D(20 + 30))
        assert D(row["gain"]) == D(29970) - D(20020)
        assert row["term"] == "short"
        alpha_runs = f"{two_bots['alpha_buys']}, {two_bots['alpha_sells']}"
        assert f"of bot alpha on binance (runs {alpha_runs})" in done.stderr


def test_the_configs_bot_is_exported_when_no_run_or_bot_is_named(
    db_url: str, tmp_path: Path, two_bots: dict[str, int]
) -> None:
    done = export(db_url, tmp_path, "tax-lots", "--method", "lifo", bot="beta")

    assert done.returncode == 0, done.stderr
    assert read_csv(done.stdout) == [], "beta sold nothing"
    assert "0 disposal rows (lifo) of bot beta on binance (run 2); 1 lots still held" in done.stderr


def test_one_run_has_only_its_own_lots_and_says_which_sales_had_none(
    db_url: str, tmp_path: Path, two_bots: dict[str, int]
) -> None:
    done = export(db_url, tmp_path, "tax-lots", "--run", str(two_bots["alpha_sells"]), "--method", "fifo")

    assert done.returncode == 0, done.stderr
    (row,) = read_csv(done.stdout)
    assert (row["quantity"], D(row["proceeds"]), row["term"]) == ("1", D(29970), "unknown")
    assert row["acquired_at"] == row["cost_basis"] == row["gain"] == ""
    assert "warning: 1 BTC sold without a lot" in done.stderr


def test_an_offline_simulation_is_exported_by_its_run(
    db_url: str, tmp_path: Path, two_bots: dict[str, int]
) -> None:
    done = export(db_url, tmp_path, "tax-lots", "--run", str(two_bots["alpha_sim"]), "--method", "fifo")

    (row,) = read_csv(done.stdout)
    assert (D(row["proceeds"]), D(row["cost_basis"]), D(row["gain"])) == (D(2), D(1), D(1))


def test_a_bot_that_traded_on_two_venues_needs_venue(
    db_url: str, tmp_path: Path, two_bots: dict[str, int]
) -> None:
    record_run(db_url, [buy("2", "100", day(5), venue="paper-binance")], bot="alpha", venue="paper-binance")

    done = export(db_url, tmp_path, "tax-lots", "--method", "fifo")

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "error: --venue: bot 'alpha' traded on binance, paper-binance; choose one (one account each)"
    ]
    chosen = export(db_url, tmp_path, "tax-lots", "--method", "fifo", "--venue", "paper-binance")
    assert chosen.returncode == 0, chosen.stderr
    assert "0 disposal rows (fifo) of bot alpha on paper-binance" in chosen.stderr


def test_from_and_to_select_the_sales_of_a_tax_year(db_url: str, tmp_path: Path) -> None:
    record_run(
        db_url,
        [buy("2", "100", day(0)), sell("1", "150", day(100)), sell("1", "300", day(400))],
        bot="alpha",
    )

    def sales(*window: str) -> list[dict[str, str]]:
        done = export(db_url, tmp_path, "tax-lots", "--method", "fifo", *window)
        assert done.returncode == 0, done.stderr
        return read_csv(done.stdout)

    assert [r["disposed_at"] for r in sales("--from", "2023-01-01", "--to", "2024-01-01")] == [
        "2023-04-11T00:00:00Z"
    ]
    (later,) = sales("--from", "2024-01-01")
    assert (later["acquired_at"], D(later["cost_basis"]), D(later["gain"]), later["term"]) == (
        "2023-01-01T00:00:00Z", D(100), D(200), "long",
    )  # fmt: skip
    assert sales("--to", "2023-04-11") == [], "--to is exclusive"


def test_out_writes_the_csv_to_a_file(db_url: str, tmp_path: Path, two_bots: dict[str, int]) -> None:
    target = tmp_path / "lots.csv"

    done = export(db_url, tmp_path, "tax-lots", "--method", "fifo", "--out", str(target))

    assert (done.returncode, done.stdout) == (0, "")
    assert target.read_text() == export(db_url, tmp_path, "tax-lots", "--method", "fifo").stdout
    assert f"written to {target}" in done.stderr


BAD_OPTIONS = {
    "average": (("--method", "average"), "--method 'average': one of fifo, lifo, hifo"),
    "no method": ((), "--method: required, one of fifo, lifo, hifo"),
    "run and bot": (
        ("--method", "fifo", "--run", "1", "--bot", "alpha"),
        "--run goes alone: give --run ID (one run) or --bot NAME [--venue V] (a bot's runs)",
    ),
    "not a date": (
        ("--method", "fifo", "--from", "last year"),
        "--from 'last year': not a date (YYYY-MM-DD or ISO-8601 date-time)",
    ),
    "from after to": (
        ("--method", "fifo", "--from", "2024-01-01", "--to", "2023-01-01"),
        "--from 2024-01-01 is not before --to 2023-01-01: nothing between them",
    ),
    "zero days": (
        ("--method", "fifo", "--long-term-days", "0"),
        "--long-term-days 0: a whole number of days, at least 1",
    ),
}


@pytest.mark.parametrize(("args", "message"), BAD_OPTIONS.values(), ids=BAD_OPTIONS.keys())
def test_a_bad_option_ends_with_one_line_and_exit_2_before_the_db_is_read(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = export(f"sqlite:///{tmp_path / 'none.sqlite'}", tmp_path, "tax-lots", *args)

    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [f"error: {message}"])
    assert not (tmp_path / "none.sqlite").exists()


def test_a_run_or_bot_the_db_does_not_hold_ends_with_exit_1(
    db_url: str, tmp_path: Path, two_bots: dict[str, int]
) -> None:
    no_run = export(db_url, tmp_path, "fills", "--run", "99")
    offline_only = export(db_url, tmp_path, "tax-lots", "--method", "fifo", "--bot", "gamma")

    assert no_run.returncode == offline_only.returncode == 1
    assert no_run.stderr.startswith("error: no run 99 in the audit DB at ")
    assert no_run.stderr.rstrip().endswith(f"(the latest is run {two_bots['alpha_sim']})")
    assert offline_only.stderr.startswith("error: bot 'gamma' has no run on an exchange in the audit DB")
    assert len(offline_only.stderr.splitlines()) == 1


def test_an_export_before_any_run_creates_no_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    done = spotbot("export", "fills", cwd=tmp_path, env={"SPOTBOT_BOT__DATA_DIR": str(data_dir)})

    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        f"error: no run yet: there is no audit DB at sqlite:///{data_dir}/spotbot.sqlite"
    ]
    assert not data_dir.exists()


def test_an_export_of_a_db_without_runs_leaves_it_as_it_was(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url)
    revision = current_revision(db_url)

    done = export(db_url, tmp_path, "tax-lots", "--method", "hifo")

    assert done.returncode == 1
    assert done.stderr.startswith("error: no run yet: the audit DB at ") and "has no runs" in done.stderr
    assert current_revision(db_url) == revision


def test_fills_are_exported_in_koinlys_universal_format(db_url: str, tmp_path: Path) -> None:
    run_id = record_run(
        db_url,
        [
            buy("0.5", "20000", day(0), fee="0.0005", fee_currency="BTC", trade_id="11"),
            sell("0.4995", "21000", day(1), fee="10.4895", trade_id="12"),
            buy("1", "1500", day(2), fee="0.003", fee_currency="BNB", symbol="ETH/USDT", trade_id="13"),
        ],
        bot="alpha",
    )
    record_run(db_url, [buy("9", "1", day(1), trade_id="99")], bot="beta")

    done = export(db_url, tmp_path, "fills")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,"
        "Net Worth Amount,Net Worth Currency,Label,Description,TxHash"
    )
    rows = read_csv(done.stdout)
    assert [(r["Date"], r["Sent Amount"], r["Sent Currency"], r["Received Amount"], r["Received Currency"],
             r["Fee Amount"], r["Fee Currency"], r["TxHash"]) for r in rows] == [
        ("2023-01-01T00:00:00Z", "10000", "USDT", "0.5", "BTC", "0.0005", "BTC", "binance:11"),
        ("2023-01-02T00:00:00Z", "0.4995", "BTC", "10489.5", "USDT", "10.4895", "USDT", "binance:12"),
        ("2023-01-03T00:00:00Z", "1500", "USDT", "1", "ETH", "0.003", "BNB", "binance:13"),
    ]  # fmt: skip
    assert {(r["Net Worth Amount"], r["Label"]) for r in rows} == {("", "")}, "no fiat value invented"
    assert rows[0]["Description"] == f"spotbot buy 0.5 BTC/USDT at 20000, run {run_id}, order sb-binance-11"
    moved: dict[str, Decimal] = {}
    for row in rows:  # what the account gained and lost: received - sent - fee, per currency
        for side, sign in (("Received", 1), ("Sent", -1), ("Fee", -1)):
            currency = row[f"{side} Currency"]
            moved[currency] = moved.get(currency, D(0)) + sign * D(row[f"{side} Amount"])
    assert moved == {
        "BTC": D("0.5") - D("0.0005") - D("0.4995"),
        "USDT": D("0.4995") * 21000 - D("10.4895") - D(10000) - D(1500),
        "ETH": D(1),
        "BNB": D("-0.003"),
    }


def test_fills_from_and_to_keep_the_fills_in_between(db_url: str, tmp_path: Path) -> None:
    record_run(db_url, [buy("1", "1", day(0)), sell("1", "2", day(1)), buy("1", "3", day(2))], bot="alpha")

    done = export(db_url, tmp_path, "fills", "--from", "2023-01-02", "--to", "2023-01-03")

    assert done.returncode == 0, done.stderr
    assert [r["Date"] for r in read_csv(done.stdout)] == ["2023-01-02T00:00:00Z"]
    assert decimals(read_csv(done.stdout), "Received Amount") == [D(2)]
    assert "1 fills of bot alpha on binance" in done.stderr
