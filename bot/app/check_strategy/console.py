"""The rich table printed by ``spotbot check-strategy`` (the same dict as ``--json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

SHOWN_EXAMPLES = 3  # offending closes listed per check (--json lists up to ten)
RESULT_STYLE = {"ok": ("OK", "green"), "problem": ("PROBLEM", "bold red"), "skipped": ("n/a", "dim")}


def _short_time(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def details(check: dict[str, Any]) -> Text:
    """The summary, then the first offending closes (close time: what differed)."""
    text = Text(check["summary"])
    for example in check["examples"][:SHOWN_EXAMPLES]:
        text.append(f"\n{_short_time(example['close_time'])}  ", style="bold")
        text.append(example["what"])
    more = check["problems"] - min(len(check["examples"]), SHOWN_EXAMPLES)
    if more > 0 and check["examples"]:
        text.append(f"\n... and {more} more (--json lists up to {len(check['examples'])})", style="dim")
    return text


def result_cell(check: dict[str, Any]) -> Text:
    label, style = RESULT_STYLE[check["status"]]
    if check["status"] == "problem" and check["problems"] > 1:
        label += f" ({check['problems']})"
    return Text(label, style=style)


def checks_table(result: dict[str, Any]) -> Table:
    table = Table(title=f"check-strategy: {result['config']}", show_lines=True)
    table.add_column("strategy / symbol", no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("details")
    for one in result["results"]:
        pair = (
            f"{one['strategy']}\n{one['symbol']} {one['timeframe']}\n{one['candles']} candles\n"
            f"warmup {one['warmup']}"
        )
        for n, (name, check) in enumerate(one["checks"].items()):
            table.add_row(pair if n == 0 else "", name, result_cell(check), details(check))
    return table


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def verdict(result: dict[str, Any]) -> Text:
    checked = f"({_count(len(result['results']), 'strategy/symbol pair')}, {result['elapsed_seconds']:.1f} s)"
    if result["ok"]:
        return Text(f"all checks passed {checked}", style="green")
    return Text(f"{_count(result['problems'], 'check')} found a problem {checked}", style="bold red")


def print_checks(console: Console, result: dict[str, Any]) -> None:
    first = min(one["first_candle_open"] for one in result["results"])
    last = max(one["last_candle_close"] for one in result["results"])
    console.print(checks_table(result))
    console.print(
        f"candles from {_short_time(first)} to {_short_time(last)} UTC; a time listed is a candle's close",
        highlight=False,
    )
    console.print(verdict(result))
