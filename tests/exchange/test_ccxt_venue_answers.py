"""What the adapter makes of the venue's awkward answers (defects 3, 4 and 6 at the adapter's edge).

Through the real ccxt client against the fake Binance: broken bodies are never read as facts, a refused
key is told apart from a rate limit, every 5XX after a placement is an unknown outcome, and the moment
an unknown outcome becomes final is known.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.adapters.exchange import CcxtBroker, ExchangeCaller, RetryPolicy, make_client
from bot.domain import AccessRefused, FatalBrokerError, OutcomeUnknown, RetryLater, Side
from tests.exchange.test_ccxt_broker import NOW, SYMBOL, FixedClock, make_broker, order
from tests.fake_exchange.fixture import API_KEY, API_SECRET, FakeExchange

BROKEN_BODIES = [
    pytest.param({"kind": "truncate", "keep": 25}, id="truncated-json"),
    pytest.param({"kind": "raw", "body": "<html><body>upstream error</body></html>"}, id="html"),
    pytest.param({"kind": "raw", "body": ""}, id="empty"),
]


@pytest.mark.parametrize("fault", BROKEN_BODIES)
@pytest.mark.parametrize(
    ("path", "read"),
    [
        ("/api/v3/account", lambda b: b.balances()),
        ("/api/v3/openOrders", lambda b: b.open_orders(SYMBOL)),
        ("/api/v3/myTrades", lambda b: b.poll(NOW)),
        ("/api/v3/order", lambda b: b.fetch_order(SYMBOL, "sbnope")),
    ],
    ids=["balance", "open-orders", "trades", "order"],
)
def test_a_read_whose_answer_cannot_be_read_is_retried_never_taken_as_empty(
    fake_exchange: FakeExchange, fault: dict[str, object], path: str, read: object
) -> None:
    broker = make_broker(fake_exchange, symbols=(SYMBOL,))
    fake_exchange.set_balance("BTC", "0.5")
    fake_exchange.fail("GET", path, times=1, **fault)  # type: ignore[arg-type]
    try:
        answer = read(broker)  # type: ignore[operator]
    except Exception as exc:  # only the order look-up may end in "not found" on the retry
        assert path == "/api/v3/order" and type(exc).__name__ == "OrderNotFound", exc
    else:
        if path == "/api/v3/account":
            assert answer["BTC"].free == Decimal("0.5"), "the retry read the real balance"
    assert len(fake_exchange.log(path=path, method="GET")) >= 2, "the broken answer was retried"


@pytest.mark.parametrize("fault", BROKEN_BODIES)
def test_a_broken_answer_to_a_placement_is_an_unknown_outcome(
    fake_exchange: FakeExchange, fault: dict[str, object]
) -> None:
    broker = make_broker(fake_exchange)
    fake_exchange.fail("POST", "/api/v3/order", **fault)  # type: ignore[arg-type]
    with pytest.raises(OutcomeUnknown, match="malformed answer"):
        broker.place_order(order(f"broken-{fault['kind']}", Side.BUY, "0.001", "59000.00"))


def test_reads_that_keep_breaking_end_in_retry_later(fake_exchange: FakeExchange) -> None:
    fake_exchange.fail("GET", "/api/v3/openOrders", "truncate", times=10)
    with pytest.raises(RetryLater, match="malformed answer"):
        make_broker(fake_exchange).open_orders(SYMBOL)


def test_a_refused_key_after_a_first_success_is_access_refused_and_pauses_the_client(
    fake_exchange: FakeExchange,
) -> None:
    client = make_client("binance", api_key=API_KEY, secret=API_SECRET, urls_override=fake_exchange.url)
    caller = ExchangeCaller(client, policy=RetryPolicy(attempts=2, initial=0.01, maximum=0.02, jitter=0.0))
    broker = CcxtBroker(client, "binance", FixedClock(), "USDT", caller=caller)
    broker.balances()  # ccxt now calls -2015 a DDoS ban: a rate limit, which the bot used to retry for ever
    fake_exchange.refuse_key()
    with pytest.raises(AccessRefused, match="-2015"):
        broker.balances()
    requests = len(fake_exchange.log(path="/api/v3/account"))
    with pytest.raises(RetryLater, match="paused"):
        broker.balances()
    assert len(fake_exchange.log(path="/api/v3/account")) == requests, "the paused client sent nothing"
    assert caller.throttle.remaining() == pytest.approx(30, abs=1)


@pytest.mark.parametrize(("code", "why"), [(-1022, "secret"), (-2014, "malformed")])
def test_a_bad_signature_or_a_malformed_key_is_fatal_at_once(
    fake_exchange: FakeExchange, code: int, why: str
) -> None:
    fake_exchange.fail("GET", "/api/v3/account", "code", code=code)
    with pytest.raises(FatalBrokerError, match=why):
        make_broker(fake_exchange).balances()


def test_a_503_whose_body_names_an_error_is_still_an_unknown_outcome_after_a_placement(
    fake_exchange: FakeExchange,
) -> None:
    fake_exchange.fail("POST", "/api/v3/order", "code", code=-1008, status=503, msg="Server is overloaded.")
    with pytest.raises(OutcomeUnknown, match="HTTP 503"):  # ccxt calls it a plain ExchangeError here
        make_broker(fake_exchange).place_order(order("busy", Side.BUY, "0.001", "59000.00"))


def test_requests_carry_a_short_recv_window_and_an_unknown_outcome_is_final_only_after_it(
    fake_exchange: FakeExchange,
) -> None:
    broker = make_broker(fake_exchange)
    broker.balances()
    (request,) = fake_exchange.log(path="/api/v3/account")
    assert request["params"]["recvWindow"] == "5000"
    assert broker.outcome_deadline() == NOW + timedelta(milliseconds=5000 + 1000 + 250)


def test_holdings_left_alone_are_not_the_bots(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_balance("BTC", "0.7")
    client = make_client("binance", api_key=API_KEY, secret=API_SECRET, urls_override=fake_exchange.url)
    broker = CcxtBroker(client, "binance", FixedClock(), "USDT", leave_alone={"BTC": Decimal("0.5")})
    assert broker.balances()["BTC"].total == Decimal("0.2")


def test_a_fill_stays_in_every_poll_until_it_is_acknowledged_as_stored(fake_exchange: FakeExchange) -> None:
    broker = make_broker(fake_exchange, symbols=(SYMBOL,))
    broker.place_order(order("taker", Side.BUY, "0.001", "60500.00"))  # fills at once
    first = broker.poll(NOW).fills
    assert len(first) == 1
    assert broker.poll(NOW).fills == first, "the audit DB did not take it yet: reported again"
    broker.acknowledge(first)
    assert broker.poll(NOW).fills == ()
