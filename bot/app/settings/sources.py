"""Where settings values come from, highest priority first:

1. keyword arguments (``Settings(...)``, ``load_settings(..., overrides=...)``);
2. environment variables: ``SPOTBOT_`` + the dotted key upper-cased with ``__`` for each dot, e.g.
   ``SPOTBOT_RISK__RISK_PER_TRADE=0.005``; complex values (tables, lists) as JSON;
3. the secrets directory: one file per value, named exactly like the environment variable
   (``SPOTBOT_EXCHANGE__API_KEY``; case-insensitive), holding only the value. The directory is the
   ``secrets_dir`` argument, else ``$SPOTBOT_SECRETS_DIR``, else ``/run/secrets`` when it exists
   (Docker/Kubernetes secrets); files without the ``SPOTBOT_`` prefix are ignored;
4. the TOML config file;
5. the defaults in the models.

:func:`load_settings` passes its inputs to :class:`Settings` through a context variable because
pydantic-settings builds the sources inside ``BaseSettings.__init__``; without a load in progress,
``Settings()`` reads ``os.environ`` and the default secrets directory (no file).

A ``SPOTBOT_`` name that maps to no key is an error (:mod:`bot.app.settings.names`): :func:`load_settings`
reports it and passes it here in ``LoadRequest.ignored``, so that pydantic does not also trip over it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
)

ENV_PREFIX = "SPOTBOT_"
ENV_DELIMITER = "__"
SECRETS_DIR_ENV = "SPOTBOT_SECRETS_DIR"
DEFAULT_SECRETS_DIR = Path("/run/secrets")


def env_name(key: str) -> str:
    """The environment variable (and secrets-dir file name) for a dotted key: ``exchange.api_key`` ->
    ``SPOTBOT_EXCHANGE__API_KEY``."""
    return ENV_PREFIX + key.upper().replace(".", ENV_DELIMITER)


@dataclass(frozen=True, slots=True)
class LoadRequest:
    """What one :func:`load_settings` call feeds to the sources."""

    toml: dict[str, Any] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    secrets_dir: Path | None = None
    ignored: frozenset[str] = frozenset()  # upper-case names (variables, secret files) that are no setting
    base_dir: Path | None = (
        None  # the config file's folder: a strategy's ``kind = "file.py:Class"`` is relative to it
    )


_request: ContextVar[LoadRequest | None] = ContextVar("spotbot_settings_request", default=None)


@contextmanager
def loading(request: LoadRequest) -> Iterator[None]:
    """Make ``Settings(...)`` read ``request`` instead of the process environment, for this context."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def config_dir() -> Path | None:
    """The folder of the config file being loaded (``None``: no file, or no load in progress)."""
    request = _request.get()
    return request.base_dir if request is not None else None


class MappingEnvSource(EnvSettingsSource):
    """The environment source, reading an injected mapping (tests) instead of ``os.environ``."""

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        environ: Mapping[str, str],
        ignored: frozenset[str] = frozenset(),
    ) -> None:
        self._environ = environ
        self._ignored = ignored
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            name.lower(): value for name, value in self._environ.items() if name.upper() not in self._ignored
        }


class SecretFilesSource(NestedSecretsSettingsSource):
    """The secrets directory, without the files named in ``ignored``."""

    def __init__(
        self,
        file_secret_settings: PydanticBaseSettingsSource,
        secrets_dir: Path | None,
        ignored: frozenset[str],
    ) -> None:
        self._ignored = ignored
        super().__init__(
            file_secret_settings,
            secrets_dir=secrets_dir,
            secrets_dir_missing="ok",
            secrets_prefix=ENV_PREFIX,
            secrets_nested_delimiter=ENV_DELIMITER,
            secrets_case_sensitive=False,
        )

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            name: value
            for name, value in super()._load_env_vars().items()
            if name.upper() not in self._ignored
        }


def default_secrets_dir(environ: Mapping[str, str]) -> Path | None:
    """``$SPOTBOT_SECRETS_DIR`` if set, else ``/run/secrets`` if it is a directory, else none."""
    configured = environ.get(SECRETS_DIR_ENV, "").strip()
    if configured:
        return Path(configured)
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None


def build_sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    file_secret_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    """The sources in priority order, for ``Settings.settings_customise_sources``."""
    request = _request.get()
    if request is None:
        return (
            init_settings,
            MappingEnvSource(settings_cls, os.environ),
            SecretFilesSource(file_secret_settings, default_secrets_dir(os.environ), frozenset()),
        )
    return (
        init_settings,
        MappingEnvSource(settings_cls, request.env, request.ignored),
        SecretFilesSource(file_secret_settings, request.secrets_dir, request.ignored),
        InitSettingsSource(settings_cls, init_kwargs=request.toml),
    )
