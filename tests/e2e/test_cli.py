"""The command line as a user meets it: config check, db upgrade, report, the live guard, the Docker entry."""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.audit import SqlAuditStore
from bot.adapters.audit.migrate import current_revision, head_revision
from bot.core.ports import RunInfo
from bot.domain import TradingState

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-live-do-not-print-7f3a9c"


def spotbot(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, command: tuple[str, ...] = ("-m", "bot")
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_config_check_prints_the_effective_settings_with_secrets_redacted() -> None:
    done = spotbot(
        "config", "check", "config/live.example.toml",
        env={"SPOTBOT_EXCHANGE__API_KEY": SECRET, "SPOTBOT_EXCHANGE__API_SECRET": SECRET + "x"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "**********" in done.stdout
    assert '"mode": "live"' in done.stdout and "is valid" in done.stdout


def test_config_check_names_a_typo_and_refuses_it(tmp_path: Path) -> None:
    config = tmp_path / "typo.toml"
    config.write_text('[risk]\nrisk_per_trad = "0.01"\n')
    done = spotbot("config", "check", str(config))
    assert done.returncode == 2
    assert "risk.risk_per_trad" in done.stderr


def test_db_upgrade_brings_the_audit_db_to_head(tmp_path: Path) -> None:
    done = spotbot("db", "upgrade", env={"SPOTBOT_BOT__DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert current_revision(f"sqlite:///{tmp_path / 'spotbot.sqlite'}") == head_revision()


def test_report_on_an_empty_db_says_there_are_no_runs(tmp_path: Path) -> None:
    spotbot("db", "upgrade", env={"SPOTBOT_BOT__DATA_DIR": str(tmp_path)})
    done = spotbot("report", "--json", env={"SPOTBOT_BOT__DATA_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert "no runs" in done.stderr


def test_halt_then_resume_append_two_events_with_who_did_it(tmp_path: Path) -> None:
    env = {"SPOTBOT_BOT__DATA_DIR": str(tmp_path), "SPOTBOT_BOT__NAME": "bot-e2e"}
    before = datetime.now(UTC)

    halted = spotbot("halt", "--flatten", env=env)
    resumed = spotbot("resume", "--reason", "checked the exchange", env=env)

    assert halted.returncode == 0, halted.stderr
    assert resumed.returncode == 0, resumed.stderr
    assert "HALTED (kill_switch, flatten)" in halted.stdout
    assert "ACTIVE (checked the exchange)" in resumed.stdout
    actor = f"cli:{getpass.getuser()}@{socket.gethostname()}"
    with SqlAuditStore(f"sqlite:///{tmp_path / 'spotbot.sqlite'}", venue="paper") as store:
        events = store.trading_state_events("bot-e2e")
    assert [(e.state, e.reason, e.actor, e.flatten, e.run_id) for e in events] == [
        (TradingState.HALTED, "kill_switch", actor, True, None),
        (TradingState.ACTIVE, "checked the exchange", actor, False, None),
    ]
    assert before <= events[0].occurred_at <= events[1].occurred_at <= datetime.now(UTC)


def test_report_json_shows_the_current_trading_state(tmp_path: Path) -> None:
    env = {"SPOTBOT_BOT__DATA_DIR": str(tmp_path)}
    url = f"sqlite:///{tmp_path / 'spotbot.sqlite'}"
    spotbot("db", "upgrade", env=env)
    with SqlAuditStore(url, venue="paper") as store:
        started = datetime(2024, 1, 1, tzinfo=UTC)
        run_id = store.start_run(
            RunInfo(started, "paper", "paper", "0", "hash", {"bot": {"name": "spotbot"}})
        )

    before = json.loads(spotbot("report", "--json", env=env).stdout)
    halted = spotbot("halt", "--reason", "news spike", env=env)
    after = spotbot("report", "--json", env=env)
    shown = spotbot("report", env=env)

    assert before["trading_state"] is None
    assert f"(run {run_id})" in halted.stdout
    assert after.returncode == 0, after.stderr
    state = json.loads(after.stdout)["trading_state"]
    assert state["state"] == "halted"
    assert state["reason"] == "news spike"
    assert state["actor"] == f"cli:{getpass.getuser()}@{socket.gethostname()}"
    assert datetime.fromisoformat(state["since"]) > started
    assert "HALTED (news spike)" in shown.stdout


def test_live_mode_without_the_live_flag_refuses_to_start() -> None:
    done = spotbot(
        "run", "--config", "config/live.example.toml",
        env={"SPOTBOT_EXCHANGE__API_KEY": SECRET, "SPOTBOT_EXCHANGE__API_SECRET": SECRET},
    )  # fmt: skip
    assert done.returncode == 2
    assert "--live" in done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_the_docker_image_entry_command_runs_the_offline_demo(tmp_path: Path) -> None:
    """No Docker engine here: run the Dockerfile's ENTRYPOINT + CMD as the image would, from /app's layout."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    assert entrypoint == ["spotbot"]
    console_script = shutil.which("spotbot", path=str(Path(sys.executable).parent))
    assert console_script is not None, "the spotbot console script is installed beside python"
    shutil.copytree(ROOT / "config", tmp_path / "config")  # WORKDIR /app holds config/ and data/
    done = spotbot(*cmd, "--max-ticks", "300", cwd=tmp_path, command=(console_script,))
    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert any(e["event"] == "run_summary" for e in events)
    assert (tmp_path / "data" / "spotbot.sqlite").is_file()


def test_the_command_line_loads_no_heavy_library_until_a_command_needs_it() -> None:
    """`spotbot --help` (and every command's parsing) imports typer and the command definitions only:
    the database, numpy, pydantic, ccxt and the scheduler load inside the command that uses them."""
    heavy = (
        "sqlalchemy",
        "alembic",
        "numpy",
        "pydantic",
        "pydantic_settings",
        "ccxt",
        "apscheduler",
        "structlog",
    )
    probe = f"import sys, bot.app.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []


def test_help_shows_defaults_allowed_values_and_flags_as_a_user_reads_them() -> None:
    """Rich markup used to swallow "[default: ...]" (``--run`` read "Run id .") and show every flag as
    taking a ``<bool>`` value (``--live true`` is refused); choices were not listed."""

    def words(*args: str) -> str:  # the help as words: click wraps it to the terminal
        return " ".join(spotbot(*args).stdout.split())

    run, report = words("run", "--help"), words("report", "--help")
    assert "[default: config/paper.toml if present, else built-in]" in run
    assert "--live Required" in run  # a flag, no value
    assert "<bool>" not in run + report
    assert "--log-format <console|json>" in run
    assert "Run id [default: the latest run]" in report
    assert "--objective <sharpe|calmar|return_dd>" in words("optimize", "--help")

    refused = spotbot("run", "--log-format", "xml")
    assert refused.returncode == 2 and "'xml' is not one of 'console', 'json'" in refused.stderr


def test_version_is_a_root_option_and_a_command() -> None:
    from bot import __version__

    assert spotbot("--version").stdout.strip() == spotbot("version").stdout.strip() == __version__
