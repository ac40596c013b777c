"""HTTP handling for the fake Binance spot REST API: routing, signed-request checks, Binance-shaped
errors, fault application, the request log and the ``/__control`` / ``/__log`` / ``/__state`` routes.

A signed request is checked when it arrives (key, signature, timestamp within ``recvWindow``), and its
timestamp again just before it reaches the matching engine, after any injected delay: a request that
waited past its window is refused with -1021 and never executes (see ``auth``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fake_exchange.auth import check_timing
from tests.fake_exchange.controls import Controls, ExchangeState
from tests.fake_exchange.faults import IMMEDIATE_KINDS
from tests.fake_exchange.markets import SYMBOLS, BinanceError, exchange_info

Route = Callable[[ExchangeState, dict[str, str]], Any]
API_KEY_HEADER = "X-MBX-APIKEY"


def _futures_info(state: ExchangeState, _: dict[str, str]) -> dict[str, Any]:
    return {
        "timezone": "UTC",
        "serverTime": state.engine.now(),
        "rateLimits": [],
        "assets": [],
        "symbols": [],
    }


def _trade_fees(_: ExchangeState, __: dict[str, str]) -> list[dict[str, str]]:
    return [{"symbol": s, "makerCommission": "0.001", "takerCommission": "0.001"} for s in SYMBOLS]


def _symbols_param(params: dict[str, str]) -> list[str] | None:
    if params.get("symbol"):
        return [params["symbol"]]
    return json.loads(params["symbols"]) if params.get("symbols") else None


def _trading(handler: Route) -> Route:
    """A trading endpoint: the key needs spot trading permission (else -2015, like Binance)."""

    def guarded(state: ExchangeState, params: dict[str, str]) -> Any:
        state.keys.may_trade()
        return handler(state, params)

    return guarded


# (method, path) -> (handler, signed)
ROUTES: dict[tuple[str, str], tuple[Route, bool]] = {
    ("GET", "/api/v3/ping"): (lambda s, p: {}, False),
    ("GET", "/api/v3/time"): (lambda s, p: {"serverTime": s.engine.now()}, False),
    ("GET", "/api/v3/exchangeInfo"): (lambda s, p: exchange_info(s.engine.now(), _symbols_param(p)), False),
    ("GET", "/api/v3/ticker/24hr"): (lambda s, p: s.market.ticker_24hr(p), False),
    ("GET", "/api/v3/ticker/bookTicker"): (lambda s, p: s.market.book_ticker(p), False),
    ("GET", "/api/v3/ticker/price"): (lambda s, p: s.market.price_ticker(p), False),
    ("GET", "/api/v3/depth"): (lambda s, p: s.market.depth(p), False),
    ("GET", "/api/v3/klines"): (lambda s, p: s.market.klines(p), False),
    ("GET", "/api/v3/account"): (lambda s, p: s.engine.account(), True),
    ("POST", "/api/v3/order"): (_trading(lambda s, p: s.engine.place_order(p)), True),
    ("GET", "/api/v3/order"): (lambda s, p: s.engine.get_order(p), True),
    ("DELETE", "/api/v3/order"): (_trading(lambda s, p: s.engine.cancel_order(p)), True),
    ("GET", "/api/v3/openOrders"): (lambda s, p: s.engine.open_orders(p.get("symbol")), True),
    ("DELETE", "/api/v3/openOrders"): (_trading(lambda s, p: s.engine.cancel_all(p.get("symbol"))), True),
    ("GET", "/api/v3/myTrades"): (lambda s, p: s.engine.my_trades(p), True),
    # Load-time and fee stubs for the sapi/fapi/dapi/eapi calls ccxt may make.
    ("GET", "/sapi/v1/capital/config/getall"): (lambda s, p: [], True),
    ("GET", "/sapi/v1/margin/allPairs"): (lambda s, p: [], True),
    ("GET", "/sapi/v1/margin/isolated/allPairs"): (lambda s, p: [], True),
    ("GET", "/sapi/v1/asset/tradeFee"): (_trade_fees, True),
    ("GET", "/sapi/v1/account/apiRestrictions"): (lambda s, p: s.keys.restrictions(), True),
    ("GET", "/fapi/v1/exchangeInfo"): (_futures_info, False),
    ("GET", "/dapi/v1/exchangeInfo"): (_futures_info, False),
    ("GET", "/eapi/v1/exchangeInfo"): (lambda s, p: {"optionSymbols": [], "optionContracts": []}, False),
}


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeBinance/1.0"
    protocol_version = "HTTP/1.0"

    @property
    def state(self) -> ExchangeState:
        return self.server.state  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if url.path.startswith("/__"):
                self._control(method, url.path, raw_body)
            else:
                body = raw_body.decode() if "json" not in (self.headers.get("Content-Type") or "") else ""
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                self._api(method, url.path, params, url.query, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout expired during injected latency)

    def _control(self, method: str, path: str, raw_body: bytes) -> None:
        if method == "GET" and path == "/__log":
            return self._send_json(200, self.state.log())
        if method == "GET" and path == "/__requests":
            query = dict(parse_qsl(urlsplit(self.path).query))
            after = int(query.get("after", 0))
            return self._send_json(
                200, self.state.requests(query.get("path", ""), query.get("method", ""), after)
            )
        if method == "GET" and path == "/__state":
            return self._send_json(200, self.state.engine.state())
        name = path.removeprefix("/__control/")
        if method != "POST" or not path.startswith("/__control/"):
            return self._send_json(404, {"error": f"no control route {method} {path}"})
        try:
            payload = json.loads(raw_body or b"{}")
            return self._send_json(200, Controls(self.state).call(name, payload))
        except (KeyError, TypeError, ValueError, BinanceError) as exc:
            return self._send_json(400, {"error": str(exc)})

    def _api(self, method: str, path: str, params: dict[str, str], query: str, body: str) -> None:
        fault = self.state.faults.take(method, path, params)
        entry = self.state.record(
            {
                "method": method,
                "path": path,
                "params": {k: v for k, v in params.items() if k != "signature"},
                "signed": bool(self.headers.get(API_KEY_HEADER)),
                "fault": fault.kind if fault else None,
                "status": None,
            }
        )
        if fault is not None and fault.kind in IMMEDIATE_KINDS:
            status, headers, body, content_type = fault.respond()
            entry["status"] = status
            return self._send(status, body, content_type, headers)
        if fault is not None and fault.kind == "drop":
            return self._drop()
        status, answer = self._dispatch(method, path, params, query, body, fault)
        entry["status"] = status
        if fault is not None and fault.kind == "drop_after_accept":
            return self._drop()
        if fault is not None and fault.kind == "truncate":
            return self._send(
                status, fault.truncated(json.dumps(answer, default=str)), "application/json", {}
            )
        return self._send_json(status, answer)

    def _dispatch(
        self, method: str, path: str, params: dict[str, str], query: str, body: str, fault: Any
    ) -> tuple[int, Any]:
        """Arrival checks, the injected delay, the check before the matching engine, then the handler."""
        route = ROUTES.get((method, path))
        if route is None:
            return 404, {"code": -1000, "msg": f"Fake exchange has no route {method} {path}."}
        handler, signed = route
        try:
            if signed:
                self.state.keys.check(self.headers, query, body, params)
                check_timing(params, self.state.engine.now())
            if fault is not None and fault.kind in ("latency", "hold"):
                if fault.kind == "hold":
                    self.state.hold()
                else:
                    self.state.stopping.wait(fault.seconds)
                if signed:
                    check_timing(params, self.state.engine.now())
            return 200, handler(self.state, params)
        except BinanceError as exc:
            return exc.status, exc.body()
        except (ValueError, ArithmeticError) as exc:
            return 400, {"code": -1100, "msg": f"Illegal characters found in a parameter: {exc}."}

    def _drop(self) -> None:
        """Close the connection without writing a single byte of response."""
        self.close_connection = True
        self.wfile.flush()

    def _send_json(self, status: int, body: Any) -> None:
        self._send(status, json.dumps(body, default=str).encode(), "application/json", {})

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)


class FakeExchangeServer:
    """The HTTP server on ``host:port`` (0 = a free port) serving in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: ExchangeState | None = None) -> None:
        self.state = state or ExchangeState()
        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.httpd.state = self.state  # type: ignore[attr-defined]
        self.host, self.port = host, int(self.httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeExchangeServer:
        self._thread = threading.Thread(target=self.serve_forever, name="fake-exchange", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.05)

    def close(self) -> None:
        self.state.stopping.set()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5)
        self.httpd.server_close()
