"""Checks of a loaded config that need more than the settings models: kept apart from the composition
root so that a command checking a config (``config check``, ``halt``, ``report``) does not load the whole
engine, the database and numpy to do it."""

from __future__ import annotations

from pathlib import Path

from bot.app.settings import ConfigError, ConfigProblem, Settings
from bot.app.settings.errors import show_value


def check_exchange_id(settings: Settings, path: Path | None = None) -> None:
    """With ``market.source = "exchange"``, an ``exchange.id`` ccxt does not know is a config error (of the
    config file ``path``). ccxt is imported only then: a sim run never pays its half second."""
    exchange_id = settings.exchange.id
    if settings.market.source != "exchange" or exchange_id is None:
        return
    from bot.adapters.exchange.client import exchange_id_problem

    problem = exchange_id_problem(exchange_id)
    if problem is not None:
        bad = ConfigProblem("exchange.id", show_value(exchange_id), problem)
        raise ConfigError.from_problems([bad], path=path)
