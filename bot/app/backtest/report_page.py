"""``report.html``: the backtest on one self-contained page (the metrics, per symbol, risk decisions by
reason, and the equity chart embedded), to open in a browser or attach to a message.

The same rows as the console report (:mod:`bot.app.backtest.console`); every value is HTML-escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from bot.app.backtest.console import SYMBOL_COLUMNS, metric_rows, symbol_rows

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1120px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { padding: 3px 12px; border-bottom: 1px solid #ddd; }
th { text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
"""


def _table(header: tuple[str, ...] | None, rows: Sequence[tuple[str, ...]]) -> str:
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"n" if i else ""}">{escape(cell)}</td>' for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}{body}</table>"


def write_report_page(path: Path, result: dict[str, Any], chart: Path, *, title: str) -> None:
    """Write the page for ``result`` (the ``result.json`` document), embedding the PNG ``chart``."""
    image = base64.b64encode(chart.read_bytes()).decode("ascii")
    reasons = sorted(result["risk"]["by_reason"].items())
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>",
        _table(None, metric_rows(result)),
        f'<img alt="equity and drawdown" src="data:image/png;base64,{image}">',
        "<h2>Per symbol</h2>",
        _table(SYMBOL_COLUMNS, symbol_rows(result)),
        "<h2>Risk decisions (denied / resized) by guard:reason</h2>",
        _table(("guard:reason", "count"), [(key, str(count)) for key, count in reasons])
        if reasons
        else "<p>none</p>",
        f"<p>config {escape(result['config']['path'])} (hash {escape(result['config']['hash'])}); "
        f"audit DB {escape(result['run']['audit_db'])}; spotbot {escape(result['spotbot_version'])}</p>",
        "</body></html>",
    ]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
