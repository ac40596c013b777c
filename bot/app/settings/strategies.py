"""[[strategies]]: which strategy kinds exist and how each kind's ``params`` table is validated.

The kinds and their params come from the one registry, :data:`strategies.registry.STRATEGIES`: each
kind's params are declared once, in its strategy's dataclass (default, bounds, description), and
:data:`STRATEGY_PARAMS` derives the pydantic table of each (``bot.app.settings.declared``). The tagged union
that validates ``[[strategies]]`` entries is derived from that, so each entry's ``params`` is checked
against the right model and an error names ``strategies[0].params.fast``. The bootstrap builds the
strategy with :meth:`StrategySettings.build`.

A user's strategy (``kind = "my_rsi.py:MyRsi"``, ``"pkg.module:Class"`` or an installed entry point:
:mod:`bot.app.strategy_kinds`) is the union's ``user`` member: its class is loaded while the config is
validated and ``params`` checked against its ``Params``, so an import error or a bad param is a config
error naming the key, like a built-in's. ``search`` ranges: :mod:`bot.app.settings.search`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    create_model,
    model_validator,
)

from bot.app.settings.declared import settings_model
from bot.app.settings.errors import ConfigProblem, problems_error, show_value
from bot.app.settings.search import SearchRange, search_problems
from bot.app.settings.sources import config_dir
from bot.app.settings.types import Section, StrategyName, Symbol, Timeframe
from bot.app.strategy_kinds import FORMS, NoParams, StrategyLoadError, is_user_kind, resolve_kind
from strategies.base import Strategy
from strategies.registry import STRATEGIES, StrategyKind

DEFAULT_KIND = "ma_crossover"
STRATEGY_KIND_ERROR = "spotbot_strategy_kind"
USER_TAG = "user"  # the union's tag of every user strategy (a file, a module, an entry point)


class StrategyParams(Section):
    """Base of every strategy kind's parameters."""


def _params_model(kind: str, declared: type[Any]) -> type[StrategyParams]:
    name = declared.__name__  # e.g. MaCrossoverParams, like the strategy's dataclass
    doc = f"params of {kind}: derived from {declared.__module__}.{name}."
    return settings_model(name, declared, base=StrategyParams, module=__name__, doc=doc)


# kind -> params model, one per kind of the strategies' registry.
STRATEGY_PARAMS: dict[str, type[StrategyParams]] = {
    kind: _params_model(kind, declared.params) for kind, declared in STRATEGIES.items()
}
MaCrossoverParams = STRATEGY_PARAMS["ma_crossover"]  # the settings' view of ma_crossover's params


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
    search: dict[str, SearchRange] = Field(
        default_factory=dict,
        description="spotbot optimize: search ranges of params, e.g. fast = {low = 5, high = 50}.",
    )

    @model_validator(mode="after")
    def _search_fits_params(self) -> StrategySettings:
        problems = search_problems(self.kind, self.params, self.search)
        if problems:
            raise problems_error(problems)
        return self

    def strategy_kind(self) -> StrategyKind:
        """The kind's params type and constructor."""
        return STRATEGIES[self.kind]

    def build(self) -> Strategy:
        """The strategy this entry configures (its params checked once more by the kind's own type)."""
        kind = self.strategy_kind()
        params = self.params.model_dump()
        return kind.build(
            self.name, self.timeframe, None if kind.params is NoParams else kind.params(**params)
        )


def _strategy_model(kind: str, params: type[StrategyParams]) -> type[StrategySettings]:
    name = "".join(part.title() for part in kind.split("_")) + "Strategy"
    return create_model(
        name,
        __base__=StrategySettings,
        params=(
            params,
            Field(default_factory=dict, description=f"Parameters of {kind}."),
        ),  # validated: errors located
    )


STRATEGY_MODELS: dict[str, type[StrategySettings]] = {
    kind: _strategy_model(kind, params) for kind, params in STRATEGY_PARAMS.items()
}


class UserStrategySettings(StrategySettings):
    """A ``[[strategies]]`` entry whose kind is a user's strategy (:mod:`bot.app.strategy_kinds`): the
    class is loaded while the config is validated, and ``params`` validated against its ``Params``."""

    params: Any = Field(default_factory=dict, description="The strategy's Params.")
    _kind: StrategyKind | None = PrivateAttr(None)

    @model_validator(mode="before")
    @classmethod
    def _load_kind(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            return data
        try:
            kind = resolve_kind(data["kind"], config_dir())
        except StrategyLoadError as exc:
            raise problems_error([ConfigProblem("kind", show_value(data["kind"]), exc.reason)]) from None
        model = user_params_model(data["kind"], kind.params)
        raw = data.get("params", {})
        if isinstance(raw, model):
            return data
        if not isinstance(raw, dict):
            raise problems_error([ConfigProblem("params", show_value(raw), "a table")])
        try:
            params = model.model_validate(raw)
        except ValidationError as exc:
            raise problems_error([_param_problem(error) for error in exc.errors(include_url=False)]) from None
        return {**data, "params": params}

    @model_validator(mode="after")
    def _keep_kind(self) -> UserStrategySettings:
        self._kind = resolve_kind(self.kind, config_dir())  # loaded above: cached
        return self

    def strategy_kind(self) -> StrategyKind:
        return self._kind if self._kind is not None else resolve_kind(self.kind, config_dir())


_USER_PARAMS: dict[tuple[str, type[Any]], type[BaseModel]] = {}


def user_params_model(kind: str, params: type[Any]) -> type[BaseModel]:
    """The settings table of a user strategy's ``Params`` (made once per class): unknown keys are
    errors, values frozen."""
    key = (kind, params)
    if key not in _USER_PARAMS:
        _USER_PARAMS[key] = _user_params_model(kind, params)
    return _USER_PARAMS[key]


def _user_params_model(kind: str, params: type[Any]) -> type[BaseModel]:
    if params is NoParams:
        return create_model("NoParams", __base__=StrategyParams)
    if issubclass(params, BaseModel):
        config = {**params.model_config, "extra": "forbid", "frozen": True}
        return type(params.__name__, (params,), {"model_config": config, "__module__": params.__module__})
    return _params_model(kind, params)


def _param_problem(error: Any) -> ConfigProblem:
    key = ".".join(["params", *(str(part) for part in error["loc"])])
    if error["type"] == "extra_forbidden":
        return ConfigProblem(key, show_value(error["input"]), "unknown key: extra keys are not allowed here")
    if error["type"] == "missing":
        return ConfigProblem(key, "(missing)", "required")
    message = str(error["msg"])
    return ConfigProblem(key, show_value(error["input"]), message[:1].lower() + message[1:])


def _kind_of(value: Any) -> str | None:
    kind = value.get("kind", DEFAULT_KIND) if isinstance(value, dict) else getattr(value, "kind", None)
    if not isinstance(kind, str):
        return None
    return USER_TAG if kind not in STRATEGY_MODELS and is_user_kind(kind) else kind


if TYPE_CHECKING:
    AnyStrategy = StrategySettings
else:
    AnyStrategy = Annotated[
        Union[  # noqa: UP007
            tuple(
                (
                    *(Annotated[model, Tag(kind)] for kind, model in STRATEGY_MODELS.items()),
                    Annotated[UserStrategySettings, Tag(USER_TAG)],
                )
            )
        ],
        Discriminator(
            _kind_of,
            custom_error_type=STRATEGY_KIND_ERROR,
            custom_error_message="one of {kinds}, or {forms}",
            custom_error_context={
                "kinds": ", ".join(STRATEGY_PARAMS),
                "forms": FORMS.removeprefix("a built-in kind, "),
            },
        ),
    ]
