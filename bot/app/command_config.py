"""What every command that reads a bot's config shares: the ``--config`` option, how the config is
loaded, and who is at the keyboard.

A bad config ends any command the same way (exit 2, each bad key named with its value and what is
allowed); a command without ``--config`` uses ``config/paper.toml`` when present, else the built-in
defaults.
"""

from __future__ import annotations

import getpass
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.app.settings import Settings

DEFAULT_CONFIG = Path("config/paper.toml")

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file [default: config/paper.toml if present, else built-in]"
    ),
]


def load_config(path: Path | None) -> Settings:
    """Load settings; a bad config ends the command (exit 2) naming each bad key, its value and what is
    allowed (a :class:`~bot.app.settings.ConfigError` is a :class:`~bot.domain.failures.BadInput`)."""
    from bot.app.config_checks import check_exchange_id
    from bot.app.settings import load_settings
    from bot.domain.secrets import register_secrets

    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    settings = load_settings(path)
    check_exchange_id(settings, path)
    register_secrets(*settings.secret_values())
    return settings


def cli_actor() -> str:
    """Who is at the keyboard, as stored with a trading state change or a note: ``cli:<user>@<host>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container user without a passwd entry)
        user = "unknown"
    return f"cli:{user}@{socket.gethostname()}"
