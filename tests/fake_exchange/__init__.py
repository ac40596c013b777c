"""A fake Binance spot REST server for integration tests; the real ccxt client talks to it over HTTP.

Modules: ``markets`` (symbols, filters, errors), ``matching`` (balances, orders, fills), ``market_data``
(tickers, depth, klines), ``faults`` (per-request and chaos fault injection), ``server`` (HTTP routing),
``fixture`` (``FakeExchange``, the ``fake_exchange`` pytest fixture, ``ccxt_config``).
"""
