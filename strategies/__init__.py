"""Strategies: pure functions from closed candles (and the current position) to order intents."""
