"""[[strategies]]: which strategy kinds exist and how each kind's ``params`` table is validated.

Adding a kind is one line in :data:`STRATEGY_PARAMS` (plus its params model): the tagged union that
validates ``[[strategies]]`` entries is derived from that registry, so each entry's ``params`` is checked
against the right model and an error names ``strategies[0].params.fast``.

The models here mirror the strategies' own parameter dataclasses (``strategies.ma_crossover``) with the
stricter bounds operators are allowed to choose; the bootstrap turns them into the strategy's dataclass
with ``MaCrossoverParams(**strategy.params.model_dump())``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, create_model, model_validator

from bot.settings.errors import ConfigProblem, problems_error, show_value
from bot.settings.types import Section, StrategyName, Symbol, Timeframe

DEFAULT_KIND = "ma_crossover"
STRATEGY_KIND_ERROR = "spotbot_strategy_kind"


class StrategyParams(Section):
    """Base of every strategy kind's parameters."""


class MaCrossoverParams(StrategyParams):
    fast: int = Field(10, ge=2, le=1_000, description="Fast moving-average length, in candles.")
    slow: int = Field(30, ge=3, le=5_000, description="Slow moving-average length; greater than fast.")
    ma: Literal["ema", "sma"] = Field("ema", description="Moving-average type.")
    stop: Literal["atr", "percent"] = Field("atr", description="How the protective stop is placed.")
    stop_percent: float = Field(
        0.03, gt=0, le=0.1, description="stop = 'percent': stop distance below entry as a fraction."
    )
    atr_period: int = Field(14, ge=2, le=500, description="stop = 'atr': ATR length, in candles.")
    atr_multiple: float = Field(2.0, gt=0, le=50, description="stop = 'atr': stop distance in ATRs.")

    @model_validator(mode="after")
    def _slow_after_fast(self) -> MaCrossoverParams:
        if self.slow <= self.fast:
            raise problems_error(
                [ConfigProblem("slow", show_value(self.slow), f"greater than fast ({self.fast})")]
            )
        return self


# kind -> params model. One line per kind.
STRATEGY_PARAMS: dict[str, type[StrategyParams]] = {
    "ma_crossover": MaCrossoverParams,
}


class StrategySettings(Section):
    """One [[strategies]] entry. ``symbols`` and ``timeframe`` default to the market's (see the root)."""

    name: StrategyName = Field(description="Unique name; appears in logs, intents and the audit DB.")
    kind: str = Field(DEFAULT_KIND, description=f"Strategy kind: one of {', '.join(STRATEGY_PARAMS)}.")
    symbols: tuple[Symbol, ...] = Field(
        min_length=1, description="Symbols traded; default: all market symbols."
    )
    timeframe: Timeframe = Field(
        description="Candle timeframe; default and, offline, required: market.timeframe."
    )
    params: StrategyParams = Field(description="The kind's parameters.")


def _strategy_model(kind: str, params: type[StrategyParams]) -> type[StrategySettings]:
    name = "".join(part.title() for part in kind.split("_")) + "Strategy"
    return create_model(
        name,
        __base__=StrategySettings,
        params=(params, Field(default_factory=params, description=f"Parameters of {kind}.")),
    )


STRATEGY_MODELS: dict[str, type[StrategySettings]] = {
    kind: _strategy_model(kind, params) for kind, params in STRATEGY_PARAMS.items()
}


def _kind_of(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("kind", DEFAULT_KIND)
        return kind if isinstance(kind, str) else None
    return getattr(value, "kind", None)


if TYPE_CHECKING:
    AnyStrategy = StrategySettings
else:
    AnyStrategy = Annotated[
        Union[tuple(Annotated[model, Tag(kind)] for kind, model in STRATEGY_MODELS.items())],  # noqa: UP007
        Discriminator(
            _kind_of,
            custom_error_type=STRATEGY_KIND_ERROR,
            custom_error_message="one of {kinds}",
            custom_error_context={"kinds": ", ".join(STRATEGY_PARAMS)},
        ),
    ]
