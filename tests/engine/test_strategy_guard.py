"""What the engine does with a strategy's answer that is not a clean list of intents."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from structlog.testing import capture_logs

from bot.core.strategy_guard import StrategyGuard
from bot.domain import Candle, IntentKind, MarketRules, OrderIntent, OrderType, Side
from strategies.base import StrategyView

NOW = datetime(2024, 1, 1, tzinfo=UTC)
RULES = MarketRules(
    "BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.0001"), Decimal(10), Decimal(0), Decimal(0)
)
CANDLE = Candle("BTC/USDT", "5m", 0, 100.0, 101.0, 99.0, 100.0, 1.0)
VIEW = StrategyView("BTC/USDT", "5m", [CANDLE], None, RULES, NOW)


def _entry(stop: Decimal | None) -> OrderIntent:
    return OrderIntent(
        intent_id="i1", strategy="s", symbol="BTC/USDT", side=Side.BUY, kind=IntentKind.ENTRY,
        order_type=OrderType.LIMIT, reference_price=Decimal(100), created_at=NOW, reason="r",
        limit_price=Decimal(100), stop_price=stop,
    )  # fmt: skip


class Answers:
    name, timeframe, warmup = "s", "5m", 1

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.calls = 0

    def on_candles(self, view: StrategyView) -> object:
        self.calls += 1
        return self.answer


def test_an_answer_that_is_not_a_list_of_intents_disables_the_strategy_naming_what_it_returned() -> None:
    guard, strategy = StrategyGuard(), Answers({"buy": True})
    with capture_logs() as logs:
        assert guard.intents(strategy, VIEW) == ()  # type: ignore[arg-type]
        assert guard.intents(strategy, VIEW) == ()  # type: ignore[arg-type]
    assert strategy.calls == 1, "not asked again once disabled"
    assert "on_candles returned dict; allowed: a list of OrderIntent" in guard.disabled["s"]
    assert "test_strategy_guard.py, line" in guard.disabled["s"]
    assert [entry["event"] for entry in logs] == ["strategy_disabled"]
    assert logs[0]["log_level"] == "error"


def test_an_entry_without_a_stop_is_reported_with_the_strategy_s_file_and_left_to_the_chain() -> None:
    guard, strategy = StrategyGuard(), Answers([_entry(None)])
    with capture_logs() as logs:
        intents = guard.intents(strategy, VIEW)  # type: ignore[arg-type]
    assert [i.intent_id for i in intents] == ["i1"]  # the mandatory_stop guard denies it, on the record
    assert [entry["event"] for entry in logs] == ["strategy_entry_without_stop"]
    assert "test_strategy_guard.py, line" in logs[0]["where"]
    assert "s" not in guard.disabled


def test_an_entry_with_a_stop_passes_quietly() -> None:
    guard = StrategyGuard()
    with capture_logs() as logs:
        assert len(guard.intents(Answers([_entry(Decimal(95))]), VIEW)) == 1  # type: ignore[arg-type]
    assert logs == []
