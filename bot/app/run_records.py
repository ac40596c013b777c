"""A run's records around the engine: its start (who, what, from which balances and market rules), and
its end when the start itself fails (closed ``failed``, never left ``running``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from bot import __version__
from bot.adapters.audit.errors import AuditDbError
from bot.adapters.audit.store import SqlAuditStore
from bot.app.settings import Settings, config_hash, redacted_dict
from bot.core.ports import Broker, MarketData, RunInfo
from bot.core.trading_control import ENGINE_ACTOR
from bot.domain import TradingState, TradingStatus
from bot.domain.clock import SystemClock
from bot.domain.failures import CredentialsRefused
from bot.logs import get_logger

log = get_logger(__name__)


def start_run(settings: Settings, store: SqlAuditStore, *, backtest: bool = False) -> int:
    return store.start_run(
        RunInfo(
            started_at=SystemClock().now(),
            mode=settings.bot.mode,
            venue=settings.venue,
            version=__version__,
            config_hash=config_hash(settings),
            config=redacted_dict(settings),
            bot_name=settings.bot.name,
            kind="backtest" if backtest else "daemon",
        )
    )


def describe_run(
    store: SqlAuditStore, run_id: int, market: MarketData, broker: Broker, symbols: Sequence[str]
) -> None:
    """Record what the run starts from: the broker's balances (a live venue's: the account's) and each
    symbol's market rules (reports tell dust from positions by the lot step)."""
    markets = {}
    for symbol in symbols:
        rules = market.rules(symbol)
        markets[symbol] = {"tick_size": str(rules.tick_size), "step_size": str(rules.step_size),
                           "min_notional": str(rules.min_notional)}  # fmt: skip
    balances = {currency: str(balance.total) for currency, balance in broker.balances().items()}
    store.describe_run(run_id, start_balances=balances, markets=markets)


@contextmanager
def failing_the_run(store: SqlAuditStore, run_id: int, bot_name: str) -> Iterator[None]:
    """A start that fails closes its run as ``failed`` (never left ``running``); a definite refusal of the
    credentials also halts the bot, as it would mid-run (``spotbot resume`` once they are fixed)."""
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, CredentialsRefused) and exc.halt:
            halted = TradingStatus(TradingState.HALTED, "fatal_exchange_error", SystemClock().now())
            store.record_trading_state(bot_name, run_id, halted, ENGINE_ACTOR)
        close_failed_run(store, run_id)
        log.error("run_start_failed", run_id=run_id, error=str(exc))
        raise


def close_failed_run(store: SqlAuditStore, run_id: int) -> None:
    """Close a run as ``failed`` after an error, if the audit DB still takes the write (the error that
    ended the run is the one to report, not this one)."""
    try:
        store.finish_run(run_id, SystemClock().now(), "failed")
    except AuditDbError as error:
        log.warning("run_left_open", run_id=run_id, error=str(error))
