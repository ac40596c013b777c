"""Alerts reach a local receiver through apprise (``json://127.0.0.1:PORT/...``), as a user's webhook
would get them: for a halt, for a stop that could not be placed, never twice in a burst, and a stuck
receiver never holds up the code that logged."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import structlog

from bot.app.alerts import alerting
from bot.app.logging_setup import configure_logging, reset_logging
from bot.domain.secrets import clear_secrets, register_secrets


class Receiver:
    """A webhook on 127.0.0.1 that records every JSON body posted to it; ``gate`` holds its answers."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        self.gate = threading.Event()
        self.gate.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.arrived:
                    receiver.bodies.append(body)
                    receiver.arrived.notify_all()
                receiver.gate.wait(30)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.bodies) >= count, timeout=30), self.bodies
            return list(self.bodies)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.gate.set()
    found.server.shutdown()


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[structlog.stdlib.BoundLogger]:
    configure_logging("WARNING", "json", stream=None, file=tmp_path / "bot.log")
    yield structlog.get_logger("bot.core.trading_control")
    reset_logging()
    clear_secrets()


def test_a_halt_and_a_stop_that_could_not_be_placed_reach_the_receiver(
    receiver: Receiver, logs: structlog.stdlib.BoundLogger
) -> None:
    with alerting([receiver.url], "alertbot", min_interval_s=300) as notifier:
        logs.warning("trading_state_changed", state="halted", reason="max_drawdown", actor="engine")
        logs.error("stop_refused_closing_position", symbol="BTC/USDT", stop_price="41000")
        logs.warning("stop_limit_triggered_unfilled", symbol="BTC/USDT")  # a warning, not an alert
        halt, stop = receiver.wait_for(2)
    assert notifier is not None and notifier.sent == 2
    assert halt["title"] == "spotbot alertbot: trading state changed"
    assert "state: halted" in halt["message"] and "reason: max_drawdown" in halt["message"]
    assert stop["title"] == "spotbot alertbot: stop refused closing position"
    assert "symbol: BTC/USDT" in stop["message"]
    assert len(receiver.bodies) == 2


def test_a_burst_of_the_same_alert_is_sent_once_and_counted_into_the_next(
    receiver: Receiver, logs: structlog.stdlib.BoundLogger
) -> None:
    with (
        alerting([receiver.url], "alertbot", min_interval_s=0.0) as fast,
        alerting([receiver.url], "other", min_interval_s=3600) as slow,
    ):
        assert fast is not None and slow is not None
        for _ in range(3):
            logs.error("fill_of_unknown_order", client_order_id="x1")
    received = receiver.wait_for(4)
    assert sum(body["title"].startswith("spotbot other:") for body in received) == 1  # rate-limited
    assert sum(body["title"].startswith("spotbot alertbot:") for body in received) == 3  # no limit


def test_a_stuck_receiver_never_holds_up_the_code_that_logs(
    receiver: Receiver, logs: structlog.stdlib.BoundLogger
) -> None:
    receiver.gate.clear()  # the receiver takes the first alert and never answers
    done = threading.Event()
    with alerting([receiver.url], "alertbot", min_interval_s=0.0):
        receiver.wait_for(0)

        def trade() -> None:
            logs.error("exchange_fatal_error_halting", error="first")
            receiver.wait_for(1)  # the sender is now stuck on the receiver
            for i in range(50):
                logs.error("exchange_fatal_error_halting", error=f"again {i}")
            done.set()

        worker = threading.Thread(target=trade)
        worker.start()
        worker.join(timeout=30)
        assert done.is_set(), "logging waited on the stuck receiver"
        receiver.gate.set()


def test_secrets_never_reach_the_receiver(receiver: Receiver, logs: structlog.stdlib.BoundLogger) -> None:
    register_secrets("sk-canary-42aa")
    with alerting([receiver.url], "alertbot", min_interval_s=300):
        logs.error("exchange_key_refused", detail="key sk-canary-42aa refused")
        [body] = receiver.wait_for(1)
    assert "sk-canary-42aa" not in json.dumps(body)
    assert "**********" in body["message"]


def test_without_urls_nothing_is_installed() -> None:
    before = list(logging.getLogger().handlers)
    with alerting([], "alertbot", min_interval_s=300) as notifier:
        assert notifier is None and logging.getLogger().handlers == before


def test_the_daemon_alerts_when_its_drawdown_breaker_halts_it(receiver: Receiver, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\nname = "alertd"\ndata_dir = "{tmp_path}"\n'
        '[market]\nsymbols = ["BTC/USDT"]\ntimeframe = "5m"\nreplay_speed = 5000\n'
        "[market.sim]\ncandles = 2000\n"
        '[risk]\nmax_drawdown = "0.003"\n'
    )
    env = {**os.environ, "SPOTBOT_NOTIFY__URLS": json.dumps([receiver.url])}
    command = [sys.executable, "-m", "bot", "run", "--config", str(config), "--log-format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    halts = [b for b in receiver.bodies if "reason: max_drawdown" in b["message"]]
    assert halts and halts[0]["title"] == "spotbot alertd: trading state changed"
    assert receiver.url.split("//")[1] not in done.stdout + done.stderr  # the URL is a secret


def test_a_daily_summary_goes_out_at_each_midnight(
    receiver: Receiver, logs: structlog.stdlib.BoundLogger
) -> None:
    waits = iter([0.0, 3600.0])  # the first midnight at once, the next far away

    def compose() -> tuple[str, str]:
        return "spotbot alertbot: daily summary", "equity 10,012.50 USDT (drawdown 0.40 %)"

    with alerting([receiver.url], "alertbot", min_interval_s=300, summary=compose,
                  summary_wait_s=lambda: next(waits)):  # fmt: skip
        [body] = receiver.wait_for(1)
    assert body["title"] == "spotbot alertbot: daily summary" and "equity 10,012.50 USDT" in body["message"]
    assert len(receiver.bodies) == 1


def test_a_stop_the_venue_refuses_reaches_the_receiver_from_the_stop_keeper(
    receiver: Receiver, logs: structlog.stdlib.BoundLogger
) -> None:
    """Through the engine's own stop path: the venue refuses the protective stop after an entry fill
    (the market is already below it), the keeper closes the position at market, and a human is told."""
    from decimal import Decimal

    from bot.domain import InvalidOrder
    from tests.engine.test_execution import T0, Setup, entry

    s = Setup()
    with alerting([receiver.url], "alertbot", min_interval_s=300):
        s.executor.submit(entry(), T0)
        s.broker.fill("sbi1n0", Decimal(100), T0)
        s.broker.place_errors.append(InvalidOrder("stop price would trigger immediately"))
        s.executor.apply_update(s.broker.poll(T0), T0)
        [body] = receiver.wait_for(1)
    assert body["title"] == "spotbot alertbot: stop refused closing position"
    assert "symbol: BTC/USDT" in body["message"] and "stop_price: 95" in body["message"]


def test_alerts_refuse_a_log_level_that_would_silence_them(tmp_path: Path) -> None:
    """A state change is logged at WARNING: with logging.level ERROR no alert could ever be picked up."""
    from bot.app.settings import ConfigError, load_settings

    config = tmp_path / "bot.toml"
    config.write_text('[logging]\nlevel = "ERROR"\n')
    with pytest.raises(
        ConfigError, match=r"logging\.level: 'ERROR' — WARNING or lower while notify\.urls is set"
    ):
        load_settings(config, env={"SPOTBOT_NOTIFY__URLS": '["json://127.0.0.1:9/x"]'})
    assert load_settings(config, env={}).logging.level == "ERROR"  # without alerts it is fine
