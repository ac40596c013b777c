"""Symbols, their exchangeInfo shape and filter checks, and Binance's error type.

Filters follow the real Binance shapes (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL,
PERCENT_PRICE_BY_SIDE). ETHUSDT uses Binance's real LOT_SIZE step (0.0001), BTCUSDT 0.00001.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]
MIN_NOTIONAL = Decimal("5")
MAX_NOTIONAL = Decimal("9000000")
PERCENT_UP = Decimal("5")
PERCENT_DOWN = Decimal("0.2")


class BinanceError(Exception):
    """An error answered as Binance's JSON ``{"code": ..., "msg": ...}`` with an HTTP status."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def insufficient_balance() -> BinanceError:
    return BinanceError(-2010, "Account has insufficient balance for requested action.")


def filter_failure(name: str) -> BinanceError:
    return BinanceError(-1013, f"Filter failure: {name}")


@dataclass(frozen=True)
class SymbolSpec:
    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal

    def check_price(self, price: Decimal) -> None:
        if price <= 0 or price % self.tick_size != 0 or price > Decimal("1000000"):
            raise filter_failure("PRICE_FILTER")

    def check_quantity(self, qty: Decimal) -> None:
        if qty < self.min_qty or qty > self.max_qty or qty % self.step_size != 0:
            raise filter_failure("LOT_SIZE")

    def check_market_quantity(self, qty: Decimal) -> None:
        if qty <= 0 or qty > Decimal("100"):
            raise filter_failure("MARKET_LOT_SIZE")

    def check_notional(self, notional: Decimal) -> None:
        if notional < MIN_NOTIONAL or notional > MAX_NOTIONAL:
            raise filter_failure("NOTIONAL")

    def check_percent_price(self, price: Decimal, reference: Decimal) -> None:
        if price > reference * PERCENT_UP or price < reference * PERCENT_DOWN:
            raise filter_failure("PERCENT_PRICE_BY_SIDE")

    def floor_quantity(self, qty: Decimal) -> Decimal:
        return (qty // self.step_size) * self.step_size

    def round_price(self, price: Decimal) -> Decimal:
        return price.quantize(self.tick_size)

    def info(self) -> dict[str, Any]:
        """The symbol entry of GET /api/v3/exchangeInfo."""
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "amendAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": self.filters(),
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }

    def filters(self) -> list[dict[str, Any]]:
        return [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.01000000",
                "maxPrice": "1000000.00000000",
                "tickSize": _fmt(self.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": _fmt(self.min_qty),
                "maxQty": _fmt(self.max_qty),
                "stepSize": _fmt(self.step_size),
            },
            {"filterType": "ICEBERG_PARTS", "limit": 10},
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": "0.00000000",
                "maxQty": "100.00000000",
                "stepSize": "0.00000000",
            },
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000},
            {
                "filterType": "PERCENT_PRICE_BY_SIDE",
                "bidMultiplierUp": "5",
                "bidMultiplierDown": "0.2",
                "askMultiplierUp": "5",
                "askMultiplierDown": "0.2",
                "avgPriceMins": 5,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": _fmt(MIN_NOTIONAL),
                "applyMinToMarket": True,
                "maxNotional": _fmt(MAX_NOTIONAL),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
        ]


SYMBOLS: dict[str, SymbolSpec] = {
    "BTCUSDT": SymbolSpec(
        "BTCUSDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"), Decimal("9000")
    ),
    "ETHUSDT": SymbolSpec(
        "ETHUSDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal("0.0001"), Decimal("9000")
    ),
}


def spec_for(symbol: str | None) -> SymbolSpec:
    if not symbol:
        raise BinanceError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
    spec = SYMBOLS.get(symbol)
    if spec is None:
        raise BinanceError(-1121, "Invalid symbol.")
    return spec


def exchange_info(server_time: int, symbols: list[str] | None = None) -> dict[str, Any]:
    """GET /api/v3/exchangeInfo, optionally restricted to ``symbols``."""
    chosen = [spec_for(s) for s in symbols] if symbols else list(SYMBOLS.values())
    return {
        "timezone": "UTC",
        "serverTime": server_time,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
        ],
        "exchangeFilters": [],
        "symbols": [spec.info() for spec in chosen],
    }


def parse_decimal(value: str | None, name: str) -> Decimal:
    """A request parameter as a Decimal, or -1100/-1102 like Binance."""
    if value is None or value == "":
        raise BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
    try:
        result = Decimal(value)
    except ArithmeticError:
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'.") from None
    if not result.is_finite():
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'.")
    return result


def _fmt(value: Decimal) -> str:
    return f"{value:.8f}"


def fmt(value: Decimal) -> str:
    """Binance's 8-decimal string form of an amount or price."""
    return _fmt(value)
