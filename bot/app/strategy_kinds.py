"""Where a ``[[strategies]] kind`` comes from: a built-in, a user's file, an installed module, an entry point.

- a built-in name (``ma_crossover``, ...): :data:`strategies.registry.STRATEGIES`;
- ``"path/to/file.py:ClassName"``: a Python file, relative to the config file's folder (or absolute);
- ``"package.module:ClassName"``: an importable module (installed, or on ``PYTHONPATH``);
- a name registered by an installed distribution in the entry-point group ``spotbot.strategies``
  (``[project.entry-points."spotbot.strategies"] my_rsi = "my_pkg.rsi:MyRsi"``).

A user strategy class is built like a built-in: ``Class(name, timeframe, params)``, where ``params`` is an
instance of the class attribute ``Params`` (a pydantic model, or a dataclass declared with
:func:`bot.domain.params.param` like the built-ins'; no ``Params``: the strategy takes none). The
settings validate ``[strategies.params]`` against it and ``spotbot optimize`` searches its fields.

Every failure is a :class:`StrategyLoadError` with one line naming the kind, the file and the line
(an import error, a syntax error, a missing class), never a traceback. A file is executed once per
process: settings validated again (``optimize`` trials) reuse the loaded class.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
import typing
from collections.abc import Callable
from dataclasses import is_dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.core.strategy_guard import where_raised
from bot.domain.params import params_of
from strategies.base import Strategy
from strategies.registry import STRATEGIES, StrategyKind

ENTRY_POINT_GROUP = "spotbot.strategies"
USER_MODULE_PREFIX = "spotbot_user_strategy_"
FORMS = (
    "a built-in kind, 'path/to/file.py:ClassName' (relative to the config file), "
    f"'package.module:ClassName', or an installed {ENTRY_POINT_GROUP} entry point"
)


class StrategyLoadError(ValueError):
    """A strategy kind that cannot be loaded: one line naming what, where and why."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind!r}: {reason}")
        self.kind = kind
        self.reason = reason


class NoParams:
    """The params of a user strategy without ``Params``: none are accepted."""


def is_user_kind(kind: str) -> bool:
    """Whether ``kind`` names a user strategy (a file or module path, or an entry point)."""
    return ":" in kind or kind in discovered_entry_points()


@cache
def discovered_entry_points() -> dict[str, str]:
    """Installed strategies: entry-point name -> ``module:Class``."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def resolve_kind(kind: str, base_dir: Path | None = None) -> StrategyKind:
    """The :class:`StrategyKind` ``kind`` names; :class:`StrategyLoadError` if it cannot be loaded."""
    if kind in STRATEGIES:
        return STRATEGIES[kind]
    target = kind
    if ":" not in kind:
        if kind not in discovered_entry_points():
            raise StrategyLoadError(kind, f"unknown strategy kind: allowed {FORMS}")
        target = discovered_entry_points()[kind]
    where, _, class_name = target.rpartition(":")
    if not where or not class_name.isidentifier():
        raise StrategyLoadError(kind, "expected 'file.py:ClassName' or 'module:ClassName'")
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        module = _load_file(kind, path.resolve())
    else:
        module = _import_module(kind, where)
    return _kind_of_class(kind, module, class_name)


def _kind_of_class(kind: str, module: ModuleType, class_name: str) -> StrategyKind:
    cls = getattr(module, class_name, None)
    where = getattr(module, "__file__", None) or module.__name__
    if not inspect.isclass(cls):
        found = [name for name, item in vars(module).items() if inspect.isclass(item) and _looks_like(item)]
        hint = f"; strategy classes there: {', '.join(found)}" if found else ""
        raise StrategyLoadError(kind, f"{where} has no class {class_name!r}{hint}")
    if not _looks_like(cls):
        raise StrategyLoadError(
            kind, f"{class_name} ({where}) has no on_candles(self, view) method: not a strategy"
        )
    params = getattr(cls, "Params", NoParams)
    if not _is_params_type(params):
        raise StrategyLoadError(
            kind,
            f"{class_name}.Params must be a pydantic model or a dataclass declared with "
            f"bot.domain.params.param, got {params!r}",
        )
    return StrategyKind(params, typing.cast(Callable[[str, str, Any], Strategy], cls))


def _looks_like(cls: type[Any]) -> bool:
    return callable(getattr(cls, "on_candles", None))


def _is_params_type(params: Any) -> bool:
    if params is NoParams:
        return True
    if not inspect.isclass(params):
        return False
    if hasattr(params, "model_fields"):  # a pydantic model
        return True
    if is_dataclass(params):
        try:
            params_of(params)
        except TypeError:
            return False
        return True
    return False


def _load_file(kind: str, path: Path) -> ModuleType:
    if not path.is_file():
        raise StrategyLoadError(kind, f"no such file {path}")
    name = USER_MODULE_PREFIX + path.stem + "_" + hashlib.sha1(str(path).encode()).hexdigest()[:10]
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise StrategyLoadError(kind, f"{path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look classes up by module name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise StrategyLoadError(kind, f"{_failure(exc, path)}") from None
    return module


def _import_module(kind: str, name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise StrategyLoadError(kind, f"no module named {exc.name!r} (is it installed?)") from None
        raise StrategyLoadError(kind, f"{_failure(exc, None)}") from None
    except Exception as exc:
        raise StrategyLoadError(kind, f"{_failure(exc, None)}") from None


def _failure(exc: BaseException, path: Path | None) -> str:
    """``file, line N: SomeError: message`` of an exception raised while importing user code."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}, line {exc.lineno}: SyntaxError: {exc.msg}"
    return f"{where_raised(exc.__traceback__, path)}: {type(exc).__name__}: {exc}"
