"""The paper broker: simulated fills against the offline (or any) market's closed candles."""

from bot.adapters.paper.balances import BalanceBook
from bot.adapters.paper.broker import PaperBroker

__all__ = ["BalanceBook", "PaperBroker"]
