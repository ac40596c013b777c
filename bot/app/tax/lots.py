"""Tax lots from fills: each buy is a lot, each sell disposes of lots by FIFO, LIFO or HIFO.

The rules (README, "Exports for taxes"):

- Lots are kept per asset (the base of each symbol) and valued in that symbol's quote currency, the bot's
  ``quote_currency``: a bot on BTC-quoted pairs has its proceeds and costs in BTC (the ``currency`` of each
  row). No fiat price is invented; a tax tool that needs fiat values should import the fills export.
- A buy makes a lot of the coins the account received (the quantity less a fee taken in the coin, as
  DESIGN invariant 11 counts them) at the quote paid plus a fee taken in the quote: every fee of the buy
  is inside the lot's cost.
- A sell disposes of the coins that left the account (the quantity, plus a fee taken in the coin) for the
  quote received less a fee taken in the quote: every fee of the sale is inside its proceeds.
- ``fees`` on a row is those fees valued in the quote (a fee in the coin at its fill price), already
  counted in ``proceeds`` and ``cost_basis``: ``gain = proceeds - cost_basis``. A fee in a third
  currency (BNB) moves neither the coin nor the quote: it is listed as ``unvalued_fees``, never valued.
- The order lots are used in: ``fifo`` oldest first, ``lifo`` newest first, ``hifo`` highest cost per coin
  first (ties: the oldest). One row per piece of a sale taken from one lot.
- Held more than ``long_term_days`` (365 unless told: the rule is the jurisdiction's) is long term.
- A sale with no lot left (coins acquired before the fills read, e.g. a run's own fills when an earlier
  run of the bot bought them) is a row with no acquisition date, cost basis or gain: term ``unknown``.
- A lot's or a sale's money is split pro rata by quantity, each share rounded to 1E-12, and the last
  piece takes what is left, so the pieces add up to the whole exactly (no cent is created or lost).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from bot.core.positions import in_venue_order
from bot.domain import Fill, Side

ZERO = Decimal(0)
SHARE_QUANTUM = Decimal("1E-12")  # a pro-rata share of a lot's cost or a sale's proceeds is rounded here
DEFAULT_LONG_TERM_DAYS = 365


class Method(StrEnum):
    FIFO = "fifo"  # first in, first out: the oldest lot first
    LIFO = "lifo"  # last in, first out: the newest lot first
    HIFO = "hifo"  # highest in, first out: the highest cost per coin first (ties: the oldest)


class Term(StrEnum):
    SHORT = "short"
    LONG = "long"
    UNKNOWN = "unknown"  # sold without a lot: when it was acquired is not in the fills read


@dataclass(frozen=True, slots=True)
class Amounts:
    """Coins with the money attached to them: what a lot cost, or what a sale brought."""

    quantity: Decimal
    money: Decimal  # a lot: its cost basis; a sale: its proceeds (quote, fees inside)
    fees: Decimal  # the fees inside ``money``, valued in the quote
    unvalued: Mapping[str, Decimal] = field(default_factory=dict)  # fees in a third currency

    def take(self, part: Decimal) -> tuple[Amounts, Amounts]:
        """``(the first part coins, the rest)``, money split pro rata; the whole if ``part`` is all."""
        if part >= self.quantity:
            return self, Amounts(ZERO, ZERO, ZERO)

        def share(total: Decimal) -> Decimal:
            return (total * part / self.quantity).quantize(SHARE_QUANTUM)

        taken = Amounts(
            part, share(self.money), share(self.fees), {c: share(a) for c, a in self.unvalued.items()}
        )
        rest = Amounts(
            self.quantity - part,
            self.money - taken.money,
            self.fees - taken.fees,
            {c: a - taken.unvalued[c] for c, a in self.unvalued.items()},
        )
        return taken, rest


@dataclass(frozen=True, slots=True)
class Lot:
    """Coins bought together, or what is left of them."""

    asset: str
    currency: str  # the quote currency its cost is in
    acquired_at: datetime
    trade_id: str  # the buy's venue trade id
    seq: int  # its place in venue order (ties of time keep the venue's order)
    unit_cost: Decimal  # cost per coin when bought: what hifo orders by
    held: Amounts


@dataclass(frozen=True, slots=True)
class Disposal:
    """One row of the tax-lots export: a piece of a sale, taken from one lot."""

    asset: str
    currency: str
    quantity: Decimal
    acquired_at: datetime | None  # None: sold without a lot (term unknown)
    disposed_at: datetime
    proceeds: Decimal
    cost_basis: Decimal | None
    fees: Decimal
    gain: Decimal | None
    term: Term
    unvalued_fees: Mapping[str, Decimal]
    buy_trade_id: str | None
    sell_trade_id: str


@dataclass(frozen=True, slots=True)
class LotReport:
    method: Method
    disposals: list[Disposal]  # in the order of the sales, each sale's pieces in the method's order
    open_lots: list[Lot]  # what is still held at the end (or at ``end``), oldest first

    @property
    def gain(self) -> Decimal:
        """The sum of the rows' gains (rows without a lot have none)."""
        return sum((row.gain for row in self.disposals if row.gain is not None), ZERO)

    @property
    def unmatched(self) -> dict[str, Decimal]:
        """Per asset, the quantity sold without a lot to take it from."""
        found: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for row in self.disposals:
            if row.term is Term.UNKNOWN:
                found[row.asset] += row.quantity
        return dict(found)


