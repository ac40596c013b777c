"""Turn pydantic's errors into :class:`ConfigProblem` lines: dotted key, value shown safely, what is allowed.

Also explains the one error pydantic-settings raises outside validation: an environment variable that
must hold JSON (a table or a list) and does not.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any

from pydantic import ValidationError
from pydantic_settings import NoDecode

from bot.app.settings.errors import ALLOWED_ERROR, MISSING, PROBLEMS_ERROR, ConfigProblem, show_value
from bot.app.settings.root import Settings
from bot.app.settings.sources import ENV_DELIMITER, ENV_PREFIX, env_name
from bot.app.settings.strategies import STRATEGY_KIND_ERROR, STRATEGY_MODELS, USER_TAG, UserStrategySettings
from bot.app.settings.types import is_model, unwrap
from bot.domain.secrets import is_secret_key

_BOUNDS = {
    "greater_than": "greater than {gt}",
    "greater_than_equal": "at least {ge}",
    "less_than": "less than {lt}",
    "less_than_equal": "at most {le}",
    "too_short": "at least {min_length} item(s)",
    "too_long": "at most {max_length} item(s)",
    "literal_error": "one of {expected}",
    "timezone_aware": "a date-time with a time zone, e.g. 2024-01-01T00:00:00Z",
    "finite_number": "a finite number (not nan or inf)",
}
_FIELD_IN_MESSAGE = re.compile(r'field "(?P<field>\w+)"')
# A bound declared after a validator (Annotated[DecimalSetting, Field(lt=...)]) reaches ctx as its repr.
_DECIMAL_REPR = re.compile(r"Decimal\('([^']*)'\)")


def explain_env_json_error(message: str, environ: Mapping[str, str]) -> str:
    """pydantic-settings says only 'error parsing value for field "bot"': name the variable(s) at fault."""
    match = _FIELD_IN_MESSAGE.search(message)
    suspects = _json_suspects(environ, match["field"]) if match else []
    if not suspects:
        return f"cannot read the settings: {message}"
    return (
        f"{', '.join(suspects)}: not valid JSON — a table or list in an environment variable must be JSON, "
        """e.g. SPOTBOT_BOT__STARTING_BALANCES='{"USDT": "10000"}'"""
    )


def _json_suspects(environ: Mapping[str, str], field: str) -> list[str]:
    section = env_name(field)
    suspects = []
    for name, value in environ.items():
        upper = name.upper()
        if upper != section and not upper.startswith(section + ENV_DELIMITER):
            continue
        path = upper[len(ENV_PREFIX) :].lower().split(ENV_DELIMITER)
        if _wants_json(path) and not _is_json(value):
            suspects.append(upper)
    return sorted(suspects)


def _wants_json(path: Sequence[str]) -> bool:
    current: Any = Settings
    field = None
    for part in path:
        current = unwrap(current)
        if not (is_model(current) and part in current.model_fields):
            return False
        field = current.model_fields[part]
        current = field.annotation
    if field is None or any(isinstance(item, NoDecode) or item is NoDecode for item in field.metadata):
        return False
    target = unwrap(current)
    return is_model(target) or typing.get_origin(target) in (dict, list, tuple)


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def problems_from(exc: ValidationError, environ: Mapping[str, str]) -> list[ConfigProblem]:
    """One problem per pydantic error (several for a cross-field error that carries a list)."""
    problems: list[ConfigProblem] = []
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == PROBLEMS_ERROR:
            for key, value, allowed in ctx["problems"]:
                problems.append(ConfigProblem(_join(loc, key), value, allowed))
            continue
        if error["type"] == STRATEGY_KIND_ERROR:
            loc = (*loc, "kind")
            value = error["input"].get("kind") if isinstance(error["input"], dict) else error["input"]
        else:
            value = error["input"]
        key = _join(loc)
        shown = MISSING if error["type"] == "missing" else show_value(value, key=key)
        problems.append(
            ConfigProblem(key, shown + _from_env(loc, environ), _allowed(error, tuple(error["loc"])))
        )
    return problems


def _clean_loc(loc: Sequence[int | str]) -> tuple[int | str, ...]:
    """Drop the tag pydantic inserts for the strategies union (``strategies.0.ma_crossover.params``)."""
    parts = tuple(loc)
    if len(parts) > 2 and parts[0] == "strategies" and (parts[2] in STRATEGY_MODELS or parts[2] == USER_TAG):
        parts = parts[:2] + parts[3:]
    return parts


def _join(loc: Sequence[int | str], relative: str = "") -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if relative:
        text = f"{text}.{relative}" if text else relative
    return text


def _from_env(loc: Sequence[int | str], environ: Mapping[str, str]) -> str:
    if any(isinstance(part, int) for part in loc):
        return ""
    name = env_name(".".join(str(part) for part in loc))
    return f" (from {name})" if any(key.upper() == name for key in environ) else ""


def _allowed(error: Any, raw_loc: tuple[int | str, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(raw_loc)
    if kind == "missing":
        return "required"
    if kind in (ALLOWED_ERROR, STRATEGY_KIND_ERROR):
        return str(error["msg"])
    if kind in _BOUNDS:
        return _BOUNDS[kind].format(
            **{name: _DECIMAL_REPR.sub(r"\1", str(bound)) for name, bound in ctx.items()}
        )
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def _unknown_key(raw_loc: tuple[int | str, ...]) -> str:
    name = str(raw_loc[-1])
    secret = " (and credentials belong in the environment, never the file)" if is_secret_key(name) else ""
    fields = _fields_at(raw_loc[:-1])
    if not fields:
        return f"unknown key: extra keys are not allowed here{secret}"
    close = get_close_matches(name, fields, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key: extra keys are not allowed here{secret}; {hint}allowed: {', '.join(fields)}"


def _fields_at(raw_loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at ``raw_loc`` (pydantic's loc, union tags included) accepts, for hints."""
    current: Any = Settings
    for part in raw_loc:
        current = unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif is_model(current) and part in current.model_fields:
            current = current.model_fields[part].annotation
        elif part in STRATEGY_MODELS:  # the tag pydantic puts after strategies[i]
            current = STRATEGY_MODELS[part]
        elif part == USER_TAG:
            current = UserStrategySettings
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = unwrap(current)
    return list(current.model_fields) if is_model(current) else []
