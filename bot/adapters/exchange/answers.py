"""What a well-formed answer from the venue looks like, checked before anything is read from it.

ccxt does not raise for an answer it cannot parse. Measured against Binance's shapes (a 200 with a
truncated JSON body, an HTML page, an empty body; ``notes``: research of 2026-12): ``create_order``
returns an order with no id, ``fetch_balance`` an empty balance, ``fetch_my_trades`` one hollow "trade"
per character of the body, and ``fetch_open_orders`` raises a plain ``AttributeError``. Each of these
would be read as a fact: "no balance", "no order". Here each is :class:`MalformedAnswer` instead, which
the caller turns into "retry later" for a read and "outcome unknown" for a placement or a cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class MalformedAnswer(Exception):
    """The venue's answer could not be read (broken body, missing fields)."""


# Errors ccxt's parsers raise on a body of the wrong shape (a string where a dict was expected...).
PARSE_ERRORS: tuple[type[BaseException], ...] = (AttributeError, TypeError, KeyError, IndexError, ValueError)

Check = Callable[[Any], None]


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise MalformedAnswer(f"malformed answer: {what}")


def order(answer: Any) -> None:
    """One order (create, cancel, fetch): its fields came from a JSON object and it has the venue's id."""
    _require(isinstance(answer, dict) and isinstance(answer.get("info"), dict), "no order object")
    _require(answer.get("id") is not None, "an order without the venue's id")


def orders(answer: Any) -> None:
    _require(isinstance(answer, list), "no list of orders")
    for each in answer:
        order(each)


def trades(answer: Any) -> None:
    """The account's trades: each from a JSON object, with its trade id, order id and price."""
    _require(isinstance(answer, list), "no list of trades")
    for trade in answer:
        _require(isinstance(trade, dict) and isinstance(trade.get("info"), dict), "a trade that is no object")
        _require(all(trade.get(k) is not None for k in ("id", "order", "price", "amount")), "a hollow trade")


def balance(answer: Any) -> None:
    """The account: a JSON object (Binance: with its ``balances`` list)."""
    _require(isinstance(answer, dict), "no balance object")
    info = answer.get("info")
    _require(isinstance(info, dict | list), "no account object")
    if isinstance(info, dict) and "balances" in info:
        _require(isinstance(info["balances"], list), "account balances are no list")


def order_book(answer: Any) -> None:
    _require(
        isinstance(answer, dict)
        and isinstance(answer.get("bids"), list)
        and isinstance(answer.get("asks"), list),
        "no order book",
    )


def candles(answer: Any) -> None:
    _require(isinstance(answer, list), "no list of candles")
    for row in answer:
        _require(
            isinstance(row, list) and len(row) >= 6 and all(x is not None for x in row[:6]), "a broken candle"
        )


def ticker(answer: Any) -> None:
    _require(isinstance(answer, dict) and isinstance(answer.get("info"), dict | list), "no ticker")


def markets(answer: Any) -> None:
    _require(isinstance(answer, dict) and bool(answer), "no markets")


def key_permissions(answer: Any) -> None:
    _require(isinstance(answer, dict) and "enableWithdrawals" in answer, "no key permissions")
