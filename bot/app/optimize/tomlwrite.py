"""A small TOML writer for config files (tables, arrays of tables, scalars, lists, inline tables).

Enough for spotbot's configs: the optimized config is the original file's data (read with tomllib) with
the tuned params replaced, written back with a comment header. Comments of the original are not
kept. The text is checked by reading it back: what is written parses to exactly the data given.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
INLINE_UNDER = ("search",)  # the values of these tables are written inline: fast = {low = 5, high = 50}


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def value_text(value: Any) -> str:
    """One value as TOML: booleans, numbers, strings, date-times, lists, inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {value_text(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write a {type(value).__name__} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _emit(lines: list[str], path: list[str], table: dict[str, Any], header: str | None) -> None:
    inline = bool(path) and path[-1] in INLINE_UNDER
    scalars = {k: v for k, v in table.items() if inline or not (isinstance(v, dict) or _is_table_array(v))}
    if header is not None:
        if lines:
            lines.append("")
        lines.append(header)
    lines.extend(f"{_key(k)} = {value_text(v)}" for k, v in scalars.items())
    for key, value in table.items():
        if key in scalars:
            continue
        child = [*path, key]
        dotted = ".".join(_key(part) for part in child)
        if isinstance(value, dict):
            _emit(lines, child, value, f"[{dotted}]")
        else:
            for item in value:
                _emit(lines, child, item, f"[[{dotted}]]")


def dumps(data: dict[str, Any], comments: Sequence[str] = ()) -> str:
    """``data`` as TOML text, after ``comments`` (one ``# ...`` line each); checked by reading it back."""
    lines = [f"# {line}".rstrip() for line in comments]
    if lines:
        lines.append("")
    body: list[str] = []
    _emit(body, [], data, None)
    text = "\n".join(lines + body) + "\n"
    if tomllib.loads(text) != data:
        raise ValueError("the TOML written does not read back as the data given (a writer bug)")
    return text


def with_params(config: Path, tuned: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The config file's data with each ``[[strategies]]`` entry's tuned params replaced (by name)."""
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    entries = {entry.get("name"): entry for entry in data.get("strategies", []) if isinstance(entry, dict)}
    for name, params in tuned.items():
        if name not in entries:
            raise ValueError(
                f"{config}: no [[strategies]] entry named {name!r} to write the tuned params into"
            )
        entries[name].setdefault("params", {}).update(params)
    return data
