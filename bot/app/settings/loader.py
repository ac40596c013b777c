"""``load_settings``: read the TOML file, refuse secrets in it, merge the sources, explain every error."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from bot.app.settings.errors import HIDDEN, ConfigError, ConfigProblem
from bot.app.settings.explain import explain_env_json_error, problems_from
from bot.app.settings.models import SECRET_FIELDS, url_password
from bot.app.settings.names import name_problem, not_settings, secret_file_names
from bot.app.settings.root import Settings
from bot.app.settings.sources import LoadRequest, default_secrets_dir, env_name, loading
from bot.domain.secrets import MASK, is_secret_key

_TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)")


def load_settings(
    path: Path | None,
    *,
    env: Mapping[str, str] | None = None,
    secrets_dir: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The settings from ``path`` (None: defaults only), the environment and the secrets directory.

    ``env`` replaces ``os.environ`` (tests); ``secrets_dir`` replaces ``$SPOTBOT_SECRETS_DIR`` and
    ``/run/secrets``; ``overrides`` (nested dict, e.g. from command-line flags) beats everything.
    A ``SPOTBOT_`` variable or secret file that names no key is a problem (:mod:`bot.app.settings.names`).
    Raises :class:`ConfigError` listing every problem; the message never contains a secret.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    directory = _secrets_directory(secrets_dir, environ)
    data = _read_toml(path) if path is not None else {}
    problems = _pop_secrets(data)
    variables, files = not_settings(environ), not_settings(secret_file_names(directory))
    problems.extend(name_problem(name) for name in variables)
    problems.extend(name_problem(name, secrets_dir=directory) for name in files)
    ignored = frozenset(name.upper() for name in variables + files)
    settings: Settings | None = None
    try:
        base_dir = path.resolve().parent if path is not None else None
        request = LoadRequest(
            toml=data, env=dict(environ), secrets_dir=directory, ignored=ignored, base_dir=base_dir
        )
        with loading(request):
            settings = Settings(**dict(overrides or {}))
    except ValidationError as exc:
        problems.extend(problems_from(exc, environ))
    except SettingsError as exc:  # e.g. an environment variable that should hold JSON does not
        raise ConfigError(_scrub(explain_env_json_error(str(exc), environ), environ), path=path) from None
    if problems or settings is None:
        safe = [ConfigProblem(p.key, _scrub(p.value, environ), _scrub(p.allowed, environ)) for p in problems]
        raise ConfigError.from_problems(safe, path=path)
    return settings


def _secrets_directory(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    directory = explicit if explicit is not None else default_secrets_dir(environ)
    if directory is not None and not directory.is_dir():
        where = "secrets_dir" if explicit is not None else "$SPOTBOT_SECRETS_DIR"
        raise ConfigError(f"{where}: {str(directory)!r} — an existing directory of secret files")
    return directory


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", path=path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a config file must be UTF-8 TOML", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        # The parser's message names the position but never the text, so it cannot leak a secret.
        message = str(exc)
        position = _TOML_POSITION.search(message)
        where = f"{path}, line {position['line']}, column {position['column']}" if position else str(path)
        reason = _TOML_POSITION.sub("", message)
        raise ConfigError(f"{where}: invalid TOML: {reason}", path=path) from None


def _pop_secrets(data: dict[str, Any]) -> list[ConfigProblem]:
    """Remove credentials written in the file and explain where they belong (without showing them)."""
    problems: list[ConfigProblem] = []
    exchange = data.get("exchange")
    if isinstance(exchange, dict):
        for name in SECRET_FIELDS:
            if name in exchange:
                del exchange[name]
                problems.append(_secret_in_file(f"exchange.{name}"))
    for table, key in (("api", "token"), ("notify", "urls")):
        section = data.get(table)
        if isinstance(section, dict) and key in section:
            del section[key]
            problems.append(_secret_in_file(f"{table}.{key}"))
    bot = data.get("bot")
    if (
        isinstance(bot, dict)
        and isinstance(bot.get("database_url"), str)
        and url_password(bot["database_url"])
    ):
        del bot["database_url"]
        problems.append(_secret_in_file("bot.database_url"))
    return problems


def _secret_in_file(key: str) -> ConfigProblem:
    return ConfigProblem(
        key,
        HIDDEN,
        f"secrets are not accepted in the config file: delete it there and set the environment variable "
        f"{env_name(key)} (or a file of that name in the secrets directory); consider it exposed",
    )


def _scrub(text: str, environ: Mapping[str, str]) -> str:
    """Belt and braces: mask any credential value from the environment that slipped into a message."""
    for name, value in environ.items():
        if value and len(value) >= 4 and name.upper().startswith("SPOTBOT_") and is_secret_key(name):
            text = text.replace(value, MASK)
    return text
