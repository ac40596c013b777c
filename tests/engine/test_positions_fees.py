"""A fee taken in the coin: positions are what the account holds, fees are valued in quote, dust is kept
apart, and the run's accounting identity holds whatever the fills (DESIGN invariant 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.positions import PositionBook, in_venue_order
from bot.core.run_books import run_books
from bot.domain import EquitySnapshot, Fill, Liquidity, Side
from bot.domain.records import RunRecord

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"
STEP = Decimal("0.00001")
RATE = Decimal("0.001")


def fill(n: int, side: Side, qty: str | Decimal, price: str | Decimal, *, fee_in: str = "received") -> Fill:
    """A Binance fill: the fee is 0.1 % of what is received (the coin for a buy, the quote for a sell),
    or of the notional in quote with ``fee_in="quote"``."""
    quantity, px = Decimal(qty), Decimal(price)
    if side is Side.BUY and fee_in == "received":
        fee, currency = (quantity * RATE).quantize(Decimal("1E-8"), ROUND_HALF_UP), "BTC"
    else:
        fee, currency = (quantity * px * RATE).quantize(Decimal("1E-8"), ROUND_HALF_UP), "USDT"
    return Fill("binance", str(n), f"c{n}", SYMBOL, side, px, quantity, fee, currency, Liquidity.TAKER,
                T0 + timedelta(minutes=n))  # fmt: skip


def steps(_symbol: str) -> Decimal:
    return STEP


def test_a_buy_whose_fee_is_taken_in_the_coin_holds_less_than_it_bought() -> None:
    book = PositionBook.from_fills([fill(1, Side.BUY, "0.07692", "65000")], steps)
    position = book.position(SYMBOL)
    assert position is not None and position.quantity == Decimal("0.07684308")
    assert position.average_price == Decimal(65000)
    assert book.fees == Decimal("0.00007692") * 65000, "the BTC fee is valued in USDT at the fill price"


def test_selling_what_the_lot_step_allows_closes_the_trade_and_keeps_the_rest_as_dust() -> None:
    book = PositionBook.from_fills(
        [fill(1, Side.BUY, "0.07692", "65000"), fill(2, Side.SELL, "0.07684", "66000")], steps
    )
    [trade] = book.trades
    assert book.position(SYMBOL) is None, "0.00000308 BTC cannot be sold: not a position"
    assert book.dust() == {SYMBOL: book.dust()[SYMBOL]} and book.dust()[SYMBOL].quantity == Decimal(
        "0.00000308"
    )
    assert trade.gross_pnl == Decimal(1000) * Decimal("0.07684")
    assert book.held(SYMBOL) == Decimal("0.00000308")


def test_dust_joins_the_next_position_on_the_symbol() -> None:
    book = PositionBook.from_fills(
        [
            fill(1, Side.BUY, "0.07692", "65000"),
            fill(2, Side.SELL, "0.07684", "66000"),
            fill(3, Side.BUY, "0.01", "64000"),
        ],
        steps,
    )
    position = book.position(SYMBOL)
    assert position is not None and position.quantity == Decimal("0.00000308") + Decimal("0.00999")
    assert book.dust() == {}


def test_fills_are_replayed_in_venue_time_order_whatever_order_they_were_stored_in() -> None:
    buy, sell = fill(1, Side.BUY, "0.1", "60000", fee_in="quote"), fill(2, Side.SELL, "0.1", "61000")
    assert in_venue_order([sell, buy]) == [buy, sell]
    assert len(PositionBook.from_fills([sell, buy]).trades) == 1


def record(start_usdt: Decimal) -> RunRecord:
    return RunRecord(
        id=2, started_at=T0, stopped_at=None, status="running", mode="live", venue="binance",
        version="t", config_hash="h", config={"bot": {"quote_currency": "USDT"}}, bot_name="b",
        kind="daemon", start_balances={"USDT": str(start_usdt)},
        markets={SYMBOL: {"tick_size": "0.01", "step_size": str(STEP), "min_notional": "5"}},
    )  # fmt: skip


@st.composite
def trading(draw: st.DrawFn) -> list[Fill]:
    """Buys and sells on one symbol, never selling more than the lot-step part of what is held."""
    fills: list[Fill] = []
    held = Decimal(0)
    for n in range(draw(st.integers(1, 14))):
        price = Decimal(draw(st.integers(50_000_00, 70_000_00))) / 100
        fee_in = draw(st.sampled_from(["received", "quote"]))
        sellable = (held / STEP).to_integral_value(ROUND_FLOOR) * STEP
        if sellable > 0 and draw(st.booleans()):
            quantity = (
                sellable
                if draw(st.booleans())
                else (sellable / 2 / STEP).to_integral_value(ROUND_FLOOR) * STEP
            )
            if quantity <= 0:
                continue
            fills.append(fill(n, Side.SELL, quantity, price))
            held -= quantity
        else:
            quantity = Decimal(draw(st.integers(100, 200_000))) * STEP
            fills.append(fill(n, Side.BUY, quantity, price, fee_in=fee_in))
            held += fills[-1].held_change
    return fills


@settings(max_examples=150, deadline=None)
@given(fills=trading(), split=st.integers(0, 14), mark=st.integers(40_000, 80_000))
def test_the_accounting_identity_holds_with_coin_fees_dust_and_carried_positions(
    fills: list[Fill], split: int, mark: int
) -> None:
    carried, own = fills[:split], fills[split:]
    start_usdt = Decimal(1_000_000)
    at_end = EquitySnapshot(T0 + timedelta(days=1), Decimal(0), Decimal(0), Decimal(0), Decimal(0),
                            {SYMBOL: Decimal(mark)})  # fmt: skip
    books = run_books(record(start_usdt), carried, own, [at_end])

    change = books.final_equity - books.starting_equity
    assert change == books.realized_pnl + books.unrealized_pnl - books.starting_unrealized_pnl - books.fees
    held = sum((f.held_change for f in fills), Decimal(0))
    in_books = sum((p.quantity for p in books.open_positions.values()), Decimal(0)) + sum(books.dust.values())
    assert in_books == held, "the books hold exactly what the account holds"
    assert all(q < STEP for q in books.dust.values())
