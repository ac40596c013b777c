"""The two export formats, as CSV (comma-separated, a header row, ``\\n`` line ends, UTF-8).

Decimals are written exactly, as plain digits (:func:`bot.app.report_json.decimal_text`: no exponent, no
float on the way); times as ISO-8601 UTC with a ``Z``.

- **tax lots** (:data:`TAX_LOT_COLUMNS`): one row per piece of a sale taken from one lot
  (:class:`bot.app.tax.lots.Disposal`); money in the row's ``currency``, the symbol's quote.
- **fills** in Koinly's *universal* format (:data:`FILL_COLUMNS`), one row per fill: a buy sends the quote
  and receives the coin, a sell the other way round. The amounts are the trade's own (price x quantity,
  and the quantity); the fee comes on top of them, out of its currency, so each currency's balance moves
  by received - sent - fee, as the venue's trade history shows it. ``Net Worth`` is left empty: no fiat
  price is invented (the tax tool prices each side itself). ``TxHash`` is ``venue:trade id``, unique per
  fill, so an import repeated is recognised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TextIO

from bot.app.report_json import decimal_text
from bot.app.tax.lots import Disposal
from bot.domain import Fill, Side

TAX_LOT_COLUMNS = (
    "asset", "quantity", "acquired_at", "disposed_at", "proceeds", "cost_basis", "fees", "gain", "term",
    "currency", "unvalued_fees", "buy_trade_id", "sell_trade_id",
)  # fmt: skip
FILL_COLUMNS = (
    "Date", "Sent Amount", "Sent Currency", "Received Amount", "Received Currency", "Fee Amount",
    "Fee Currency", "Net Worth Amount", "Net Worth Currency", "Label", "Description", "TxHash",
)  # fmt: skip


def utc_text(moment: datetime) -> str:
    """``2018-01-11T00:25:00Z`` (fractions of a second only when there are some)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: Decimal | None) -> str:
    return "" if value is None else decimal_text(value)


def _fees_text(fees: Mapping[str, Decimal]) -> str:
    """``0.001 BNB`` (several currencies joined by ``; ``); empty when there are none."""
    return "; ".join(f"{decimal_text(fee)} {currency}" for currency, fee in sorted(fees.items()) if fee)


def write_tax_lots(rows: Iterable[Disposal], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TAX_LOT_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.asset,
                decimal_text(row.quantity),
                utc_text(row.acquired_at) if row.acquired_at is not None else "",
                utc_text(row.disposed_at),
                decimal_text(row.proceeds),
                _number(row.cost_basis),
                decimal_text(row.fees),
                _number(row.gain),
                row.term.value,
                row.currency,
                _fees_text(row.unvalued_fees),
                row.buy_trade_id or "",
                row.sell_trade_id,
            )
        )


def write_fills(fills: Iterable[Fill], run_of: Mapping[tuple[str, str], int], out: TextIO) -> None:
    """``run_of``: (venue, trade id) -> run id, named in each row's description."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FILL_COLUMNS)
    for fill in fills:
        coin, quote = (decimal_text(fill.quantity), fill.base), (decimal_text(fill.notional), fill.quote)
        sent, received = (quote, coin) if fill.side is Side.BUY else (coin, quote)
        fee = (decimal_text(fill.fee), fill.fee_currency) if fill.fee else ("", "")
        run = run_of.get((fill.venue, fill.trade_id))
        trade = f"{fill.side.value} {decimal_text(fill.quantity)} {fill.symbol} at {decimal_text(fill.price)}"
        in_run = f", run {run}" if run is not None else ""
        description = f"spotbot {trade}{in_run}, order {fill.client_order_id}"
        writer.writerow(
            (utc_text(fill.occurred_at), *sent, *received, *fee, "", "", "", description,
             f"{fill.venue}:{fill.trade_id}")
        )  # fmt: skip
