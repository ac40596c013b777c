"""``report.html``: the backtest on one self-contained page (the metrics, per symbol, the equity chart,
the prices with every trade on them, the trade list, risk decisions by reason), to open in a browser
or attach to a message.

The same rows as the console report (:mod:`bot.app.backtest.console`); every value is HTML-escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from bot.app.backtest.console import SYMBOL_COLUMNS, metric_rows, symbol_rows
from bot.app.journal.model import JournalEntry, holding_text
from bot.core.positions import Trade

TRADE_COLUMNS = ("symbol", "opened", "closed", "quantity", "entry", "exit", "net P&L", "fees")
JOURNAL_COLUMNS = ("id", *TRADE_COLUMNS, "strategy", "entry reason", "exit reason", "R", "MAE", "MFE", "held")

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


MOST_TRADES = 500  # listed on the page; every one is in the audit DB (spotbot report --run ID)


def _trade_rows(trades: Sequence[Trade]) -> list[tuple[str, ...]]:
    when = "%Y-%m-%d %H:%M"
    return [
        (t.symbol, f"{t.opened_at:{when}}", f"{t.closed_at:{when}}", f"{t.quantity.normalize():f}",
         f"{t.entry_price:.8g}", f"{t.exit_price:.8g}", f"{t.net_pnl:.8g}", f"{t.fees:.8g}")
        for t in trades[-MOST_TRADES:]
    ]  # fmt: skip


def _journal_rows(journal: Sequence[JournalEntry]) -> list[tuple[str, ...]]:
    """The trade list with each trade's journal: id first, then the trade, then why and how it went."""

    def ratio(value: Decimal | None, percent: bool = False) -> str:
        return "-" if value is None else (f"{value * 100:.2f}%" if percent else f"{value:+.2f}")

    rows = _trade_rows([e.trade for e in journal])
    return [
        (e.trade_id, *row, e.strategy or "-", e.entry_reason or "-",
         e.exit_reason.value + (f": {e.exit_detail}" if e.exit_detail else ""), ratio(e.r_multiple),
         ratio(e.mae, True), ratio(e.mfe, True), holding_text(e.holding))
        for e, row in zip(journal[-MOST_TRADES:], rows, strict=True)
    ]  # fmt: skip


def _trades_table(trades: Sequence[Trade], journal: Sequence[JournalEntry]) -> str:
    if len(journal) == len(trades) and journal:
        return _table(JOURNAL_COLUMNS, _journal_rows(journal))
    return _table(TRADE_COLUMNS, _trade_rows(trades)) if trades else "<p>none</p>"


def _newest(count: int) -> str:
    return f", the newest {MOST_TRADES} listed" if count > MOST_TRADES else ""


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def write_report_page(
    path: Path,
    result: dict[str, Any],
    chart: Path,
    *,
    title: str,
    prices: Path | None = None,
    trades: Sequence[Trade] = (),
    journal: Sequence[JournalEntry] = (),
) -> None:
    """Write the page for ``result`` (the ``result.json`` document), embedding the PNG ``chart``, the
    ``prices`` chart (closes with the trades on them) and the list of ``trades`` (the newest 500), each
    with its ``journal`` entry when given (the run report's: strategy, reasons, R, MAE/MFE, held)."""
    reasons = sorted(result["risk"]["by_reason"].items())
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>",
        _table(None, metric_rows(result)),
        _image(chart, "equity and drawdown"),
        "<h2>Per symbol</h2>",
        _table(SYMBOL_COLUMNS, symbol_rows(result)),
        *(["<h2>Prices and trades</h2>", _image(prices, "prices with entries and exits")] if prices else []),
        f"<h2>Trades ({len(trades)}{_newest(len(trades))})</h2>",
        _trades_table(trades, journal),
        "<h2>Risk decisions (denied / resized) by guard:reason</h2>",
        _table(("guard:reason", "count"), [(key, str(count)) for key, count in reasons])
        if reasons
        else "<p>none</p>",
        f"<p>config {escape(result['config']['path'])} (hash {escape(result['config']['hash'])}); "
        f"audit DB {escape(result['run']['audit_db'])}; spotbot {escape(result['spotbot_version'])}</p>",
        "</body></html>",
    ]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
