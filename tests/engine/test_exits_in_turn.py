"""Two partial sales on one candle are both sent, the stop shrinking to what is left after each; a
repeated exit of the whole position (a strategy re-firing its exit) is sent once.

A grid sells slice after slice; each sale must reach the venue and the rest keep its stop. Limit exits,
so the first sale is still working when the second is decided.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bot.app.bootstrap import App, build_app
from bot.app.settings import load_settings
from bot.domain import IntentKind, OrderIntent, OrderPurpose, OrderType, Side, make_intent_id
from strategies.base import StrategyView
from tests.engine.test_adding_to_positions import SYMBOL, Buy, Script, Sell, at, flat_market


class SellsTwice(Script):
    """The script, plus a second sale on the same candle as a scripted one."""

    def __init__(self, plan: dict[int, Buy | Sell], second: dict[int, str]) -> None:
        super().__init__(plan)
        self._second = {at(candle): quantity for candle, quantity in second.items()}

    def on_candles(self, view: StrategyView) -> list[OrderIntent]:
        intents = super().on_candles(view)
        quantity = self._second.get(view.now)
        if quantity is not None:
            last = view.candles[-1]
            second = OrderIntent(
                intent_id=make_intent_id(self.name, view.symbol, last.open_time, "second exit"),
                strategy=self.name,
                symbol=view.symbol,
                side=Side.SELL,
                kind=IntentKind.EXIT,
                order_type=OrderType.MARKET,
                reference_price=Decimal(100),
                created_at=view.now,
                reason="second slice",
                quantity=Decimal(quantity),
            )
            intents.append(second)
        return intents


def run(tmp_path: Path, script: Script) -> App:
    config = tmp_path / "bot.toml"
    config.write_text(
        f'[bot]\nname = "turns"\ndata_dir = "{tmp_path}"\n[market]\nsymbols = ["{SYMBOL}"]\n'
        '[execution]\nexit_order = "limit"\n'  # a limit exit rests until a later candle: still working
        '[[strategies]]\nname = "script"\n'
    )
    app = build_app(load_settings(config, env={}), market=flat_market(), strategies=[script])
    app.replay.run_to_end()
    assert app.replay.error is None
    return app


def sold(app: App) -> list[Decimal]:
    return [o.filled_quantity for o in app.store.orders(app.run_id) if o.purpose is OrderPurpose.EXIT]


def test_a_second_slice_sold_while_the_first_is_working_is_sent_after_it(tmp_path: Path) -> None:
    app = run(tmp_path, SellsTwice({5: Buy("98", "5"), 15: Sell("2")}, {15: "2"}))
    assert sold(app) == [Decimal(2), Decimal(2)], "both slices sold, one after the other"
    assert app.engine.open_positions()[SYMBOL].quantity == Decimal(1)
    working = [
        o for o in app.store.orders(app.run_id) if o.purpose is OrderPurpose.STOP and not o.status.is_terminal
    ]
    assert [s.remaining_quantity for s in working] == [Decimal(1)], "the rest keeps its stop"


def test_a_repeated_exit_of_the_whole_position_is_sent_once(tmp_path: Path) -> None:
    app = run(tmp_path, SellsTwice({5: Buy("98", "5"), 15: Sell("5")}, {15: "5"}))
    assert sold(app) == [Decimal(5)]
    assert SYMBOL not in app.engine.open_positions()
