"""Client order ids: deterministic, distinct per purpose and attempt, valid for Binance."""

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import OrderPurpose, client_order_id_for, make_intent_id

BINANCE_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")


@given(st.lists(st.text(), min_size=1, max_size=5), st.integers(min_value=0, max_value=99))
def test_client_order_ids_are_binance_valid_and_distinct_per_purpose(parts: list[str], attempt: int) -> None:
    intent_id = make_intent_id(*parts)
    ids = {client_order_id_for(intent_id, purpose, attempt) for purpose in OrderPurpose}
    assert len(ids) == len(OrderPurpose)
    assert all(BINANCE_CLIENT_ID.match(cid) for cid in ids)


def test_the_same_decision_always_gets_the_same_intent_id() -> None:
    assert make_intent_id("bot", "BTC/USDT", 1700000000000, "entry") == make_intent_id(
        "bot", "BTC/USDT", 1700000000000, "entry"
    )
    assert make_intent_id("bot", "BTC/USDT", 1700000000000, "entry") != make_intent_id(
        "bot", "BTC/USDT", 1700000300000, "entry"
    )
