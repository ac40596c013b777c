"""The core: the engine and everything that decides (intents, execution, order state, stops,
positions, account, breakers). Imports only the domain, ``risk`` and ``strategies``; reaches the
outside world through the ports in :mod:`bot.core.ports`."""
