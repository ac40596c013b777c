"""One spot order as the fake keeps it, and its Binance JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.fake_exchange.markets import fmt

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
STOP_TYPES = frozenset({"STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


@dataclass
class Order:
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    time: int
    stop_price: Decimal = Decimal(0)
    orig_quote_qty: Decimal = Decimal(0)
    executed_qty: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    status: str = "NEW"
    update_time: int = 0
    working: bool = True
    working_time: int = -1
    reserved: Decimal = Decimal(0)
    """What is still locked for this order: quote (with fee) for a buy, base for a sell."""
    fills: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty

    def record_fill(
        self, trade_id: int, price: Decimal, qty: Decimal, fee: Decimal, fee_asset: str, maker: bool, now: int
    ) -> dict[str, Any]:
        """Add one fill to this order; return it as a GET /api/v3/myTrades row."""
        self.executed_qty += qty
        self.cum_quote += price * qty
        self.update_time = now
        self.fills.append(
            {
                "price": fmt(price),
                "qty": fmt(qty),
                "commission": fmt(fee),
                "commissionAsset": fee_asset,
                "tradeId": trade_id,
            }
        )
        return {
            "symbol": self.symbol, "id": trade_id, "orderId": self.order_id, "orderListId": -1,
            "price": fmt(price), "qty": fmt(qty), "quoteQty": fmt(price * qty), "commission": fmt(fee),
            "commissionAsset": fee_asset, "time": now, "isBuyer": self.side == "BUY", "isMaker": maker,
            "isBestMatch": True,
        }  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The shape of GET /api/v3/order and GET /api/v3/openOrders."""
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "cummulativeQuoteQty": fmt(self.cum_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "stopPrice": fmt(self.stop_price),
            "icebergQty": fmt(Decimal(0)),
            "time": self.time,
            "updateTime": self.update_time or self.time,
            "isWorking": self.working,
            "workingTime": self.working_time,
            "origQuoteOrderQty": fmt(self.orig_quote_qty),
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }

    def placement_response(self, resp_type: str, transact_time: int) -> dict[str, Any]:
        """The answer to POST /api/v3/order for newOrderRespType ACK, RESULT or FULL."""
        ack = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "transactTime": transact_time,
        }
        if resp_type == "ACK":
            return ack
        result = {
            **ack,
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "origQuoteOrderQty": fmt(self.orig_quote_qty),
            "cummulativeQuoteQty": fmt(self.cum_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "workingTime": self.working_time,
            "selfTradePreventionMode": "EXPIRE_MAKER",
        }
        if self.type in STOP_TYPES:
            result["stopPrice"] = fmt(self.stop_price)
        if resp_type == "FULL":
            result["fills"] = list(self.fills)
        return result

    def cancel_response(self, cancel_client_id: str) -> dict[str, Any]:
        """The answer to DELETE /api/v3/order: ``clientOrderId`` is the cancel request's id."""
        body = self.to_json()
        for key in ("time", "updateTime", "isWorking", "workingTime", "icebergQty"):
            body.pop(key)
        if self.type not in STOP_TYPES:
            body.pop("stopPrice")
        body["origClientOrderId"] = self.client_order_id
        body["clientOrderId"] = cancel_client_id
        body["transactTime"] = self.update_time
        return body


def account_json(balances: list[dict[str, str]], now: int, fee_rate: str) -> dict[str, Any]:
    """GET /api/v3/account."""
    zero = "0.00000000"
    return {
        "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": {"maker": fee_rate, "taker": fee_rate, "buyer": zero, "seller": zero},
        "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
        "requireSelfTradePrevention": False, "preventSor": False, "updateTime": now,
        "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": 354937868,
    }  # fmt: skip
