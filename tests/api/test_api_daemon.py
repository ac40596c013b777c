"""The API served by a real ``spotbot run``: found at the address it logs, answering while the daemon
ticks, a stuck client delaying no tick, and a halt over HTTP taken up like ``spotbot halt``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.adapters.audit import SqlAuditStore
from bot.domain import TradingState

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-canary-0b7c41"


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def running_daemon(
    tmp_path: Path, db_url: str, name: str, port: int = 0
) -> Iterator[tuple[str, httpx.Client]]:
    """``spotbot run`` with its API on a free port and a token; yields its address and a client, and
    stops it with SIGTERM (it must exit 0, no token in its output)."""
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\nname = "{name}"\ndata_dir = "{tmp_path}"\ndatabase_url = "{db_url}"\n'
        '[market]\nsymbols = ["BTC/USDT"]\ntimeframe = "5m"\nreplay_speed = 40\n'
        "[market.sim]\ncandles = 100000\n"
        f"[api]\nenabled = true\nport = {port}\n"
    )
    env = {**os.environ, "SPOTBOT_API__TOKEN": TOKEN}
    command = [sys.executable, "-m", "bot", "run", "--config", str(config), "--log-format", "json"]
    daemon = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    lines: list[str] = []
    readers = [
        threading.Thread(target=lambda s=s: lines.extend(s), daemon=True)
        for s in (daemon.stdout, daemon.stderr)
    ]
    for reader in readers:  # drained all along: a full pipe would stall the daemon's logging, and its ticks
        reader.start()
    try:
        listening = wait_for(
            lambda: [json.loads(x) for x in list(lines) if '"api_listening"' in x], "the address"
        )
        address = listening[0]["address"]
        with httpx.Client(base_url=address, timeout=10) as client:
            wait_for(lambda: client.get("/ready").status_code == 200, "ready")
            yield address, client
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        for reader in readers:
            reader.join(timeout=10)
    output = "".join(lines)
    assert daemon.returncode == 0, output[-2000:]
    assert TOKEN not in output


def test_the_daemon_serves_the_api_while_it_ticks(tmp_path: Path, db_url: str) -> None:
    with running_daemon(tmp_path, db_url, "apid") as (address, client):
        stuck = socket.create_connection((urlsplit(address).hostname, urlsplit(address).port))
        stuck.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")  # and never finishes the request
        before = client.get("/api/v1/status").json()["ticks"]
        wait_for(lambda: client.get("/api/v1/status").json()["ticks"] >= before + 20, "ticks go on")
        stuck.close()

        assert client.post("/api/v1/halt", json={"reason": "over http"}).status_code == 401
        halted = client.post("/api/v1/halt", json={"reason": "over http"},
                             headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert halted.status_code == 200, halted.text
        assert TOKEN not in client.get("/api/v1/config").text
    with SqlAuditStore(db_url, venue="paper") as store:
        event = store.latest_trading_state("apid")
    assert event is not None and (event.state, event.actor) == (TradingState.HALTED, "api:api")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_status_asks_the_running_daemon_and_the_journal_once_it_stopped(tmp_path: Path, db_url: str) -> None:
    config = tmp_path / "bot.toml"
    env = {**os.environ, "SPOTBOT_API__TOKEN": TOKEN}

    def status() -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-m", "bot", "status", "--config", str(config), "--json"],
                              capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        found: dict[str, Any] = json.loads(done.stdout)
        return found

    with running_daemon(tmp_path, db_url, "stat", port=free_port()) as (_address, client):
        live = status()
        assert (live["source"], live["run"]["status"], live["bot"]) == ("api", "running", "stat")
        assert int(client.get("/api/v1/status").json()["run_id"]) == live["run"]["id"]
    after = status()
    assert (after["source"], after["run"]["status"]) == ("db", "stopped")
    assert after["run"]["id"] == live["run"]["id"]


def test_an_api_open_to_the_network_without_a_token_is_warned_about(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\nname = "open"\ndata_dir = "{tmp_path}"\n[market]\nsymbols = ["BTC/USDT"]\n[market.sim]\n'
        'candles = 300\n[api]\nenabled = true\nhost = "0.0.0.0"\nport = 0\n'
    )
    command = [
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        "--log-format",
        "json",
        "--max-ticks",
        "5",
    ]
    env = {k: v for k, v in os.environ.items() if k != "SPOTBOT_API__TOKEN"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    [warning] = [e for e in events if e["event"] == "api_exposed_without_token"]
    assert warning["level"] == "warning" and warning["address"].startswith("http://0.0.0.0:")
