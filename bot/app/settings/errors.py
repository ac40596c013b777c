"""Configuration errors a human can act on: each problem names the key, the bad value and what is allowed.

A secret never reaches a message: values under secret-looking keys are shown as ``(hidden)``, tables are
summarised rather than dumped, and the loader scrubs known secret values from the final text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from pydantic_core import PydanticCustomError

from bot.domain.failures import BadInput
from bot.domain.secrets import is_secret_key, scrub_text

HIDDEN = "(hidden)"
MISSING = "(missing)"
PROBLEMS_ERROR = "spotbot_problems"
ALLOWED_ERROR = "spotbot_allowed"
_MAX_SHOWN = 80


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One bad setting: ``key`` is dotted (``risk.risk_per_trade``, ``strategies[0].params.fast``)."""

    key: str
    value: str
    allowed: str

    def __str__(self) -> str:
        return f"{self.key}: {self.value} — {self.allowed}"


class ConfigError(BadInput):
    """The configuration cannot be used (exit 2). ``str()`` is the full, human-readable explanation: one
    line for one problem, a list for several.

    ``problems`` holds the individual bad keys (empty for file-level errors such as a missing file or
    a TOML syntax error); ``path`` is the config file involved, if any.
    """

    def __init__(
        self, message: str, *, problems: Sequence[ConfigProblem] = (), path: Path | None = None
    ) -> None:
        self.problems = tuple(problems)
        self.path = path
        super().__init__(message)

    @classmethod
    def from_problems(cls, problems: Sequence[ConfigProblem], *, path: Path | None) -> ConfigError:
        where = f" in {path}" if path is not None else ""
        if len(problems) == 1:
            return cls(f"invalid configuration{where}: {problems[0]}", problems=problems, path=path)
        lines = [f"invalid configuration{where} ({len(problems)} problems):"]
        lines.extend(f"  - {problem}" for problem in problems)
        return cls("\n".join(lines), problems=problems, path=path)


def show_value(value: object, *, key: str = "") -> str:
    """How a bad value is quoted in a message: short, TOML-like, never a secret, never a whole table."""
    if key and any(is_secret_key(part) for part in key.replace("[", ".").split(".")):
        return HIDDEN
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = repr(scrub_text(value))
    elif isinstance(value, int | float | Decimal):
        text = str(value) if not (isinstance(value, float) and not math.isfinite(value)) else repr(value)
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, Path):
        return repr(str(value))  # whole: a shortened path names no file
    elif isinstance(value, dict):
        return "(a table)"
    elif isinstance(value, list | tuple):
        if any(isinstance(item, dict | list | tuple) for item in value):
            return f"(a list of {len(value)} items)"
        text = "[" + ", ".join(show_value(item) for item in value) + "]"
    elif value is None:
        return "(none)"
    else:
        text = f"(a {type(value).__name__})"
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def allowed_error(allowed: str) -> PydanticCustomError:
    """A validation error whose message is exactly ``allowed`` (what the value may be)."""
    return PydanticCustomError(ALLOWED_ERROR, "{allowed}", {"allowed": allowed})


def problems_error(problems: Sequence[ConfigProblem]) -> PydanticCustomError:
    """One validation error carrying several cross-field problems, keys relative to the model raising it.

    Model validators can raise only one error; this keeps every problem (a user fixing a config wants
    the whole list, not one per attempt).
    """
    summary = "; ".join(str(problem) for problem in problems)
    triples = tuple((p.key, p.value, p.allowed) for p in problems)
    return PydanticCustomError(PROBLEMS_ERROR, "{summary}", {"summary": summary, "problems": triples})
