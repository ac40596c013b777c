"""What a check finds: a status, a one-line summary and the first offending candles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

MAX_EXAMPLES = 10  # offending closes kept per check (the count says how many in all)
LOOKAHEAD, WARMUP, SCAN, ERRORS = "look-ahead", "warm-up", "scan", "errors"


class Status(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    SKIPPED = "skipped"  # not applicable (no scan) or not possible (too few candles): not a problem


@dataclass(frozen=True, slots=True)
class Finding:
    """One offending candle: its close time (ms, when the strategy decided) and what differed."""

    close_ms: int
    what: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Status
    summary: str  # what was checked, or why it was not
    findings: tuple[Finding, ...] = ()  # the first MAX_EXAMPLES offending candles, by time
    count: int = 0  # offending candles in all


@dataclass(frozen=True, slots=True)
class SymbolReport:
    strategy: str
    symbol: str
    timeframe: str
    warmup: int
    candles: int
    first_open_ms: int
    last_close_ms: int
    checks: tuple[CheckResult, ...]
    elapsed_seconds: float

    @property
    def ok(self) -> bool:
        return all(check.status is not Status.PROBLEM for check in self.checks)


def check_result(name: str, summary: str, findings: Iterable[Finding]) -> CheckResult:
    """OK without findings, else PROBLEM with the first few by time."""
    found = sorted(findings, key=lambda finding: finding.close_ms)
    status = Status.PROBLEM if found else Status.OK
    return CheckResult(name, status, summary, tuple(found[:MAX_EXAMPLES]), len(found))


def joined(found: Mapping[int, list[str]]) -> list[Finding]:
    """One finding per candle close, however many things differed there."""
    return [Finding(close_ms, "; ".join(whats)) for close_ms, whats in found.items()]