def match_lots(
    fills: Iterable[Fill],
    method: Method,
    *,
    long_term_days: int = DEFAULT_LONG_TERM_DAYS,
    start: datetime | None = None,
    end: datetime | None = None,
) -> LotReport:
    """Replay ``fills`` in venue order into lots and disposals.

    ``start``/``end``: only sales in ``[start, end)`` are rows; the fills before ``start`` still make and
    use lots (a lot bought last year and sold this year has last year's cost), those from ``end`` on are
    not read (the open lots are those held at ``end``).
    """
    long_term = timedelta(days=long_term_days)
    held: dict[tuple[str, str], list[Lot]] = defaultdict(list)
    rows: list[Disposal] = []
    for seq, fill in enumerate(in_venue_order(fills)):
        if end is not None and fill.occurred_at >= end:
            break
        lots = held[(fill.base, fill.quote)]
        if fill.side is Side.BUY:
            lots.append(_lot(fill, seq))
            continue
        pieces = _dispose(lots, fill, method, long_term)
        if start is None or fill.occurred_at >= start:
            rows.extend(pieces)
    open_lots = sorted((lot for lots in held.values() for lot in lots), key=lambda lot: lot.seq)
    return LotReport(method, rows, open_lots)


def _quote_fee(fill: Fill) -> Decimal:
    return fill.fee if fill.fee_currency == fill.quote else ZERO


def _unvalued(fill: Fill) -> dict[str, Decimal]:
    """A fee in neither currency of the pair (BNB): recorded, not valued."""
    third = fill.fee and fill.fee_currency not in (fill.base, fill.quote)
    return {fill.fee_currency: fill.fee} if third else {}


def _lot(fill: Fill, seq: int) -> Lot:
    """The coins a buy left in the account, at the quote it cost (its fee inside, whichever coin)."""
    received = fill.held_change
    if received <= 0:
        problem = f"buy fill {fill.trade_id} of {fill.quantity} {fill.symbol}: no coin left after its fee"
        raise ValueError(problem)
    cost = fill.notional + _quote_fee(fill)
    held = Amounts(received, cost, fill.fee_in_quote, _unvalued(fill))
    return Lot(fill.base, fill.quote, fill.occurred_at, fill.trade_id, seq, cost / received, held)


def _sale(fill: Fill) -> Amounts:
    """The coins a sell took out of the account (a fee in the coin too), for the quote it left."""
    return Amounts(-fill.held_change, fill.notional - _quote_fee(fill), fill.fee_in_quote, _unvalued(fill))


def _next_lot(lots: list[Lot], method: Method) -> int:
    """The index of the lot ``method`` sells from next (``lots`` are in acquisition order)."""
    if method is Method.FIFO:
        return 0
    if method is Method.LIFO:
        return len(lots) - 1
    return min(range(len(lots)), key=lambda i: (-lots[i].unit_cost, lots[i].seq))


def _dispose(lots: list[Lot], fill: Fill, method: Method, long_term: timedelta) -> list[Disposal]:
    """Take the sale's coins from ``lots`` (updated in place); one row per lot used."""
    sale, rows = _sale(fill), []
    while sale.quantity > 0:
        if not lots:
            rows.append(_row(fill, None, sale, long_term))
            break
        index = _next_lot(lots, method)
        lot = lots[index]
        part = min(lot.held.quantity, sale.quantity)
        bought, rest = lot.held.take(part)
        sold, sale = sale.take(part)
        if rest.quantity > 0:
            lots[index] = replace(lot, held=rest)
        else:
            del lots[index]
        rows.append(_row(fill, replace(lot, held=bought), sold, long_term))
    return rows


def _row(fill: Fill, lot: Lot | None, sold: Amounts, long_term: timedelta) -> Disposal:
    """A row for the coins of ``sold``, taken from ``lot`` (``lot.held``: the same coins' share of it)."""
    if lot is None:
        cost = gain = acquired = buy_id = None
        term, fees, unvalued = Term.UNKNOWN, sold.fees, dict(sold.unvalued)
    else:
        cost, gain = lot.held.money, sold.money - lot.held.money
        acquired, buy_id = lot.acquired_at, lot.trade_id
        term = Term.LONG if fill.occurred_at - lot.acquired_at > long_term else Term.SHORT
        fees = lot.held.fees + sold.fees
        unvalued = dict(lot.held.unvalued)
        for currency, amount in sold.unvalued.items():
            unvalued[currency] = unvalued.get(currency, ZERO) + amount
    return Disposal(
        asset=fill.base,
        currency=fill.quote,
        quantity=sold.quantity,
        acquired_at=acquired,
        disposed_at=fill.occurred_at,
        proceeds=sold.money,
        cost_basis=cost,
        fees=fees,
        gain=gain,
        term=term,
        unvalued_fees=unvalued,
        buy_trade_id=buy_id,
        sell_trade_id=fill.trade_id,
    )
