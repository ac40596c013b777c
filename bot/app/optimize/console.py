"""What ``spotbot optimize`` prints: the top trials (params, OOS, IS, gap) and the best one in full."""

from __future__ import annotations

from typing import Any

from optuna.trial import FrozenTrial
from rich.console import Console
from rich.table import Table

TOP_TRIALS = 10


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def top_trials(trials: list[FrozenTrial], count: int = TOP_TRIALS) -> list[FrozenTrial]:
    """Completed trials, best out-of-sample score first (ties: the earlier trial)."""
    done = [t for t in trials if t.value is not None]
    return sorted(done, key=lambda t: (-float(t.value or 0.0), t.number))[:count]


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    attrs = trial.user_attrs
    return {
        "number": trial.number,
        "params": dict(trial.params),
        "oos_score": trial.value,
        "is_score": attrs.get("is_score"),
        "gap": attrs.get("gap"),
        "window_scores": attrs.get("window_scores"),
        "window_trades": attrs.get("window_trades"),
    }


def column_names(names: list[str]) -> list[str]:
    """``ma_cross.fast`` -> ``fast`` when one strategy is tuned (narrow terminals)."""
    if len({name.split(".", 1)[0] for name in names}) == 1:
        return [name.split(".", 1)[1] for name in names]
    return names


def trials_table(rows: list[dict[str, Any]], names: list[str], objective: str) -> Table:
    table = Table(title=f"Top trials by out-of-sample {objective} (walk-forward)")
    table.add_column("trial", justify="right")
    for column in column_names(names):
        table.add_column(column, justify="right")
    for column in ("OOS", "IS", "gap IS-OOS", "trades/window"):
        table.add_column(column, justify="right")
    for row in rows:
        trades = "/".join(str(t) for t in row["window_trades"] or [])
        table.add_row(
            f"#{row['number']}",
            *(_num(row["params"].get(name)) for name in names),
            _num(row["oos_score"]),
            _num(row["is_score"]),
            _num(row["gap"]),
            trades,
        )
    return table


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    names = list(summary["best"]["params"])
    console.print(trials_table(summary["top_trials"], names, summary["objective"]))
    best, metrics, data = summary["best"], summary["full_data"]["metrics"], summary["full_data"]["data"]
    counts = summary["trials"]
    console.print(
        f"study [bold]{summary['study']}[/] ({summary['storage']}): {counts['complete']} complete, "
        f"{counts['pruned']} pruned (params refused), {counts['fail']} failed; "
        f"{summary['folds']} folds over {len(summary['windows'])} windows",
        highlight=False,
    )
    tuned = ", ".join(f"{k} = {_num(v)}" for k, v in best["params"].items())
    console.print(
        f"best trial #{best['number']}: {tuned}; out-of-sample {_num(best['oos_score'])}, "
        f"in-sample {_num(best['is_score'])}, gap {_num(best['gap'])}",
        highlight=False,
    )
    console.print(
        f"full data ({data['first_candle_open']} .. {data['last_candle_close']}, {data['candles']} candles): "
        f"{metrics['trades']} trades, total return {_pct(metrics['total_return'])}, "
        f"Sharpe {_num(metrics['sharpe'])}, max drawdown {_pct(metrics['max_drawdown'])}",
        highlight=False,
    )
