"""Which ``SPOTBOT_`` names are settings: environment variables and files in the secrets directory.

A name is ``SPOTBOT_`` + a key path in capitals with ``__`` for each dot (``SPOTBOT_RISK__RISK_PER_TRADE``),
for a key at any depth (``SPOTBOT_RISK`` sets the whole table as JSON). Any other ``SPOTBOT_`` name is an
error, so that a misspelt override (``SPOTBOT_RISK_RISK_PER_TRADE``, one underscore) cannot quietly not
apply. The few variables that are not settings but rightly carry the prefix are listed in
:data:`NON_SETTING_VARIABLES` (and in the README); add a new one there.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any

from bot.app.settings.errors import ConfigProblem
from bot.app.settings.root import Settings
from bot.app.settings.sources import ENV_DELIMITER, ENV_PREFIX, SECRETS_DIR_ENV, env_name
from bot.app.settings.types import is_model, unwrap

NON_SETTING_VARIABLES: dict[str, str] = {
    SECRETS_DIR_ENV: "the secrets directory (default /run/secrets when it exists)",
    "SPOTBOT_TEST_DATABASE_URL": "tests: also run every audit-DB test on this PostgreSQL database",
    "SPOTBOT_SHARED_DATA": "tests: where the real candle files are (default ../shared/data)",
    "SPOTBOT_SHADOW_REPLAY": "backtests also tick every close they skip and fail if the engine acts there",
    "SPOTBOT_CHAOS_LONG": "tests: 1 runs the chaos test with more seeds and kills",
}
NAME_RULE = "SPOTBOT_ + the key path in capitals, __ for each dot"
NOT_A_SETTING = "not a setting"


@cache
def _keys() -> dict[str, Any]:
    """Every settings key at any depth (environment name -> its annotation), tables included."""
    return {env_name(key): annotation for key, annotation in _walk(Settings, "")}


def _walk(model: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        target = unwrap(field.annotation)
        yield key, target
        if is_model(target):
            yield from _walk(target, key)


def not_settings(names: Iterable[str]) -> list[str]:
    """The ``SPOTBOT_`` names (any case) among ``names`` that are neither a settings key nor a listed
    non-setting variable; other names are none of spotbot's business."""
    keys = _keys()
    return sorted(
        name
        for name in names
        if (upper := name.upper()).startswith(ENV_PREFIX)
        and upper not in keys
        and upper not in NON_SETTING_VARIABLES
    )


def secret_file_names(directory: Path | None) -> list[str]:
    """The names of the files the secrets source reads from ``directory`` (hidden entries are skipped,
    as Kubernetes' ``..data``)."""
    if directory is None:
        return []
    return [entry.name for entry in directory.iterdir() if not entry.name.startswith(".") and entry.is_file()]


def name_problem(name: str, *, secrets_dir: Path | None = None) -> ConfigProblem:
    """Why ``name`` (an environment variable, or a file in ``secrets_dir``) is refused, and what to use."""
    where = f"{name} (a file in {secrets_dir})" if secrets_dir is not None else name
    return ConfigProblem(where, NOT_A_SETTING, _what_instead(name.upper()))


def _what_instead(name: str) -> str:
    keys = _keys()
    container = _container_prefix(name, keys)
    if container is not None:
        kind = "table" if typing.get_origin(keys[container]) is dict else "list"
        return f"{container} holds a {kind}: set {container} to the whole {kind} as JSON"
    leaves = [key for key, annotation in keys.items() if not is_model(annotation)]
    close = get_close_matches(name, [*leaves, *NON_SETTING_VARIABLES], n=1, cutoff=0.75)
    if close and close[0] in NON_SETTING_VARIABLES:
        return f"did you mean {close[0]}? ({NON_SETTING_VARIABLES[close[0]]})"
    if close:
        return f"did you mean {close[0]}? ({NAME_RULE})"
    others = ", ".join(NON_SETTING_VARIABLES)
    return f"{NAME_RULE}, e.g. {env_name('risk.risk_per_trade')}; the other SPOTBOT_ variables are {others}"


def _container_prefix(name: str, keys: dict[str, Any]) -> str | None:
    """``SPOTBOT_STRATEGIES__0__NAME`` -> ``SPOTBOT_STRATEGIES``: a table or list key the name reaches into
    (its items cannot be set one by one from the environment)."""
    parts = name.split(ENV_DELIMITER)
    for end in range(len(parts) - 1, 0, -1):
        prefix = ENV_DELIMITER.join(parts[:end])
        if prefix in keys:
            origin = typing.get_origin(keys[prefix])
            return prefix if origin in (dict, list, tuple) else None
    return None
