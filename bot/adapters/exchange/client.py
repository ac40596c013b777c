"""Building a ccxt client for spot trading. The only place (with its siblings) that imports ccxt.

``make_client`` sets the options that keep ccxt on the spot API (see ``notes/ccxt-binance.md``):
no currency, margin or futures calls at ``load_markets`` time, and no built-in retries (this package
retries reads itself and never retries a placement). Secrets are handed to ccxt and never logged.

Two things ccxt does not do by itself:

- ``recvWindow`` is sent explicitly and short (Binance's default and advice, 5000 ms; ccxt would send
  10000): a signed request older than that never executes, which bounds how long an order whose answer
  was lost may still appear (:meth:`bot.adapters.exchange.CcxtBroker.outcome_deadline`).
- The HTTP status of the last answer is kept (``last_http_status``): Binance documents every 5XX as
  "execution status UNKNOWN", whatever exception ccxt makes of its body.
"""

from __future__ import annotations

import logging
import re
from difflib import get_close_matches
from typing import Any

import ccxt

_SCHEME_AND_HOST = re.compile(r"^https?://[^/]+")
# ccxt logs every request's headers (the API key) and signed body at DEBUG on this logger
_CCXT_REQUEST_LOGGER = "ccxt.base.exchange"


DEFAULT_RECV_WINDOW_MS = 5000


def spot_options(recv_window_ms: int = DEFAULT_RECV_WINDOW_MS) -> dict[str, Any]:
    """ccxt options for a spot-only client that makes exactly one call (exchangeInfo) to load markets."""
    return {
        "defaultType": "spot",
        "fetchCurrencies": False,
        "fetchMargins": False,
        "fetchMarkets": {"types": ["spot"]},
        "maxRetriesOnFailure": 0,  # we retry reads ourselves; a placement is never retried blindly
        "adjustForTimeDifference": False,  # resynced on demand (-1021) by the adapter
        "recvWindow": int(recv_window_ms),
    }


def is_exchange_id(exchange_id: str) -> bool:
    """Whether ccxt knows ``exchange_id`` (an exchange class, e.g. ``"binance"``)."""
    return exchange_id in ccxt.exchanges and isinstance(getattr(ccxt, exchange_id, None), type)


def exchange_id_problem(exchange_id: str) -> str | None:
    """None if ccxt knows ``exchange_id``; else what is allowed, with the closest id, for a config error.

    Lets the settings be checked without importing ccxt anywhere else (import this module only when the
    settings trade on an exchange: ccxt takes about half a second to load).
    """
    if is_exchange_id(exchange_id):
        return None
    close = get_close_matches(exchange_id, ccxt.exchanges, n=1)
    return "a ccxt exchange id, e.g. 'binance'" + (f"; did you mean {close[0]!r}?" if close else "")


def _with_status(exchange_class: type) -> type:
    """``exchange_class`` remembering the HTTP status of its last answer as ``last_http_status``."""

    class Client(exchange_class):  # type: ignore[misc]
        last_http_status: int | None = None

        def on_rest_response(self, code: Any, reason: Any, *args: Any) -> Any:
            self.last_http_status = int(code) if code is not None else None
            return super().on_rest_response(code, reason, *args)

    Client.__name__ = exchange_class.__name__
    return Client


def make_client(
    exchange_id: str,
    *,
    api_key: str | None = None,
    secret: str | None = None,
    password: str | None = None,
    sandbox: bool = False,
    timeout_ms: int = 10_000,
    urls_override: str | None = None,
    rate_limit: bool = True,
    recv_window_ms: int = DEFAULT_RECV_WINDOW_MS,
) -> Any:
    """A sync ccxt client for ``exchange_id`` with spot-only options and rate limiting on.

    ``rate_limit=False`` turns ccxt's client-side throttle off: only for a test or self-hosted exchange
    (the shared :class:`~bot.adapters.exchange.retry.Throttle` still obeys 429/418 answers).

    ``urls_override`` is a base URL (``http://127.0.0.1:8123``) that replaces the scheme and host of every
    REST API url, keeping the paths: how tests point the real client at the fake exchange.
    """
    if not is_exchange_id(exchange_id):
        raise ValueError(f"unknown exchange id {exchange_id!r}: not a ccxt exchange")
    config: dict[str, Any] = {
        "enableLastJsonResponse": True,  # an answer that was no JSON is malformed (ccxt returns [] or {})
        "enableRateLimit": rate_limit,
        "timeout": int(timeout_ms),
        "options": spot_options(recv_window_ms),
    }
    credentials = {"apiKey": api_key, "secret": secret, "password": password}
    config.update({key: value for key, value in credentials.items() if value})
    _silence_request_logging()
    client = _with_status(getattr(ccxt, exchange_id))(config)
    if sandbox:
        client.set_sandbox_mode(True)
    if urls_override is not None:
        client.urls["api"] = override_urls(client.urls["api"], urls_override)
        if "test" in client.urls:
            client.urls["test"] = override_urls(client.urls["test"], urls_override)
    return client


def override_urls(api: Any, base_url: str) -> Any:
    """Replace scheme+host in every url of a ccxt ``urls['api']`` entry (a string or a nested dict)."""
    base = base_url.rstrip("/")
    if isinstance(api, str):
        return _SCHEME_AND_HOST.sub(base, api)
    if isinstance(api, dict):
        return {key: override_urls(value, base) for key, value in api.items()}
    return api


def _silence_request_logging() -> None:
    """Keep ccxt's per-request DEBUG lines (API key header, signed query) out of any log (DESIGN §10)."""
    logger = logging.getLogger(_CCXT_REQUEST_LOGGER)
    if logger.getEffectiveLevel() < logging.INFO:
        logger.setLevel(logging.INFO)
