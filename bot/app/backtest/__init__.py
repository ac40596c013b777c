"""Backtesting: the daemon's engine replayed in-process over history; metrics, result.json, a chart."""
