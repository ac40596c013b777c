"""``FakeExchange`` (in-process server + direct control calls), ``RemoteFakeExchange`` (the same API over
HTTP, for a server started with ``python -m tests.fake_exchange``), the ``fake_exchange`` pytest fixture
and ``ccxt_config``, the ccxt constructor config that points every Binance REST URL at the fake.

    def test_something(fake_exchange):
        ex = ccxt.binance(ccxt_config(fake_exchange.url))
        fake_exchange.set_price("BTCUSDT", 59_000)
"""

from __future__ import annotations

import functools
import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.fake_exchange.auth import API_KEY, API_SECRET
from tests.fake_exchange.controls import Controls, ExchangeState
from tests.fake_exchange.market_data import candles_ending_now
from tests.fake_exchange.server import FakeExchangeServer

__all__ = [
    "API_KEY",
    "API_SECRET",
    "FakeExchange",
    "RemoteFakeExchange",
    "candles_ending_now",
    "ccxt_config",
    "fake_exchange",
]

SPOT_ONLY_OPTIONS = {
    "defaultType": "spot",
    "fetchCurrencies": False,
    "fetchMargins": False,
    "fetchMarkets": {"types": ["spot"]},
}


@functools.cache
def _binance_api_urls() -> dict[str, Any]:
    import ccxt

    return dict(ccxt.binance().urls["api"])


def ccxt_config(
    url: str, api_key: str = API_KEY, secret: str = API_SECRET, **overrides: Any
) -> dict[str, Any]:
    """ccxt.binance(...) config: every https://host prefix of ``urls['api']`` rewritten to ``url``, spot only.

    ``overrides`` are merged on top (e.g. ``timeout=500``, ``enableRateLimit=False``, ``options={...}``
    which is merged into the spot-only options).
    """
    base = url.rstrip("/")
    api = {
        k: re.sub(r"^https://[^/]+", base, v) if isinstance(v, str) else v
        for k, v in _binance_api_urls().items()
    }
    config: dict[str, Any] = {
        "apiKey": api_key,
        "secret": secret,
        "urls": {"api": api},
        "options": {**SPOT_ONLY_OPTIONS, **overrides.pop("options", {})},
    }
    config.update(overrides)
    return config


