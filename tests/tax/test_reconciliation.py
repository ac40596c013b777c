"""The tax lots reconcile to ``spotbot report``'s P&L on a real run: a backtest of
config/btc-pairs.example.toml on the shared ETH/BTC and LTC/BTC candles.

``report`` replays the same fills on an average cost (:class:`bot.core.positions.PositionBook`):
``realized_pnl`` is gross (what the coins sold brought at their fill prices, less their average cost) and
``fees`` is every fee valued in the quote. Once nothing is held (no position, no dust) both sides are the
quote that came in less the quote that went out, so under **every** method:

    sum of the rows' gains = realized_pnl - fees

With a position still open the methods differ in which coins are left, never in what was bought:

    cost basis disposed of + cost of the lots still held = every buy's quote paid, its fee included
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.audit import SqlAuditReader
from bot.app.tax.lots import Method, match_lots
from bot.core.positions import PositionBook
from bot.domain import Fill, Side
from tests.conftest import shared_data_dir
from tests.tax.records import ROOT, decimals, read_csv, spotbot

D = Decimal
CONFIG = str(ROOT / "config" / "btc-pairs.example.toml")


def backtest(out: Path, *window: str) -> str:
    """Backtest the BTC pairs config on the real candles into ``out``; returns its audit DB URL."""
    data = shared_data_dir()
    if not (data / "ETH_BTC-5m.csv").is_file():
        pytest.skip(f"real candle data not found at {data} (set SPOTBOT_SHARED_DATA)")
    files = [arg for name in ("ETH_BTC-5m.csv", "LTC_BTC-5m.csv") for arg in ("--data", str(data / name))]
    done = spotbot("backtest", "--config", CONFIG, *files, *window, "--out", str(out), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return f"sqlite:///{out / 'audit.sqlite'}"


@pytest.fixture(scope="module")
def closed_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The whole 20 days: every position closed by the end."""
    return backtest(tmp_path_factory.mktemp("closed"))


@pytest.fixture(scope="module")
def open_run(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Cut on 2018-01-20, with a position still open."""
    return backtest(tmp_path_factory.mktemp("open"), "--to", "2018-01-20")


def report_json(url: str) -> dict[str, Any]:
    done = spotbot("report", "--config", CONFIG, "--json", cwd=ROOT, env={"SPOTBOT_BOT__DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def fills_of(url: str) -> list[Fill]:
    with SqlAuditReader(url) as reader:
        return reader.fills(1)


def paid_and_received(fills: list[Fill]) -> tuple[Decimal, Decimal]:
    """By hand: the quote every buy cost (its fee in the quote on top), every sale brought (its fee off)."""
    paid = sum((f.price * f.quantity + f.fee for f in fills if f.side is Side.BUY), D(0))
    received = sum((f.price * f.quantity - f.fee for f in fills if f.side is Side.SELL), D(0))
    assert {f.fee_currency for f in fills} == {"BTC"}, "the paper broker takes fees in the quote"
    return paid, received


@pytest.mark.parametrize("method", ["fifo", "lifo", "hifo"])
def test_with_everything_closed_the_gains_add_up_to_realized_pnl_less_fees(
    closed_run: str, method: str
) -> None:
    report = report_json(closed_run)
    assert (report["open_positions"], report["dust"]) == ([], {})
    summary = report["summary"]

    done = spotbot(
        "export", "tax-lots", "--config", CONFIG, "--run", "1", "--method", method,
        cwd=ROOT, env={"SPOTBOT_BOT__DATABASE_URL": closed_run},
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    rows = read_csv(done.stdout)
    assert {row["currency"] for row in rows} == {"BTC"}
    assert sum(decimals(rows, "gain")) == D(summary["realized_pnl"]) - D(summary["fees"])
    paid, received = paid_and_received(fills_of(closed_run))
    assert sum(decimals(rows, "proceeds")) == received
    assert sum(decimals(rows, "cost_basis")) == paid
    assert len({row["sell_trade_id"] for row in rows}) == summary["fills"] // 2 == summary["trades"]


def test_with_a_position_open_disposed_and_held_cost_add_up_to_everything_bought(open_run: str) -> None:
    report = report_json(open_run)
    ((held_symbol, held_quantity),) = [(p["symbol"], D(p["quantity"])) for p in report["open_positions"]]
    fills = fills_of(open_run)
    paid, received = paid_and_received(fills)
    gains = {}

    for method in Method:
        lots = match_lots(fills, method)

        cost_disposed = sum((r.cost_basis for r in lots.disposals if r.cost_basis is not None), D(0))
        assert cost_disposed + sum(lot.held.money for lot in lots.open_lots) == paid
        assert sum(r.proceeds for r in lots.disposals) == received
        assert {f"{lot.asset}/{lot.currency}" for lot in lots.open_lots} == {held_symbol}
        assert sum(lot.held.quantity for lot in lots.open_lots) == held_quantity
        assert lots.unmatched == {}
        gains[method] = lots.gain
    assert len(set(gains.values())) == 1, "one buy per position: every method sells the same lot"


def in_the_coin(fills: list[Fill]) -> list[Fill]:
    """The run's fills as a venue taking fees in the coin would report them: each buy's fee taken from the
    coins bought, each sale's from the coins held, so the sale is of what is left after its fee."""
    converted: list[Fill] = []
    bought: dict[str, Decimal] = {}  # symbol -> quantity bought
    held: dict[str, Decimal] = {}  # symbol -> quantity held after the fees
    for fill in fills:
        fee = (fill.fee / fill.price).quantize(D("1E-8"))
        if fill.side is Side.BUY:
            converted.append(replace(fill, fee=fee, fee_currency=fill.base))
            bought[fill.symbol] = bought.get(fill.symbol, D(0)) + fill.quantity
            held[fill.symbol] = held.get(fill.symbol, D(0)) + fill.quantity - fee
        else:
            assert fill.quantity == bought.pop(fill.symbol), "each sale closes its position in this run"
            converted.append(
                replace(fill, quantity=held.pop(fill.symbol) - fee, fee=fee, fee_currency=fill.base)
            )
    return converted


def test_fees_in_the_coin_reconcile_on_the_real_run_too(closed_run: str) -> None:
    fills = in_the_coin(fills_of(closed_run))
    book = PositionBook.from_fills(fills)
    assert book.holdings() == []
    by_hand = sum((f.price * f.quantity * (1 if f.side is Side.SELL else -1) for f in fills), D(0))

    for method in Method:
        lots = match_lots(fills, method)

        assert lots.gain == book.realized_pnl - book.fees == by_hand
        assert lots.open_lots == []
