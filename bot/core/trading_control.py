"""The trading state (ACTIVE / REDUCING / HALTED): driven by the breakers and by a human kill switch.

Every change is an event in the audit DB (``trading_state_events``) with who made it. Humans act
through the same table (``spotbot halt [--flatten]`` / ``spotbot resume`` write an event); the
daemon reads new events every tick, so the kill switch works against a running daemon, and the state
survives a restart. The breakers' rules live in :mod:`risk.trading_state` (pure); this class only
feeds them facts and records their verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.core.breaker_facts import AccountTracker
from bot.core.ports import AuditStore
from bot.core.wake_conditions import EquityWatch, breaker_watch
from bot.domain import AccountState, TradingState, TradingStatus
from bot.logs import get_logger
from risk.limits import RiskLimits
from risk.trading_state import next_status

log = get_logger(__name__)

ENGINE_ACTOR = "engine"
_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


@dataclass(frozen=True, slots=True)
class HumanCommand:
    status: TradingStatus
    actor: str
    flatten: bool


class TradingControl:
    def __init__(
        self,
        *,
        store: AuditStore,
        bot_name: str,
        run_id: int,
        limits: RiskLimits,
        start: TradingStatus,
        poll_every: int = 1,
    ) -> None:
        """``poll_every``: read human commands on every Nth poll only (0: never, for backtests). A replay
        ticks hundreds of times a second and a DB read per tick was half its cost; a wall-clock bot polls
        every time (each tick or monitor run is seconds apart anyway)."""
        self._poll_every = poll_every
        self._polls = 0
        self._store = store
        self._bot = bot_name
        self._run_id = run_id
        self._limits = limits
        self.status = start
        self.account = AccountTracker()
        # Only commands given from now on count: an old halt of an earlier simulation must not stop this one.
        latest = store.latest_trading_state(bot_name)
        self._seen_event_id = latest.id if latest is not None else 0
        self._record(start, ENGINE_ACTOR)

    @property
    def state(self) -> TradingState:
        return self.status.state

    def account_state(self, equity: Decimal) -> AccountState:
        return self.account.state(equity)

    def poll_commands(self, equity: Decimal) -> HumanCommand | None:
        """Adopt the newest human command since the last poll; returns it (the caller flattens if asked)."""
        self._polls += 1
        if not self._poll_every or self._polls % self._poll_every:
            return None
        command: HumanCommand | None = None
        for event in self._store.trading_state_events(self._bot, after_id=self._seen_event_id):
            self._seen_event_id = event.id
            if event.actor == ENGINE_ACTOR:
                continue
            status = TradingStatus(TradingState(event.state), event.reason, event.occurred_at)
            command = HumanCommand(status, event.actor, event.flatten)
        if command is None:
            return None
        previous = self.status.state
        self.status = command.status
        if previous is TradingState.HALTED and command.status.state is TradingState.ACTIVE:
            self.account.reset_peak(equity)
        log.warning(
            "trading_state_changed",
            state=command.status.state.value,
            reason=command.status.reason,
            actor=command.actor,
            flatten=command.flatten,
        )
        return command

    def evaluate(self, equity: Decimal, now: datetime) -> None:
        """Mark equity and let the breakers move the state (e.g. a crash day -> REDUCING)."""
        self.account.mark(equity, now)
        changed = next_status(self.status, self.account.state(equity), equity, now, self._limits)
        if changed is None or changed == self.status:
            return
        self.status = changed
        self._record(changed, ENGINE_ACTOR)
        log.warning(
            "trading_state_changed", state=changed.state.value, reason=changed.reason, actor=ENGINE_ACTOR
        )

    def equity_watch(self, now: datetime) -> EquityWatch:
        """The equity levels at which :meth:`evaluate` would change the state (see
        :mod:`bot.core.wake_conditions`)."""
        account = self.account
        return breaker_watch(self.status, account.peak_equity, account.day_start_equity, now, self._limits)

    def mark_quiet(self, equity: Decimal, now: datetime) -> None:
        """Mark the equity of a close a backtest skipped as quiet. Its tick would have evaluated the
        breakers too; the planner skipped it because none could move, and that is checked here."""
        self.account.mark(equity, now)
        changed = next_status(self.status, self.account.state(equity), equity, now, self._limits)
        if changed is not None and changed != self.status:
            raise AssertionError(
                f"a skipped close at {now.isoformat()} would have moved the trading state to "
                f"{changed.state.value} ({changed.reason}): the backtest's event planner missed a breaker"
            )

    def impose(self, advised: TradingStatus) -> None:
        """A reconciliation's verdict: it may tighten the state, and lift only what it imposed itself
        (REDUCING for an incomplete or inconsistent check); a HALTED bot always needs a human."""
        current = self.status
        tighter = _SEVERITY[advised.state] > _SEVERITY[current.state]
        lifts_own = (
            advised.state is TradingState.ACTIVE
            and current.state is TradingState.REDUCING
            and current.reason.startswith("reconcile")
        )
        if not (tighter or lifts_own):
            return
        self.status = advised
        self._record(advised, ENGINE_ACTOR)
        log.warning(
            "trading_state_changed", state=advised.state.value, reason=advised.reason, actor="reconcile"
        )

    def lift(self, reason: str, now: datetime) -> None:
        """End a REDUCING this engine imposed for ``reason`` (the condition is over); anything else stays."""
        if self.status.state is TradingState.REDUCING and self.status.reason == reason:
            self.status = TradingStatus(TradingState.ACTIVE, f"{reason}_over", now)
            self._record(self.status, ENGINE_ACTOR)
            log.warning(
                "trading_state_changed", state="active", reason=self.status.reason, actor=ENGINE_ACTOR
            )

    def _record(self, status: TradingStatus, actor: str) -> None:
        # Our own events are skipped when polling; the poll cursor is not advanced here, so a human
        # command written a moment before this event is still read on the next poll.
        self._store.record_trading_state(self._bot, self._run_id, status, actor)
