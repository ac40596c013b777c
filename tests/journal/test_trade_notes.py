"""``spotbot journal note TRADE_ID "..."``: notes are appended (two notes on one trade are both kept, in
order, with who wrote them), shown by ``spotbot report`` (plain and ``--json``) and the API's
``/api/v1/trades``; an unknown or malformed trade id ends with one line naming it and how to list trades.
(That the database itself refuses to change or remove a note: test_journal_migration.py.)"""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.adapters.audit import SqlAuditStore
from bot.app.api.routes import create_api
from bot.app.api.service import ApiService, Watched
from bot.app.cli import app as cli
from bot.app.daemon import Heartbeat
from bot.domain.clock import SystemClock
from tests.journal.scripted import Buy, Sell, config, run_daemon

PLAN = {5: Buy("95", "2"), 12: Sell()}


def test_two_notes_on_one_trade_are_both_kept_and_shown_everywhere(tmp_path: Path, db_url: str) -> None:
    app, _ = run_daemon(tmp_path, db_url, {}, PLAN)
    path = str(config(tmp_path, db_url))
    trade = f"{app.run_id}-1"
    runner = CliRunner()

    first = runner.invoke(cli, ["journal", "note", trade, "entered late: news spike", "--config", path])
    second = runner.invoke(cli, ["journal", "note", trade, "exit was right", "--config", path])

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    actor = f"cli:{getpass.getuser()}@{socket.gethostname()}"
    assert f"added to trade {trade} by {actor}" in first.output
    shown = runner.invoke(cli, ["report", "--json", "--config", path])
    [entry] = json.loads(shown.stdout)["trades"]
    assert entry["id"] == trade
    assert [(n["text"], n["actor"]) for n in entry["notes"]] == [
        ("entered late: news spike", actor), ("exit was right", actor)
    ]  # fmt: skip
    plain = runner.invoke(cli, ["report", "--config", path], terminal_width=200).stdout
    assert f"{trade} " in plain and "entered late: news spike" in plain and "exit was right" in plain

    with SqlAuditStore(db_url, venue="paper") as store:
        service = ApiService(app.settings, store, Watched.of(app, Heartbeat(60.0)), SystemClock())
        api = TestClient(create_api(service, token=None, token_name="ops", protect_reads=False))
        [served] = api.get("/api/v1/trades").json()["items"]
    assert served == entry


def test_an_unknown_trade_is_refused_in_one_line_naming_it(tmp_path: Path, db_url: str) -> None:
    app, _ = run_daemon(tmp_path, db_url, {}, PLAN)
    path = str(config(tmp_path, db_url))
    runner = CliRunner()

    for trade, says in [
        (f"{app.run_id}-2", f"no trade {app.run_id}-2: run {app.run_id} closed 1 trade(s) "
                            f"(list them with spotbot report --run {app.run_id})"),
        ("9-1", "no trade 9-1: the audit DB at"),
        ("last", "trade id 'last' is not RUN-N (e.g. 3-2: run 3's second trade)"),
    ]:  # fmt: skip
        refused = runner.invoke(cli, ["journal", "note", trade, "text", "--config", path])
        assert refused.exit_code == 2, refused.output
        assert says in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    empty = runner.invoke(cli, ["journal", "note", f"{app.run_id}-1", "  ", "--config", path])
    assert empty.exit_code == 2 and "the note is empty" in empty.stderr
    with SqlAuditStore(db_url, venue="paper") as store:
        assert store.latest_run_id() == app.run_id
    shown = json.loads(runner.invoke(cli, ["report", "--json", "--config", path]).stdout)
    assert shown["trades"][0]["notes"] == []