class _ControlApi:
    """The control methods, shared by the in-process and the remote fake."""

    url: str

    def _control(self, name: str, **payload: Any) -> Any:
        raise NotImplementedError

    def _read(self, path: str) -> Any:
        raise NotImplementedError

    def set_price(self, symbol: str, price: Any) -> None:
        """Move the price path (stops trigger, resting limits it trades through fill)."""
        self._control("price", symbol=symbol, price=str(price))

    def set_candles(self, symbol: str, interval: str, candles: list[list[Any]]) -> None:
        """Script klines: rows [openTime, o, h, l, c, v]; the last is forming (see candles_ending_now)."""
        rows = [[int(c[0]), *(str(x) for x in c[1:6])] for c in candles]
        self._control("candles", symbol=symbol, interval=interval, candles=rows)

    def set_balance(self, asset: str, free: Any) -> None:
        self._control("balance", asset=asset, free=str(free))

    def set_partial_fills(self, ratio: Any = None) -> None:
        """Fill only ``ratio`` of the remainder per fill event; None turns partial fills off."""
        self._control("partial", ratio=None if ratio is None else str(ratio))

    def set_fee_mode(self, mode: str) -> None:
        """ "received" (default, Binance: a buy's fee in the base bought) or "quote" (every fee in quote)."""
        self._control("fees", mode=mode)

    def refuse_key(self, seconds: float | None = None) -> None:
        """Answer -2015 (HTTP 401) to every signed call, for ``seconds`` or until :meth:`accept_key`."""
        self._control("keys", refuse=True, refuse_seconds=seconds)

    def accept_key(self) -> None:
        self._control("keys", accept=True)

    def set_key_permissions(self, **flags: Any) -> None:
        """apiRestrictions flags, e.g. ``enableWithdrawals=True``, ``ipRestrict=True``."""
        self._control("keys", permissions=flags)

    def release(self) -> None:
        """Let requests held by a ``hold`` fault reach the matching engine (refused there if too old)."""
        self._control("release")

    def forget(self, client_order_id: str) -> None:
        """The venue loses the orders under ``client_order_id``: look-ups answer -2013, locks are freed."""
        self._control("forget", client_order_id=client_order_id)

    def set_clock_offset(self, offset_ms: int) -> None:
        """Shift the server clock (a real -1021 for signed calls once past recvWindow)."""
        self._control("clock", offset_ms=offset_ms)

    def fail(self, method: str, path: str, kind: str, times: int = 1, **kw: Any) -> None:
        """Inject ``kind`` for the next ``times`` requests matching method/path (glob); see faults.py."""
        self._control("fail", method=method, path=path, kind=kind, times=times, **kw)

    def chaos(self, seed: int, rate: float, kinds: list[Any] | None = None, path: str = "/api/*") -> None:
        """Random faults with probability ``rate`` per request matching ``path``; ``rate=0`` stops them."""
        self._control("chaos", seed=seed, rate=rate, kinds=kinds, path=path)

    def reset(self) -> None:
        self._control("reset")

    def reset_faults(self) -> None:
        """Drop the faults still pending (and chaos); orders, balances and prices stay."""
        self._control("clear_faults")

    def clear_log(self) -> None:
        self._control("clear_log")

    def log(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        """Requests seen (method, path, params without signature, signed, fault, status), oldest first."""
        rows: list[dict[str, Any]] = self._read("/__log")
        return [
            r
            for r in rows
            if (path is None or r["path"] == path) and (method is None or r["method"] == method)
        ]

    def requests(self, path: str, method: str, after: int = 0) -> dict[str, int]:
        """``{"total", "in_flight"}``: requests seen for ``method path``, and those after the first ``after``
        still held (latency)."""
        query = urlencode({"path": path, "method": method, "after": after})
        result: dict[str, int] = self._read(f"/__requests?{query}")
        return result

    def state(self) -> dict[str, Any]:
        """Balances, prices, orders (GET /order shape) and trades (myTrades shape), JSON-ready."""
        result: dict[str, Any] = self._read("/__state")
        return result

    def orders_by_client_id(self, client_order_id: str) -> list[dict[str, Any]]:
        return [o for o in self.state()["orders"] if o["clientOrderId"] == client_order_id]

    def ccxt_config(self, **overrides: Any) -> dict[str, Any]:
        return ccxt_config(self.url, **overrides)


class FakeExchange(_ControlApi):
    """A fake exchange served from this process (port 0: a free one); controls are direct calls."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state_holder = ExchangeState()
        self.server = FakeExchangeServer(host, port, self.state_holder).start()
        self.url = self.server.url
        self._controls = Controls(self.state_holder)

    @property
    def engine(self) -> Any:
        """The matching engine itself, for tests that need more than the control API."""
        return self.state_holder.engine

    def _control(self, name: str, **payload: Any) -> Any:
        return self._controls.call(name, payload)

    def _read(self, path: str) -> Any:
        url = urlsplit(path)
        if url.path == "/__requests":
            query = dict(parse_qsl(url.query))
            return self.state_holder.requests(query["path"], query["method"], int(query.get("after", 0)))
        data = self.state_holder.log() if path == "/__log" else self.state_holder.engine.state()
        return json.loads(json.dumps(data, default=str))

    def close(self) -> None:
        self.server.close()

    def __enter__(self) -> FakeExchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RemoteFakeExchange(_ControlApi):
    """Controls a fake exchange running elsewhere (e.g. ``python -m tests.fake_exchange``) over HTTP."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _control(self, name: str, **payload: Any) -> Any:
        request = urllib.request.Request(
            f"{self.url}/__control/{name}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read())

    def _read(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=self.timeout) as response:
            return json.loads(response.read())

    def close(self) -> None:
        """Nothing to stop here: the process that runs the server owns it."""


@pytest.fixture
def fake_exchange() -> Iterator[FakeExchange]:
    """A fresh fake exchange per test, stopped afterwards."""
    exchange = FakeExchange()
    try:
        yield exchange
    finally:
        exchange.close()
