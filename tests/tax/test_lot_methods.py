"""Tax lots by hand: a tax guide's three buys and two sells under FIFO, LIFO and HIFO; every fee placement;
the short/long boundary; the time window; a sale without a lot. Each expected figure is worked out here,
in the test, from the trades' prices and quantities."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.app.tax.lots import Disposal, Method, Term, match_lots
from tests.tax.records import buy, day, sell

D = Decimal

# The guide's example: three buys of 1 BTC at different prices, then 1.5 BTC and 1 BTC sold.
GUIDE = [
    buy("1", "10000", day(0)),  # lot A: 10 000 a coin
    buy("1", "30000", day(31)),  # lot B: 30 000
    buy("1", "20000", day(59)),  # lot C: 20 000
    sell("1.5", "40000", day(90)),  # proceeds 60 000
    sell("1", "25000", day(120)),  # proceeds 25 000
]


def brief(
    rows: list[Disposal],
) -> list[tuple[Decimal, object, object, Decimal, Decimal | None, Decimal | None]]:
    return [(r.quantity, r.acquired_at, r.disposed_at, r.proceeds, r.cost_basis, r.gain) for r in rows]


def test_fifo_sells_the_oldest_lots_first() -> None:
    lots = match_lots(GUIDE, Method.FIFO)

    assert brief(lots.disposals) == [
        (D(1), day(0), day(90), 40000 * D(1), 10000 * D(1), D(30000)),  # all of A: 1/1.5 of 60 000
        (D("0.5"), day(31), day(90), D(60000) / 3, 30000 * D("0.5"), D(5000)),  # half of B
        (D("0.5"), day(31), day(120), 25000 * D("0.5"), D(15000), D(-2500)),  # the rest of B
        (D("0.5"), day(59), day(120), D(12500), 20000 * D("0.5"), D(2500)),  # half of C
    ]
    assert lots.gain == 30000 + 5000 - 2500 + 2500
    assert [(lot.trade_id, lot.held.quantity, lot.held.money) for lot in lots.open_lots] == [
        (GUIDE[2].trade_id, D("0.5"), D(10000))
    ]


def test_lifo_sells_the_newest_lots_first() -> None:
    lots = match_lots(GUIDE, Method.LIFO)

    assert brief(lots.disposals) == [
        (D(1), day(59), day(90), D(40000), D(20000), D(20000)),  # all of C
        (D("0.5"), day(31), day(90), D(20000), D(15000), D(5000)),  # half of B
        (D("0.5"), day(31), day(120), D(12500), D(15000), D(-2500)),  # the rest of B (newest left)
        (D("0.5"), day(0), day(120), D(12500), D(5000), D(7500)),  # half of A
    ]
    assert lots.gain == 20000 + 5000 - 2500 + 7500
    assert [(lot.trade_id, lot.held.money) for lot in lots.open_lots] == [(GUIDE[0].trade_id, D(5000))]


def test_hifo_sells_the_dearest_coins_first() -> None:
    lots = match_lots(GUIDE, Method.HIFO)

    assert brief(lots.disposals) == [
        (D(1), day(31), day(90), D(40000), D(30000), D(10000)),  # all of B (30 000)
        (D("0.5"), day(59), day(90), D(20000), D(10000), D(10000)),  # half of C (20 000)
        (D("0.5"), day(59), day(120), D(12500), D(10000), D(2500)),  # the rest of C
        (D("0.5"), day(0), day(120), D(12500), D(5000), D(7500)),  # half of A (10 000)
    ]
    assert lots.gain == 10000 + 10000 + 2500 + 7500


@pytest.mark.parametrize("method", list(Method))
def test_every_method_disposes_of_the_same_coins_for_the_same_proceeds(method: Method) -> None:
    lots = match_lots(GUIDE, method)

    assert sum(r.quantity for r in lots.disposals) == D("2.5")
    assert sum(r.proceeds for r in lots.disposals) == 60000 + 25000
    cost_sold = sum(r.cost_basis for r in lots.disposals if r.cost_basis is not None)
    assert cost_sold + sum(lot.held.money for lot in lots.open_lots) == 10000 + 30000 + 20000


def test_hifo_takes_the_older_of_two_lots_at_the_same_price() -> None:
    fills = [
        buy("1", "100", day(0)),
        buy("1", "100", day(1)),
        buy("1", "90", day(2)),
        sell("1", "120", day(3)),
    ]

    (row,) = match_lots(fills, Method.HIFO).disposals

    assert (row.acquired_at, row.cost_basis) == (day(0), D(100))


def test_a_fee_in_the_quote_is_in_the_cost_of_a_buy_and_out_of_the_proceeds_of_a_sale() -> None:
    fills = [buy("2", "100", day(0), fee="0.2"), sell("2", "150", day(1), fee="0.3")]

    (row,) = match_lots(fills, Method.FIFO).disposals

    assert (row.quantity, row.cost_basis, row.proceeds) == (
        D(2),
        2 * D(100) + D("0.2"),
        2 * D(150) - D("0.3"),
    )
    assert (row.fees, row.gain) == (D("0.5"), D("299.7") - D("200.2"))


def test_a_buys_fee_in_the_coin_leaves_a_smaller_lot_at_the_full_price() -> None:
    fills = [buy("1", "20000", day(0), fee="0.001", fee_currency="BTC"), sell("0.999", "25000", day(1))]

    lots = match_lots(fills, Method.FIFO)

    (row,) = lots.disposals
    assert (row.quantity, row.cost_basis, row.proceeds) == (D("0.999"), D(20000), D("0.999") * 25000)
    assert row.gain == D(24975) - D(20000)
    assert row.fees == D("0.001") * 20000, "the coin taken as fee, valued at the fill price"
    assert lots.open_lots == []


def test_a_sales_fee_in_the_coin_disposes_of_that_coin_too() -> None:
    fills = [buy("1", "20000", day(0)), sell("0.9", "30000", day(1), fee="0.001", fee_currency="BTC")]

    lots = match_lots(fills, Method.FIFO)

    (row,) = lots.disposals
    assert row.quantity == D("0.901"), "0.9 sold and 0.001 taken as fee left the account"
    assert (row.proceeds, row.cost_basis) == (D("0.9") * 30000, D("0.901") * 20000)
    assert (row.gain, row.fees) == (D(27000) - D(18020), D("0.001") * 30000)
    ((quantity, cost),) = [(lot.held.quantity, lot.held.money) for lot in lots.open_lots]
    assert (quantity, cost) == (D("0.099"), D("0.099") * 20000)


def test_a_fee_in_a_third_currency_is_listed_and_not_valued() -> None:
    fills = [
        buy("1", "20000", day(0), fee="0.01", fee_currency="BNB"),
        sell("1", "21000", day(1), fee="0.02", fee_currency="BNB"),
    ]

    (row,) = match_lots(fills, Method.FIFO).disposals

    assert (row.cost_basis, row.proceeds, row.gain, row.fees) == (D(20000), D(21000), D(1000), D(0))
    assert row.unvalued_fees == {"BNB": D("0.03")}


def test_a_sale_split_over_lots_shares_its_proceeds_to_the_last_digit() -> None:
    fills = [
        buy("1", "10", day(0), fee="0.01"),
        buy("1", "11", day(1)),
        buy("1", "12", day(2)),
        sell("3", "33.3333", day(3), fee="0.07"),
    ]

    rows = match_lots(fills, Method.FIFO).disposals

    assert [r.quantity for r in rows] == [D(1), D(1), D(1)]
    assert sum(r.proceeds for r in rows) == 3 * D("33.3333") - D("0.07")
    assert sum(r.cost_basis for r in rows if r.cost_basis is not None) == D("10.01") + 11 + 12
    assert sum(r.fees for r in rows) == D("0.01") + D("0.07")
    assert all(r.proceeds == r.proceeds.quantize(D("1E-12")) for r in rows)


def test_held_365_days_is_short_term_and_a_second_more_is_long_term() -> None:
    fills = [
        buy("2", "100", day(0)),
        sell("1", "150", day(365)),
        sell("1", "150", day(365) + timedelta(seconds=1)),
    ]

    assert [r.term for r in match_lots(fills, Method.FIFO).disposals] == [Term.SHORT, Term.LONG]
    assert [r.term for r in match_lots(fills, Method.FIFO, long_term_days=400).disposals] == [Term.SHORT] * 2
    assert [r.term for r in match_lots(fills, Method.FIFO, long_term_days=30).disposals] == [Term.LONG] * 2


def test_a_window_shows_its_sales_only_and_lots_bought_before_it_still_count() -> None:
    fills = [
        buy("1", "100", day(0)),
        buy("1", "200", day(10)),
        sell("1", "300", day(20)),  # before the window: takes the lot at 100 (FIFO)
        sell("0.5", "400", day(400)),  # in the window: from the lot at 200, bought before it
        sell("0.5", "500", day(800)),  # after the window
    ]

    lots = match_lots(fills, Method.FIFO, start=day(365), end=day(730))

    assert brief(lots.disposals) == [(D("0.5"), day(10), day(400), D(200), D(100), D(100))]
    assert lots.disposals[0].term is Term.LONG, "390 days held"
    assert [(lot.held.quantity, lot.held.money) for lot in lots.open_lots] == [(D("0.5"), D(100))]


def test_a_sale_without_a_lot_has_no_cost_basis_and_an_unknown_term() -> None:
    fills = [buy("1", "100", day(0)), sell("1.5", "120", day(1), fee="0.18")]

    lots = match_lots(fills, Method.FIFO)

    known, unknown = lots.disposals
    assert (known.quantity, known.proceeds, known.cost_basis, known.term) == (
        D(1),
        D(120) - D("0.12"),
        D(100),
        Term.SHORT,
    )
    assert (unknown.quantity, unknown.proceeds, unknown.cost_basis, unknown.gain) == (
        D("0.5"),
        D(60) - D("0.06"),
        None,
        None,
    )
    assert (unknown.acquired_at, unknown.term) == (None, Term.UNKNOWN)
    assert lots.unmatched == {"BTC": D("0.5")}
    assert lots.gain == known.gain


def test_lots_are_kept_per_asset() -> None:
    fills = [
        buy("1", "100", day(0), symbol="ETH/USDT"),
        buy("1", "20000", day(1)),
        sell("1", "110", day(2), symbol="ETH/USDT"),
    ]

    lots = match_lots(fills, Method.LIFO)

    assert [(r.asset, r.currency, r.cost_basis) for r in lots.disposals] == [("ETH", "USDT", D(100))]
    assert [lot.asset for lot in lots.open_lots] == ["BTC"]
