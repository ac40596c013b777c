"""Logging: one JSON object per line with bound context, stdlib records routed through, secrets redacted."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app.logging_setup import THIRD_PARTY_LOGGERS, configure_logging, reset_logging
from bot.domain.secrets import MASK, clear_secrets, is_secret_key, register_secrets, scrub_text

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *THIRD_PARTY_LOGGERS)}
    yield
    reset_logging()
    clear_secrets()
    structlog.contextvars.clear_contextvars()
    for name, level in levels.items():
        (logging.getLogger(name) if name else root).setLevel(level)


def _json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_format_writes_one_object_per_line_with_bound_context() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    log = structlog.get_logger("bot.core.engine")

    structlog.contextvars.bind_contextvars(strategy="ma_cross", symbol="BTC/USDT", tick_id=7)
    log.info("order_submitted", client_order_id="sb-1", price=Decimal("42000.5"))
    log.warning("multi\nline", note='quote " and \\ backslash')

    first, second = _json_lines(stream)
    assert first["event"] == "order_submitted"
    assert first["strategy"] == "ma_cross" and first["symbol"] == "BTC/USDT" and first["tick_id"] == 7
    assert first["price"] == "42000.5"
    assert first["level"] == "info"
    assert first["logger"] == "bot.core.engine"
    assert first["timestamp"].endswith("Z")
    assert datetime.fromisoformat(first["timestamp"]).tzinfo == UTC
    assert second["event"] == "multi\nline"


def test_levels_below_the_configured_one_are_dropped() -> None:
    stream = io.StringIO()
    configure_logging("WARNING", "json", stream=stream)
    log = structlog.get_logger("bot.core.engine")

    log.info("chatty")
    log.warning("important")

    assert [line["event"] for line in _json_lines(stream)] == ["important"]


def test_at_error_only_errors_exceptions_and_critical_lines_are_written() -> None:
    stream = io.StringIO()
    configure_logging("ERROR", "json", stream=stream)
    log = structlog.get_logger("bot.core.engine")
    for method in ("debug", "info", "warning", "error", "critical"):
        getattr(log, method)(method)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed")

    lines = _json_lines(stream)
    assert [line["event"] for line in lines] == ["error", "critical", "failed"]
    assert "RuntimeError: boom" in lines[-1]["exception"]


def test_secret_named_keys_are_masked_at_any_depth() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)

    structlog.get_logger("bot.ccxt").info(
        "request_sent",
        api_key=API_KEY,
        apiKey=API_KEY,
        password="hunter2",
        headers={"X-MBX-APIKEY": API_KEY, "Content-Type": "application/json"},
        params=[{"signature": "ab" * 32, "symbol": "BTCUSDT"}],
        token="t0ken",
        symbol="BTC/USDT",
    )

    (line,) = _json_lines(stream)
    assert line["api_key"] == line["apiKey"] == line["password"] == line["token"] == MASK
    assert line["headers"] == {"X-MBX-APIKEY": MASK, "Content-Type": "application/json"}
    assert line["params"] == [{"signature": MASK, "symbol": "BTCUSDT"}]
    assert line["symbol"] == "BTC/USDT"
    assert API_KEY not in stream.getvalue()


def test_registered_secrets_are_scrubbed_from_strings_exceptions_and_stdlib_records() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    register_secrets(API_KEY, None, "")
    log = structlog.get_logger("bot.adapter")

    log.info(f"calling with {API_KEY}", url=f"https://api.example/x?k={API_KEY}", notes=[f"a{API_KEY}b"])
    try:
        raise RuntimeError(f"exchange said: bad key {API_KEY}")
    except RuntimeError:
        log.exception("call_failed")
    logging.getLogger("ccxt.base.exchange").warning("GET /api/v3/account headers %s", {"key": API_KEY})

    text = stream.getvalue()
    assert API_KEY not in text
    lines = _json_lines(stream)
    assert lines[0]["event"] == f"calling with {MASK}"
    assert lines[0]["notes"] == [f"a{MASK}b"]
    assert "RuntimeError: exchange said: bad key " + MASK in lines[1]["exception"]
    assert lines[2]["logger"] == "ccxt.base.exchange" and MASK in lines[2]["event"]


def test_inline_credentials_in_free_text_are_masked() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)

    logging.getLogger("ccxt").warning(
        "POST /api/v3/order body symbol=BTCUSDT&signature=%s headers {'X-MBX-APIKEY': 'abcDEF123'}", "f0" * 32
    )
    logging.getLogger("sqlalchemy").warning("connect to postgresql://bot:s3cr3t-pw@db/spotbot")

    text = stream.getvalue()
    assert "f0" * 32 not in text and "abcDEF123" not in text and "s3cr3t-pw" not in text
    assert "symbol=BTCUSDT" in text


def test_third_party_loggers_are_held_at_warning_by_default() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)

    logging.getLogger("sqlalchemy.engine").info("SELECT 1")
    logging.getLogger("apscheduler.scheduler").info("job added")
    logging.getLogger("alembic.runtime").warning("migration needed")
    structlog.get_logger("bot.core.engine").debug("tick")

    assert [(line["logger"], line["event"]) for line in _json_lines(stream)] == [
        ("alembic.runtime", "migration needed"),
        ("bot.core.engine", "tick"),
    ]


def test_configuring_twice_replaces_the_first_configuration() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "json", stream=first)
    configure_logging("INFO", "json", stream=second)

    structlog.get_logger("bot.core.engine").info("once")
    logging.getLogger("ccxt").warning("once too")

    assert first.getvalue() == ""
    assert [line["event"] for line in _json_lines(second)] == ["once", "once too"]


def test_console_format_is_key_value_and_redacted() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "console", stream=stream)
    register_secrets(API_KEY)

    structlog.get_logger("bot.core.engine").info(
        "order_filled", price=Decimal("1.5"), api_secret="x", note=API_KEY
    )

    text = stream.getvalue()
    assert "order_filled" in text and "price=1.5" in text
    assert f"api_secret={MASK}" in text
    assert API_KEY not in text
    assert "\x1b[" not in text, "no colours when the stream is not a terminal"


def test_a_log_file_gets_json_lines_and_the_stream_can_be_turned_off(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "spotbot.jsonl"
    configure_logging("INFO", "console", stream=None, file=log_file)

    structlog.get_logger("bot.core.engine").info("started", api_key=API_KEY)
    reset_logging()  # closes the file

    (line,) = [json.loads(text) for text in log_file.read_text().splitlines()]
    assert line["event"] == "started" and line["api_key"] == MASK


def test_bad_level_or_format_is_refused() -> None:
    with pytest.raises(ValueError, match="not a log level"):
        configure_logging("LOUD", "json", stream=io.StringIO())
    with pytest.raises(ValueError, match="allowed: console, json"):
        configure_logging("INFO", "xml", stream=io.StringIO())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "key",
    ["api_key", "apiKey", "API_SECRET", "secret", "password", "X-MBX-APIKEY", "signature", "access_token"],
)
def test_secret_looking_key_names(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["symbol", "price", "client_order_id", "event", "strategy", "order_id", "side"]
)
def test_ordinary_key_names(key: str) -> None:
    assert not is_secret_key(key)


# A secret: 8+ letters and digits with at least one of each, so that it cannot be mistaken for part of
# the fixed output (key names, level names) that the test does not control.
secrets_ = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=64
).filter(lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    secret=secrets_,
    before=st.text(max_size=20),
    after=st.text(max_size=20),
    fmt=st.sampled_from(["json", "console"]),
)
def test_a_registered_secret_never_appears_in_the_output(
    secret: str, before: str, after: str, fmt: str
) -> None:
    clear_secrets()
    stream = io.StringIO()
    configure_logging("INFO", fmt, stream=stream)  # type: ignore[arg-type]
    register_secrets(secret)
    embedded = before + secret + after
    structlog.contextvars.bind_contextvars(context=embedded)

    structlog.get_logger("bot.prop").info(embedded, value=embedded, nested={"deep": [embedded, (embedded,)]})
    logging.getLogger("ccxt").warning("%s", embedded)
    structlog.contextvars.clear_contextvars()

    assert secret not in stream.getvalue()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["api_key", "X-MBX-APIKEY", "Password", "token", "sig", "=", ":", " ", '"', "://",
                         "u:p@h", "abc", "9f3", "&", "secret", "tick=5", "at=2024-01-01T00:00:00"]),
        max_size=12,
    ).map("".join)
)  # fmt: skip
def test_the_quick_checks_before_the_scrubbing_patterns_never_skip_a_match(text: str) -> None:
    from bot.domain.secrets import _INLINE_SECRET, _URL_PASSWORD  # the patterns themselves, unguarded

    slow = _INLINE_SECRET.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
    slow = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['at']}", slow)
    assert scrub_text(text) == slow


def test_decimals_are_logged_in_positional_notation_in_both_formats(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "console", stream=stream, file=tmp_path / "bot.jsonl")
    log = structlog.get_logger("bot.core.execution")

    log.info("order_submitted", price=Decimal("6.5E+4"), quantity=Decimal("1E-7"), fees=[Decimal("2E+1")])

    (line,) = [json.loads(text) for text in (tmp_path / "bot.jsonl").read_text().splitlines()]
    assert (line["price"], line["quantity"], line["fees"]) == ("65000", "0.0000001", ["20"])
    assert "price=65000" in stream.getvalue() and "E+" not in stream.getvalue()
