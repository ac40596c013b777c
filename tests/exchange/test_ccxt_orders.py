"""ccxt order/trade dicts -> domain Orders and Fills (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.adapters.exchange.orders import client_order_id_of, fill_from_trade, order_from_ccxt
from bot.domain import Liquidity, OrderPurpose, OrderStatus, OrderType, Side, client_order_id_for

NOW = datetime(2024, 1, 1, tzinfo=UTC)
INTENT = "0123456789abcdef01234567"
CID = client_order_id_for(INTENT, OrderPurpose.STOP, 2)


def ccxt_order(**overrides: object) -> dict[str, object]:
    info = {
        "clientOrderId": CID,
        "type": "STOP_LOSS_LIMIT",
        "origQty": "0.00100000",
        "executedQty": "0.00040000",
        "cummulativeQuoteQty": "23.60000000",
        "price": "59000.00",
        "stopPrice": "59500.00",
    }
    raw: dict[str, object] = {
        "id": "1007",
        "clientOrderId": CID,
        "symbol": "BTC/USDT",
        "side": "sell",
        "type": "limit",
        "status": "open",
        "amount": 0.001,
        "filled": 0.0004,
        "average": 59000.0,
        "timestamp": 1_700_000_000_000,
        "info": info,
    }
    raw.update(overrides)
    return raw


def test_an_order_unknown_to_the_broker_is_rebuilt_from_the_venue_fields() -> None:
    order = order_from_ccxt(ccxt_order(), known=None, client_order_id=CID, now=NOW)
    assert (order.intent_id, order.purpose) == (INTENT, OrderPurpose.STOP)
    assert order.order_type is OrderType.STOP_LIMIT
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert (order.quantity, order.filled_quantity) == (Decimal("0.001"), Decimal("0.0004"))
    assert order.average_fill_price == Decimal(59000)
    assert (order.price, order.stop_price, order.side) == (Decimal("59000"), Decimal("59500"), Side.SELL)
    assert order.exchange_order_id == "1007"


def test_venue_statuses_map_to_domain_statuses() -> None:
    for venue, domain in [
        ("closed", OrderStatus.FILLED),
        ("canceled", OrderStatus.CANCELED),
        ("expired", OrderStatus.EXPIRED),
        ("rejected", OrderStatus.REJECTED),
        ("weird", OrderStatus.UNKNOWN),
    ]:
        order = order_from_ccxt(ccxt_order(status=venue), known=None, client_order_id=CID, now=NOW)
        assert order.status is domain


def test_after_a_cancel_the_original_client_id_comes_from_info() -> None:
    raw = ccxt_order(clientOrderId="cancel-request-id")
    raw["info"] = {**raw["info"], "origClientOrderId": CID, "clientOrderId": "cancel-request-id"}  # type: ignore[dict-item]
    assert client_order_id_of(raw) == CID


def test_a_foreign_client_id_gets_a_purpose_from_side_and_type() -> None:
    raw = ccxt_order(info={"type": "LIMIT"}, side="buy", filled=0.0, average=None)
    order = order_from_ccxt(raw, known=None, client_order_id="web_123", now=NOW)
    assert (order.intent_id, order.purpose, order.status) == ("", OrderPurpose.ENTRY, OrderStatus.OPEN)


def test_a_trade_becomes_a_fill_with_exact_strings_and_liquidity() -> None:
    trade = {
        "id": "42",
        "order": "1007",
        "symbol": "BTC/USDT",
        "side": "buy",
        "price": 60000.1,
        "amount": 0.002,
        "takerOrMaker": "maker",
        "timestamp": 1_700_000_000_000,
        "fee": {"cost": 0.000002, "currency": "BTC"},
        "info": {
            "price": "60000.10",
            "qty": "0.00200000",
            "commission": "0.00000200",
            "commissionAsset": "BTC",
        },
    }
    fill = fill_from_trade(trade, venue="binance", client_order_id=CID, default_fee_currency="USDT")
    assert (fill.trade_id, fill.price, fill.quantity) == ("42", Decimal("60000.10"), Decimal("0.002"))
    assert (fill.fee, fill.fee_currency, fill.liquidity) == (Decimal("0.000002"), "BTC", Liquidity.MAKER)
    assert fill.occurred_at.year == 2023
