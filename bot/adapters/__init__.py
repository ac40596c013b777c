"""Adapters: the outside world behind the core's ports (the exchange through ccxt, the paper and
sim brokers, market data, the audit DB). Import the core and the domain, never the application."""
