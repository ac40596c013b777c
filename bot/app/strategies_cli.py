"""``spotbot strategies list`` and ``spotbot strategies new NAME`` (registered in :mod:`bot.app.cli`).

``list`` shows every strategy spotbot can run: the built-ins, the installed ``spotbot.strategies`` entry
points, and the user strategies a ``--config`` names, each with its parameters (default, bounds,
meaning) as the config validates them. ``new`` writes a documented, runnable template (an RSI dip buy)
to ``NAME.py``: the start of the README's "Write your own strategy".
"""

from __future__ import annotations

import json
import re
import typing
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from bot.app.exits import one_line_errors
from bot.domain.failures import BadInput

if TYPE_CHECKING:
    from pydantic import BaseModel

strategies_app = typer.Typer(
    help="List the strategies spotbot can run; write a new one.", no_args_is_help=True, rich_markup_mode=None
)


@strategies_app.command("list")
@one_line_errors
def list_strategies(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Also show the user strategies this config names.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the built-in and discovered strategies with their parameters."""
    from rich.console import Console

    kinds = _kinds(config)
    console = Console(soft_wrap=True, highlight=False)
    if as_json:
        console.print_json(json.dumps(kinds))
        return
    for kind in kinds:
        console.print(f"[bold]{kind['kind']}[/]  ({kind['source']})")
        if kind["doc"]:
            console.print(f"  {kind['doc']}")
        for param in kind["params"]:
            bounds = f" {param['bounds']}" if param["bounds"] else ""
            shown = f"{param['name']} = {param['default']!r} ({param['type']}{bounds})"
            console.print(f"  - {shown}: {param['description']}")
        if not kind["params"]:
            console.print("  (no parameters)")


@strategies_app.command("new")
@one_line_errors
def new_strategy(
    name: Annotated[str, typer.Argument(help="The strategy's file name without .py, e.g. my_rsi.")],
    directory: Annotated[Path, typer.Option("--dir", help="Where NAME.py is written.")] = Path("."),
) -> None:
    """Write NAME.py: a documented, working strategy template to edit (an RSI dip buy)."""
    if not name.isidentifier() or name.startswith("_"):
        raise BadInput(f"strategies new: {name!r} — a Python identifier such as my_rsi (letters, digits, _)")
    path = directory / f"{name}.py"
    if path.exists():
        raise BadInput(f"strategies new: {path} exists; choose another NAME or --dir (nothing overwritten)")
    class_name = "".join(part.title() for part in name.split("_") if part) or "Strategy"
    template = files("bot.app").joinpath("templates/strategy.py.txt").read_text(encoding="utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(template.format(name=name, class_name=class_name), encoding="utf-8")
    typer.echo(f"wrote {path}: class {class_name}; use it from a config next to it with")
    typer.echo(f'  [[strategies]]\n  name = "{name}"\n  kind = "{name}.py:{class_name}"')


def _kinds(config: Path | None) -> list[dict[str, Any]]:
    from bot.app.settings.strategies import STRATEGY_PARAMS, user_params_model
    from bot.app.strategy_kinds import discovered_entry_points, resolve_kind
    from strategies.registry import STRATEGIES

    found = [
        _describe(kind, "built-in", STRATEGY_PARAMS[kind], STRATEGIES[kind].build) for kind in STRATEGIES
    ]
    for name, target in discovered_entry_points().items():
        kind = resolve_kind(name)
        found.append(
            _describe(name, f"entry point {target}", user_params_model(name, kind.params), kind.build)
        )
    if config is not None:
        from bot.app.settings import load_settings

        for entry in load_settings(config).strategies:
            if entry.kind not in {item["kind"] for item in found}:
                kind = entry.strategy_kind()
                model = user_params_model(entry.kind, kind.params)
                found.append(_describe(entry.kind, f"from {config}", model, kind.build))
    return found


def _describe(kind: str, source: str, model: type[BaseModel], build: object) -> dict[str, Any]:
    doc = (getattr(build, "__doc__", None) or "").strip().split("\n\n")[0]
    doc = re.sub(r":\w+:`([^`]*)`", r"\1", " ".join(doc.split())).split("; implements")[0]
    return {
        "kind": kind,
        "source": source,
        "doc": doc,
        "params": [_param(name, info) for name, info in model.model_fields.items()],
    }


def _param(name: str, info: Any) -> dict[str, Any]:
    annotation = info.annotation
    if typing.get_origin(annotation) is Literal:
        type_name = "one of " + ", ".join(repr(choice) for choice in typing.get_args(annotation))
    else:
        type_name = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
    bounds = []
    for item in info.metadata:
        for attr, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(item, attr, None)
            if value is not None:
                bounds.append(f"{symbol} {value}")
    default = info.default
    return {
        "name": name,
        "type": type_name,
        "default": default
        if isinstance(default, bool | int | float | str) or default is None
        else str(default),
        "bounds": ", ".join(bounds),
        "description": info.description or "",
    }
