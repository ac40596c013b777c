"""The fake Binance spot server, driven by the real ccxt sync client (no patching)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import ccxt
import pytest

from tests.fake_exchange.fixture import FakeExchange, candles_ending_now, ccxt_config

SYMBOL = "BTC/USDT"


def client(fx: FakeExchange, **overrides: Any) -> Any:
    exchange = ccxt.binance(ccxt_config(fx.url, enableRateLimit=False, **overrides))
    exchange.load_markets()
    return exchange


def wait_until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.02)


def raw_get(fx: FakeExchange, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(fx.url + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# ---- markets and public data -----------------------------------------------------------------


def test_load_markets_calls_only_exchange_info(fake_exchange: FakeExchange) -> None:
    client(fake_exchange)
    assert [(e["method"], e["path"]) for e in fake_exchange.log()] == [("GET", "/api/v3/exchangeInfo")]


def test_markets_carry_tick_size_step_size_and_min_notional(fake_exchange: FakeExchange) -> None:
    market = client(fake_exchange).market(SYMBOL)
    assert market["precision"]["price"] == 0.01
    assert market["precision"]["amount"] == 0.00001
    assert market["limits"]["cost"]["min"] == 5.0
    assert market["limits"]["amount"]["min"] == 0.00001
    assert market["spot"] and market["active"]


def test_ticker_and_order_book_follow_the_price_path(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.set_price("BTCUSDT", 61_000)
    assert exchange.fetch_ticker(SYMBOL)["last"] == 61_000
    book = exchange.fetch_order_book(SYMBOL, 5)
    assert len(book["bids"]) == len(book["asks"]) == 5
    assert book["bids"][0][0] < 61_000 < book["asks"][0][0]


def test_klines_last_candle_is_the_forming_one(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_candles("BTCUSDT", "1m", candles_ending_now([60_000, 60_100, 60_050, 60_200]))
    exchange = client(fake_exchange)
    candles = exchange.fetch_ohlcv(SYMBOL, "1m", limit=3)
    server_time = exchange.fetch_time()
    assert len(candles) == 3
    assert candles[-1][0] <= server_time < candles[-1][0] + 60_000
    assert all(c[0] + 60_000 <= server_time for c in candles[:-1])
    fake_exchange.set_price("BTCUSDT", 60_500)
    assert exchange.fetch_ohlcv(SYMBOL, "1m", limit=1)[-1][4] == 60_500


def test_klines_since_returns_candles_from_that_time(fake_exchange: FakeExchange) -> None:
    candles = candles_ending_now(list(range(60_000, 60_010)))
    fake_exchange.set_candles("BTCUSDT", "1m", candles)
    rows = client(fake_exchange).fetch_ohlcv(SYMBOL, "1m", since=candles[4][0], limit=2)
    assert [r[0] for r in rows] == [candles[4][0], candles[5][0]]


def test_unknown_symbol_answers_1121(fake_exchange: FakeExchange) -> None:
    assert raw_get(fake_exchange, "/api/v3/ticker/24hr?symbol=NOPEUSDT") == (
        400,
        {"code": -1121, "msg": "Invalid symbol."},
    )


def test_signed_call_without_api_key_answers_2014_with_401(fake_exchange: FakeExchange) -> None:
    status, body = raw_get(fake_exchange, "/api/v3/account?timestamp=1")
    assert (status, body) == (401, {"code": -2014, "msg": "API-key format invalid."})


def test_an_unknown_api_key_answers_2015_with_401(fake_exchange: FakeExchange) -> None:
    exchange = ccxt.binance(ccxt_config(fake_exchange.url, api_key="not-a-key-the-venue-knows"))
    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        exchange.fetch_balance()
    (entry,) = fake_exchange.log(path="/api/v3/account")
    assert entry["status"] == 401


def test_a_wrong_secret_answers_1022_bad_signature(fake_exchange: FakeExchange) -> None:
    exchange = ccxt.binance(ccxt_config(fake_exchange.url, secret="not-the-secret"))
    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        exchange.fetch_balance()
    assert client(fake_exchange).fetch_balance()["USDT"]["free"] == 10_000  # the right secret passes


def test_a_refused_key_answers_2015_until_accepted_and_ccxt_then_calls_it_a_ddos_ban(
    fake_exchange: FakeExchange,
) -> None:
    exchange = client(fake_exchange)
    exchange.fetch_balance()  # a first signed call succeeds: ccxt now reads -2015 as a temporary ban
    fake_exchange.refuse_key()
    with pytest.raises(ccxt.DDoSProtection, match="-2015"):
        exchange.fetch_balance()
    fake_exchange.accept_key()
    assert exchange.fetch_balance()["USDT"]["free"] == 10_000


def test_a_key_without_spot_trading_may_read_but_not_place_orders(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.set_key_permissions(enableSpotAndMarginTrading=False)
    assert exchange.fetch_balance()["USDT"]["free"] == 10_000
    with pytest.raises(ccxt.DDoSProtection, match="-2015"):  # ccxt's name for -2015 after a success
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000)


def test_api_restrictions_answer_what_the_key_may_do(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    default = exchange.sapi_get_account_apirestrictions()
    assert default["enableSpotAndMarginTrading"] and default["enableReading"]
    assert not default["enableWithdrawals"] and not default["ipRestrict"]
    fake_exchange.set_key_permissions(enableWithdrawals=True, ipRestrict=True)
    changed = exchange.sapi_get_account_apirestrictions()
    assert changed["enableWithdrawals"] and changed["ipRestrict"]
    (entry, _) = fake_exchange.log(path="/sapi/v1/account/apiRestrictions")
    assert entry["signed"] and "timestamp" in entry["params"]


def test_recv_window_above_60000_is_refused(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange, options={"recvWindow": 61_000})
    with pytest.raises(ccxt.ExchangeError, match="-1131"):
        exchange.fetch_balance()


# ---- orders and fills ------------------------------------------------------------------------


def test_limit_order_with_client_id_is_fetched_by_it_and_canceled(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    order = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-abc-1"})
    assert (order["status"], order["clientOrderId"]) == ("open", "bot-abc-1")
    assert exchange.fetch_balance()["USDT"]["used"] == 59.0, "its fee will come out of the BTC bought"
    fetched = exchange.fetch_order(None, SYMBOL, {"clientOrderId": "bot-abc-1"})
    assert fetched["id"] == order["id"]
    canceled = exchange.cancel_order(order["id"], SYMBOL)
    assert canceled["status"] == "canceled"
    assert canceled["info"]["origClientOrderId"] == "bot-abc-1"
    assert exchange.fetch_balance()["USDT"] == {"free": 10_000.0, "used": 0.0, "total": 10_000.0}
    assert exchange.fetch_open_orders(SYMBOL) == []


def test_marketable_limit_fills_at_once_at_the_current_price(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    order = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 60_500, {"clientOrderId": "bot-take-1"})
    assert (order["status"], order["filled"], order["average"]) == ("closed", 0.001, 60_000)
    trades = exchange.fetch_my_trades(SYMBOL)
    assert [(t["order"], t["price"], t["takerOrMaker"]) for t in trades] == [(order["id"], 60_000, "taker")]
    assert trades[0]["fee"] == {"currency": "BTC", "cost": 0.000001}, "a buy pays its fee in the coin bought"
    balance = exchange.fetch_balance()
    assert balance["BTC"]["free"] == 0.000999
    assert balance["USDT"]["total"] == pytest.approx(10_000 - 60)


def test_a_buy_fee_in_the_coin_leaves_less_than_was_bought_and_a_sell_pays_in_quote(
    fake_exchange: FakeExchange,
) -> None:
    exchange = client(fake_exchange)
    exchange.create_order(SYMBOL, "limit", "buy", 0.07692, 60_500)
    assert fake_exchange.state()["balances"]["BTC"]["free"] == "0.07684308"
    with pytest.raises(ccxt.InsufficientFunds):  # the whole 0.07692 is no longer there to sell
        exchange.create_order(SYMBOL, "limit", "sell", 0.07692, 59_500)
    exchange.create_order(SYMBOL, "limit", "sell", 0.07684, 59_500)
    trades = exchange.fetch_my_trades(SYMBOL)
    assert [t["fee"]["currency"] for t in trades] == ["BTC", "USDT"]
    assert fake_exchange.state()["balances"]["BTC"]["free"] == "0.00000308", "dust below the lot step stays"


def test_fees_in_quote_mode_charge_every_fee_in_the_quote_asset(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_fee_mode("quote")
    exchange = client(fake_exchange)
    exchange.create_order(SYMBOL, "limit", "buy", 0.001, 60_500)
    assert exchange.fetch_my_trades(SYMBOL)[0]["fee"] == {"currency": "USDT", "cost": 0.06}
    assert fake_exchange.state()["balances"]["BTC"]["free"] == "0.00100000"


def test_resting_limit_fills_only_when_the_price_trades_through(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    order = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000)
    fake_exchange.set_price("BTCUSDT", 59_000)
    assert exchange.fetch_order(order["id"], SYMBOL)["status"] == "open"
    fake_exchange.set_price("BTCUSDT", 58_999.99)
    filled = exchange.fetch_order(order["id"], SYMBOL)
    assert (filled["status"], filled["average"]) == ("closed", 59_000)
    assert exchange.fetch_my_trades(SYMBOL)[0]["takerOrMaker"] == "maker"


def test_partial_fills_leave_the_order_open_until_the_rest_fills(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    fake_exchange.set_partial_fills(0.5)
    order = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000)
    fake_exchange.set_price("BTCUSDT", 58_900)
    partial = exchange.fetch_order(order["id"], SYMBOL)
    assert (partial["status"], partial["filled"], partial["remaining"]) == ("open", 0.0005, 0.0005)
    fake_exchange.set_price("BTCUSDT", 58_850)
    assert exchange.fetch_order(order["id"], SYMBOL)["filled"] == 0.00075
    fake_exchange.set_partial_fills(None)
    fake_exchange.set_price("BTCUSDT", 58_800)
    assert exchange.fetch_order(order["id"], SYMBOL)["status"] == "closed"
    assert [t["id"] for t in exchange.fetch_my_trades(SYMBOL)] == ["1", "2", "3"]


def test_stop_loss_limit_triggers_when_the_price_falls_to_the_stop(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_balance("BTC", "0.01")
    exchange = client(fake_exchange)
    stop = exchange.create_order(SYMBOL, "limit", "sell", 0.01, 58_000, {"stopLossPrice": 58_500})
    assert (stop["status"], stop["info"]["type"], stop["triggerPrice"]) == ("open", "STOP_LOSS_LIMIT", 58_500)
    fake_exchange.set_price("BTCUSDT", 58_600)
    assert exchange.fetch_order(stop["id"], SYMBOL)["filled"] == 0
    fake_exchange.set_price("BTCUSDT", 58_400)
    done = exchange.fetch_order(stop["id"], SYMBOL)
    assert (done["status"], done["average"]) == ("closed", 58_400)


def test_stop_that_would_trigger_immediately_is_rejected(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_balance("BTC", "0.01")
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        client(fake_exchange).create_order(SYMBOL, "limit", "sell", 0.01, 60_500, {"stopLossPrice": 61_000})


def test_market_buy_with_price_sends_quote_quantity(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    order = exchange.create_order(SYMBOL, "market", "buy", 0.001, 60_000)
    assert (order["status"], order["filled"]) == ("closed", 0.001)
    assert fake_exchange.log(path="/api/v3/order")[-1]["params"]["quoteOrderQty"] == "60"


def test_cancel_all_orders_releases_every_reservation(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    for price in (58_000, 57_000):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, price)
    assert len(exchange.cancel_all_orders(SYMBOL)) == 2
    assert fake_exchange.state()["balances"]["USDT"] == {"free": "10000.00000000", "locked": "0.00000000"}


# ---- rejections ------------------------------------------------------------------------------


def test_insufficient_balance_raises_insufficient_funds(fake_exchange: FakeExchange) -> None:
    fake_exchange.set_balance("USDT", 50)
    with pytest.raises(ccxt.InsufficientFunds):
        client(fake_exchange).create_order(SYMBOL, "limit", "buy", 0.001, 59_000)


def test_order_below_min_notional_raises_bad_request(fake_exchange: FakeExchange) -> None:
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL"):
        client(fake_exchange).create_order(SYMBOL, "limit", "buy", 0.00005, 59_000)


def test_quantity_off_the_step_raises_invalid_order(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    with pytest.raises(ccxt.InvalidOrder, match="LOT_SIZE"):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"quantity": "0.0010005"})


def test_price_off_the_tick_raises_invalid_order(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    with pytest.raises(ccxt.InvalidOrder, match="PRICE_FILTER"):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"price": "59000.005"})


def test_duplicate_client_id_while_open_raises_invalid_order(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    first = exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-dup"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-dup"})
    assert len(fake_exchange.orders_by_client_id("bot-dup")) == 1
    exchange.cancel_order(first["id"], SYMBOL)
    exchange.create_order(SYMBOL, "limit", "buy", 0.001, 59_000, {"clientOrderId": "bot-dup"})


def test_unknown_order_raises_order_not_found(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    with pytest.raises(ccxt.OrderNotFound):
        exchange.fetch_order(None, SYMBOL, {"clientOrderId": "never-sent"})
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order("424242", SYMBOL)


def test_public_tickers_answer_one_object_per_symbol_or_a_list(fake_exchange: FakeExchange) -> None:
    assert raw_get(fake_exchange, "/api/v3/ticker/price?symbol=ETHUSDT") == (
        200,
        {"symbol": "ETHUSDT", "price": "3000.00000000"},
    )
    status, books = raw_get(fake_exchange, "/api/v3/ticker/bookTicker")
    assert status == 200 and [b["symbol"] for b in books] == ["BTCUSDT", "ETHUSDT"]
    assert raw_get(fake_exchange, "/api/v3/time")[1]["serverTime"] > 0


def test_fake_state_agrees_with_what_ccxt_reads(fake_exchange: FakeExchange) -> None:
    exchange = client(fake_exchange)
    exchange.create_order(SYMBOL, "limit", "buy", 0.002, 60_100)
    exchange.create_order(SYMBOL, "limit", "sell", 0.001, 61_000, {"clientOrderId": "bot-tp"})
    state, balance = fake_exchange.state(), exchange.fetch_balance()
    for asset in ("BTC", "USDT"):
        assert float(state["balances"][asset]["free"]) == balance[asset]["free"]
        assert float(state["balances"][asset]["locked"]) == balance[asset]["used"]
    assert [t["id"] for t in state["trades"]] == [int(t["id"]) for t in exchange.fetch_my_trades(SYMBOL)]
    assert [o["clientOrderId"] for o in exchange.fetch_open_orders(SYMBOL)] == ["bot-tp"]
