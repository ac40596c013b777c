"""Injected faults as the real ccxt client sees them."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import ccxt
import pytest

from tests.fake_exchange.fixture import FakeExchange, RemoteFakeExchange, ccxt_config

SYMBOL = "BTC/USDT"
REPO_ROOT = Path(__file__).resolve().parents[2]


def client(fx: Any, **overrides: Any) -> Any:
    exchange = ccxt.binance(ccxt_config(fx.url, enableRateLimit=False, **overrides))
    exchange.load_markets()
    return exchange


def wait_until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("kind", "params", "error"),
    [
        ("status", {"status": 503}, ccxt.ExchangeNotAvailable),
        ("raw", {"status": 502}, ccxt.ExchangeNotAvailable),
        ("status", {"status": 429}, ccxt.DDoSProtection),
        ("status", {"status": 418}, ccxt.DDoSProtection),
        ("code", {"code": -1003, "status": 400}, ccxt.RateLimitExceeded),
        ("code", {"code": -1021}, ccxt.InvalidNonce),
        ("code", {"code": -1000, "status": 500}, ccxt.OperationFailed),
    ],
)
def test_injected_fault_maps_to_the_ccxt_error(
    fake_exchange: FakeExchange, kind: str, params: Any, error: Any
) -> None:
    exchange = client(fake_exchange)
    fake_exchange.fail("GET", "/api/v3/ticker/24hr", kind, **params)
    with pytest.raises(error):
        exchange.fetch_ticker(SYMBOL)
    assert exchange.fetch_ticker(SYMBOL)["last"] == 60_000  # one-shot fault: the next call passes


def test_429_carries_retry_after(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.fail("GET", "/api/v3/account", "status", status=429, retry_after=7)
    with pytest.raises(ccxt.DDoSProtection):
        exchange.fetch_balance()
    assert exchange.last_response_headers["Retry-After"] == "7"


def test_fault_applies_to_the_next_n_matching_requests_only(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.fail("*", "/api/v3/ticker/*", "status", times=2, status=503)
    exchange.fetch_balance()
    for _ in range(2):
        with pytest.raises(ccxt.ExchangeNotAvailable):
            exchange.fetch_ticker(SYMBOL)
    exchange.fetch_ticker(SYMBOL)
    assert [e["fault"] for e in fake_exchange.log(path="/api/v3/ticker/24hr")] == ["status", "status", None]


def test_server_clock_skew_gives_invalid_nonce(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.set_clock_offset(60_000)
    with pytest.raises(ccxt.InvalidNonce):
        exchange.fetch_balance()


def test_drop_after_accept_loses_the_answer_but_not_the_order(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.fail("POST", "/api/v3/order", "drop_after_accept")
    with pytest.raises(ccxt.NetworkError):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-lost-1"})
    assert [o["status"] for o in fake_exchange.orders_by_client_id("bot-lost-1")] == ["NEW"]
    assert exchange.fetch_order(None, SYMBOL, {"clientOrderId": "bot-lost-1"})["status"] == "open"


def test_drop_before_accept_creates_nothing(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.fail("POST", "/api/v3/order", "drop")
    with pytest.raises(ccxt.NetworkError):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-never"})
    assert fake_exchange.orders_by_client_id("bot-never") == []


def test_latency_past_the_client_timeout_raises_request_timeout(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange, timeout=300)
    fake_exchange.fail("POST", "/api/v3/order", "latency", seconds=0.8)
    with pytest.raises(ccxt.RequestTimeout):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-slow-1"})
    wait_until(lambda: len(fake_exchange.orders_by_client_id("bot-slow-1")) == 1)


def test_chaos_with_the_same_seed_repeats_the_same_faults() -> None:
    def faults_seen(seed: int) -> list[Any]:
        with FakeExchange() as fx:
            exchange = client(fx)
            fx.chaos(seed=seed, rate=0.3, kinds=["status", {"kind": "code", "code": -1021}])
            for _ in range(30):
                with contextlib.suppress(ccxt.BaseError):
                    exchange.fetch_ticker(SYMBOL)
            return [e["fault"] for e in fx.log(path="/api/v3/ticker/24hr")]

    first = faults_seen(1)
    assert first == faults_seen(1)
    assert {"status", "code", None} == set(first)


def test_reset_restores_the_initial_state(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000)
    fake_exchange.fail("*", "*", "status", times=5)
    fake_exchange.reset()
    state = fake_exchange.state()
    assert (state["orders"], state["trades"], fake_exchange.log()) == ([], [], [])
    assert state["balances"]["USDT"]["free"] == "10000.00000000"


def test_standalone_server_is_controlled_over_http() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_exchange", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[-1]
        remote = RemoteFakeExchange(url)
        remote.set_price("BTCUSDT", 62_000)
        exchange = client(remote)
        assert exchange.fetch_ticker(SYMBOL)["last"] == 62_000
        remote.fail("GET", "/api/v3/ticker/24hr", "status", status=503)
        with pytest.raises(ccxt.ExchangeNotAvailable):
            exchange.fetch_ticker(SYMBOL)
        assert remote.state()["prices"]["BTCUSDT"] == "62000"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_a_late_request_executes_after_the_client_gave_up_if_still_within_recv_window(
    fake_exchange: FakeExchange,
) -> None:
    exchange = client(fake_exchange, timeout=300)  # ccxt sends recvWindow=10000 by default
    fake_exchange.fail("POST", "/api/v3/order", "latency", seconds=0.8)
    with pytest.raises(ccxt.RequestTimeout):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-late"})
    assert fake_exchange.orders_by_client_id("bot-late") == [], "not executed yet when the client gave up"
    wait_until(lambda: len(fake_exchange.orders_by_client_id("bot-late")) == 1)


def test_a_request_delayed_past_its_recv_window_never_executes(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange, timeout=300, options={"recvWindow": 500})
    fake_exchange.fail("POST", "/api/v3/order", "latency", seconds=0.8)
    with pytest.raises(ccxt.RequestTimeout):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-too-late"})
    wait_until(lambda: any(e["status"] for e in fake_exchange.log(path="/api/v3/order", method="POST")))
    (entry,) = fake_exchange.log(path="/api/v3/order", method="POST")
    assert entry["status"] == 400, "refused with -1021 when it reached the matching engine"
    assert fake_exchange.orders_by_client_id("bot-too-late") == []


def test_a_truncated_answer_hides_an_order_that_was_placed(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.fail("POST", "/api/v3/order", "truncate", keep=30)
    hollow = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-cut"})
    assert hollow["id"] is None, "ccxt raises nothing for a body it cannot parse"
    assert len(fake_exchange.orders_by_client_id("bot-cut")) == 1


def test_a_non_json_200_is_not_an_error_to_ccxt_but_a_hollow_order(fake_exchange: FakeExchange) -> None:
    """Worth knowing for the adapter: ccxt returns an order with no id instead of raising."""
    exchange = client(fake_exchange)
    fake_exchange.fail("POST", "/api/v3/order", "raw")
    hollow = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-raw"})
    assert (hollow["id"], hollow["status"]) == (None, None)
    assert fake_exchange.orders_by_client_id("bot-raw") == []


def test_the_request_log_keeps_params_but_not_the_signature(fake_exchange: FakeExchange) -> None:
    client(fake_exchange).fetch_balance()
    (entry,) = fake_exchange.log(path="/api/v3/account")
    assert entry["signed"] and "timestamp" in entry["params"] and "signature" not in entry["params"]
    assert (entry["status"], entry["fault"]) == (200, None)
