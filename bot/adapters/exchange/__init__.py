"""The ccxt adapter: the only package that imports ccxt.

- :func:`make_client` builds a spot-only ccxt client;
- :class:`CcxtMarketData` and :class:`CcxtBroker` implement the ``MarketData`` and ``Broker`` ports;
- :class:`ExchangeCaller` (with a shared :class:`Throttle`) runs every call: it translates ccxt exceptions
  into :mod:`bot.domain.errors`, pauses the client on rate limits, resyncs time, and retries reads only.

Share one ``ExchangeCaller`` between the market data and the broker of one client, so a rate-limit pause
applies to both.
"""

from bot.adapters.exchange.broker import CcxtBroker
from bot.adapters.exchange.client import make_client
from bot.adapters.exchange.errors import CallKind, translate
from bot.adapters.exchange.market_data import CcxtMarketData, rules_from_market
from bot.adapters.exchange.retry import ExchangeCaller, RetryPolicy, Throttle

__all__ = [
    "CallKind",
    "CcxtBroker",
    "CcxtMarketData",
    "ExchangeCaller",
    "RetryPolicy",
    "Throttle",
    "make_client",
    "rules_from_market",
    "translate",
]
