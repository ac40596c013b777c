"""The ccxt -> domain error table, with real ccxt exception instances and no network."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from bot.adapters.exchange.errors import CallKind, retry_after_seconds, safe_detail, translate
from bot.adapters.exchange.retry import ExchangeCaller, RetryPolicy, Throttle
from bot.domain.errors import (
    FatalBrokerError,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OutcomeUnknown,
    RetryLater,
)

READ, PLACE, CANCEL = CallKind.READ, CallKind.PLACE, CallKind.CANCEL


class StubClient:
    """Just what the translation reads from a ccxt client."""

    apiKey = "my-api-key-123"
    secret = "my-secret-456"

    def __init__(self, headers: dict[str, str] | None = None) -> None:
        self.last_response_headers = headers or {}
        self.time_resyncs = 0

    def load_time_difference(self) -> int:
        self.time_resyncs += 1
        return 42


TABLE: list[tuple[type[ccxt.BaseError], CallKind, type[Exception]]] = [
    (ccxt.OrderNotFound, READ, OrderNotFound),
    (ccxt.OrderNotFound, CANCEL, OrderNotFound),
    (ccxt.InsufficientFunds, PLACE, InsufficientFunds),
    (ccxt.InvalidOrder, PLACE, InvalidOrder),
    (ccxt.BadRequest, PLACE, InvalidOrder),
    (ccxt.BadSymbol, READ, InvalidOrder),
    (ccxt.OrderImmediatelyFillable, PLACE, InvalidOrder),
    (ccxt.AuthenticationError, READ, FatalBrokerError),
    (ccxt.PermissionDenied, PLACE, FatalBrokerError),
    (ccxt.AccountSuspended, READ, FatalBrokerError),
    (ccxt.AccountNotEnabled, READ, FatalBrokerError),
    (ccxt.DDoSProtection, READ, RetryLater),
    (ccxt.DDoSProtection, PLACE, RetryLater),
    (ccxt.RateLimitExceeded, PLACE, RetryLater),
    (ccxt.InvalidNonce, PLACE, RetryLater),
    (ccxt.InvalidNonce, READ, RetryLater),
    (ccxt.RequestTimeout, READ, RetryLater),
    (ccxt.RequestTimeout, PLACE, OutcomeUnknown),
    (ccxt.RequestTimeout, CANCEL, OutcomeUnknown),
    (ccxt.NetworkError, READ, RetryLater),
    (ccxt.NetworkError, PLACE, OutcomeUnknown),
    (ccxt.ExchangeNotAvailable, READ, RetryLater),
    (ccxt.ExchangeNotAvailable, PLACE, OutcomeUnknown),
    (ccxt.OnMaintenance, READ, RetryLater),
    (ccxt.OperationFailed, READ, RetryLater),
    (ccxt.OperationFailed, PLACE, OutcomeUnknown),
    (ccxt.BadResponse, PLACE, OutcomeUnknown),
    (ccxt.ExchangeError, PLACE, InvalidOrder),
    (ccxt.ExchangeError, READ, RetryLater),
    (ccxt.ExchangeError, CANCEL, RetryLater),
    (ccxt.NotSupported, PLACE, InvalidOrder),
]


@pytest.mark.parametrize(("ccxt_error", "kind", "expected"), TABLE, ids=lambda v: getattr(v, "__name__", v))
def test_each_ccxt_error_becomes_what_the_caller_must_do(
    ccxt_error: type[ccxt.BaseError], kind: CallKind, expected: type[Exception]
) -> None:
    error = translate(ccxt_error("binance boom"), operation="op", kind=kind, symbol="BTC/USDT")
    assert type(error) is expected


def test_a_rate_limit_carries_the_retry_after_header() -> None:
    client = StubClient({"Retry-After": "7"})
    error = translate(ccxt.DDoSProtection("binance 429"), operation="fetch_ticker", kind=READ, client=client)
    assert isinstance(error, RetryLater)
    assert error.retry_after == 7.0


def test_retry_after_is_none_without_the_header_or_with_garbage() -> None:
    assert retry_after_seconds(StubClient()) is None
    assert retry_after_seconds(StubClient({"Retry-After": "soon"})) is None
    assert retry_after_seconds(None) is None


def test_an_http_date_retry_after_is_read_relative_to_the_date_header() -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert retry_after_seconds(StubClient(headers)) == 10.0


def test_messages_name_operation_and_symbol_and_never_the_keys_or_signature() -> None:
    client = StubClient()
    raw = ccxt.AuthenticationError(
        "binance GET http://x/api/v3/account?timestamp=1&signature=abcdef key=my-api-key-123 my-secret-456"
    )
    error = translate(raw, operation="fetch_balance", kind=READ, symbol=None, client=client)
    text = str(error)
    assert text.startswith("fetch_balance: AuthenticationError")
    for secret in ("my-api-key-123", "my-secret-456", "signature", "abcdef"):
        assert secret not in text
    placed = translate(ccxt.InsufficientFunds("x"), operation="create_order", kind=PLACE, symbol="ETH/USDT")
    assert "create_order(ETH/USDT)" in str(placed)


def test_safe_detail_shortens_long_bodies() -> None:
    assert len(safe_detail(ccxt.ExchangeError("y" * 5000))) <= 300


# --- the caller: throttle, resync, retries ----------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_caller(client: Any, time: FakeTime, attempts: int = 4) -> ExchangeCaller:
    throttle = Throttle(monotonic=time.monotonic, sleep=time.sleep)
    policy = RetryPolicy(attempts=attempts, initial=0.1, maximum=1.0, jitter=0.0, rate_limit_pause=3.0)
    return ExchangeCaller(client, throttle=throttle, policy=policy, sleep=time.sleep)


def failing(times: int, error: ccxt.BaseError, result: str = "ok") -> Any:
    calls = {"n": 0}

    def call() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return result

    call.calls = calls  # type: ignore[attr-defined]
    return call


def test_a_read_is_retried_after_the_retry_after_pause() -> None:
    time = FakeTime()
    caller = make_caller(StubClient({"Retry-After": "2"}), time)
    call = failing(1, ccxt.DDoSProtection("429"))
    assert caller.read("fetch_ticker", "BTC/USDT", call) == "ok"
    assert call.calls["n"] == 2
    assert sum(time.sleeps) == pytest.approx(2.0)  # backoff, then the rest of the pause


def test_a_rate_limit_pauses_every_later_call_including_placements() -> None:
    time = FakeTime()
    caller = make_caller(StubClient({"Retry-After": "5"}), time, attempts=1)
    with pytest.raises(RetryLater):
        caller.read("fetch_ticker", "BTC/USDT", failing(1, ccxt.RateLimitExceeded("-1003")))
    start = time.now
    assert caller.write("create_order", "BTC/USDT", lambda: "placed", PLACE) == "placed"
    assert time.now - start == pytest.approx(5.0)


def test_a_rate_limit_without_retry_after_pauses_for_the_default() -> None:
    time = FakeTime()
    caller = make_caller(StubClient(), time, attempts=1)
    with pytest.raises(RetryLater):
        caller.read("fetch_ticker", None, failing(1, ccxt.DDoSProtection("418")))
    assert caller.throttle.remaining() == pytest.approx(3.0)


def test_reads_give_up_after_the_bounded_attempts() -> None:
    time = FakeTime()
    caller = make_caller(StubClient(), time, attempts=3)
    call = failing(10, ccxt.ExchangeNotAvailable("503"))
    with pytest.raises(RetryLater):
        caller.read("fetch_balance", None, call)
    assert call.calls["n"] == 3


def test_rejections_are_not_retried() -> None:
    caller = make_caller(StubClient(), FakeTime())
    call = failing(10, ccxt.BadSymbol("-1121"))
    with pytest.raises(InvalidOrder):
        caller.read("fetch_ohlcv", "NOPE/USDT", call)
    assert call.calls["n"] == 1


def test_a_placement_is_never_retried() -> None:
    caller = make_caller(StubClient(), FakeTime())
    call = failing(1, ccxt.RequestTimeout("timeout"))
    with pytest.raises(OutcomeUnknown):
        caller.write("create_order", "BTC/USDT", call, PLACE)
    assert call.calls["n"] == 1


def test_clock_skew_resyncs_time_and_is_retried_later() -> None:
    client = StubClient()
    caller = make_caller(client, FakeTime())
    with pytest.raises(RetryLater):
        caller.write("create_order", "BTC/USDT", failing(1, ccxt.InvalidNonce("-1021")), PLACE)
    assert client.time_resyncs == 1


def test_ccxt_request_logging_never_shows_the_api_key(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.adapters.exchange import make_client

    logging.getLogger("ccxt.base.exchange").setLevel(logging.NOTSET)
    with caplog.at_level(logging.DEBUG):
        client = make_client("binance", api_key="key-never-logged", secret="secret-never-logged")
        client.logger.debug("%s", client.apiKey)  # what ccxt does with the request headers
    assert "key-never-logged" not in caplog.text


def test_make_client_points_every_rest_url_at_the_override_and_stays_spot_only() -> None:
    from bot.adapters.exchange import make_client

    client = make_client("binance", urls_override="http://127.0.0.1:9")
    rest = [url for url in client.urls["api"].values() if isinstance(url, str) and url.startswith("http")]
    assert rest and all(url.startswith("http://127.0.0.1:9/") for url in rest)
    assert client.options["fetchCurrencies"] is False and client.options["maxRetriesOnFailure"] == 0
    assert client.options["fetchMarkets"]["types"] == ["spot"]
    with pytest.raises(ValueError, match="nope"):
        make_client("nope")
