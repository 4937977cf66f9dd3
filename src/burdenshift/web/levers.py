"""The levers the page moves, as a strict request schema, applied on top of a scenario."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from burdenshift.scenario.schema import (
    MAX_CAMPAIGN_DAYS,
    MAX_FORCE_RATIO,
    Scenario,
    is_requirement_path,
)

MAX_DRAWS = 20_000
MAX_HORIZON_END = 2050
MAX_TIME_LIMIT = 60.0

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
"""No type coercion (a string is not a number, 1 is not true), no NaN or Infinity (JSON
allows neither, Python's parser reads both)."""


def _whole(value: Any) -> Any:
    """2045.0 is the year 2045 (JSON writers often add the .0); 2045.5 stays refused."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


Whole = Annotated[int, BeforeValidator(_whole)]
"""An integer field that also takes an integral float; anything else as strict as the rest."""


def _set_name(value: str) -> str:
    """A requirement set by name only: the server never opens a file a request names."""
    if is_requirement_path(value):
        raise ValueError("names a file; a request may only name a requirement set by its id")
    return value


SetName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_set_name)]


class Levers(BaseModel):
    """Each lever left out keeps the scenario's value."""

    model_config = STRICT
    deadline: Whole | None = Field(default=None, ge=2027, le=MAX_HORIZON_END)
    target_share: float | None = Field(default=None, ge=0.0, le=1.0)
    drawdown: Literal["blunt", "phased", "none"] | None = None
    drawdown_start_year: Whole | None = Field(default=None, ge=2027, le=MAX_HORIZON_END)
    """First year of lower US contribution (a custom year; default the deadline)."""
    drawdown_end_year: Whole | None = Field(default=None, ge=2027, le=MAX_HORIZON_END)
    coordination_withdrawal: Whole | None = Field(default=None, ge=2027, le=MAX_HORIZON_END)
    coordination_stays: bool = False
    """True: the US stays in coordination mechanisms (overrides the year)."""
    procurement: Literal["national", "pooled"] | None = None
    us_licences: Literal["granted", "capped", "refused"] | None = None
    budget_pct_gdp_2030: float | None = Field(default=None, ge=0.0, le=10.0)
    """Defence spending for every ally by 2030, % of GDP (linear from today)."""
    budget_pct_gdp_2030_by_ally: dict[str, float] = Field(default_factory=dict, max_length=40)
    """Per ally, overriding the above: {"DEU": 3.5, …}."""
    requirement: SetName | None = None
    """The requirement set measured against, by name (GET /api/requirements)."""
    campaign_days: Whole | None = Field(default=None, ge=1, le=MAX_CAMPAIGN_DAYS)
    """Days of high-intensity war the munition stocks must last (default: the set's own)."""
    force_ratio: float | None = Field(default=None, gt=0.0, le=MAX_FORCE_RATIO)
    """`ratio-to-russia`: the allied force asked for per unit of Russia's projected holdings."""


class RunRequest(BaseModel):
    model_config = STRICT
    scenario: str | None = None
    """A shipped scenario name; ignored when `yaml` is given."""
    yaml: str | None = Field(default=None, max_length=100_000)
    """A scenario file's text (parsed, never executed or written)."""
    levers: Levers = Levers()
    store: bool = False
    """Keep the run in the store."""


class RiskRequest(RunRequest):
    draws: Whole = Field(default=2_000, ge=10, le=MAX_DRAWS)
    seed: Whole = Field(default=2027, ge=0, le=2**63 - 1)


class PlanRequest(RunRequest):
    mode: Literal["national", "pooled"] | None = None
    time_limit: float = Field(default=30.0, gt=0, le=MAX_TIME_LIMIT)


Quantity = Annotated[float, Field(gt=0.0, le=1e12)]
"""A number of items (a stock, a pace, a quantity on a list): above 0."""
Id = Annotated[str, Field(min_length=1, max_length=64)]


class TimeToStockRequest(RunRequest):
    """`POST /api/query/time-to-stock`: the years until a stock reaches `target` items."""

    system: Id
    target: Quantity
    ally: Id | None = None
    """One European ally; left out: Europe as a whole."""
    pace: Quantity | None = None
    """Items delivered a year; left out: the holder's share of today's European line output."""


class WeakestRequest(RunRequest):
    """`POST /api/weakest`: the figures whose range moves an area's share most."""

    area: Id | None = None
    """Left out: each figure's largest swing over the areas."""
    top: Whole = Field(default=10, ge=1, le=100)


class CostOfListRequest(RunRequest):
    """`POST /api/query/cost-of-list`: the one-off cost of {system: quantity}."""

    items: dict[Id, Quantity] = Field(min_length=1, max_length=500)
    mode: Literal["national", "pooled"] | None = None
    """Left out: the scenario's procurement mode."""


class SpendingNeededRequest(RunRequest):
    """`POST /api/query/spending-needed`: the % of GDP at which an area holds its target."""

    area: Id
    ally: Id | None = None
    """Only this ally's spending moves; left out: every European ally's."""
    engine: Literal["simulate", "plan", "both"] = "both"
    time_limit: float = Field(default=10.0, gt=0, le=MAX_TIME_LIMIT)
    """Seconds each plan stage may take."""
    max_solves: Whole = Field(default=8, ge=1, le=12)
    """Plans solved at most by the search."""


def apply_levers(scenario: Scenario, levers: Levers) -> Scenario:
    data: dict[str, Any] = scenario.model_dump()
    if levers.deadline is not None:
        data["deadline"] = levers.deadline
        data["horizon"] = (data["horizon"][0], max(data["horizon"][1], levers.deadline))
    if levers.target_share is not None:
        data["target_share"] = levers.target_share
    if levers.drawdown is not None:
        data["us_drawdown"]["path"] = levers.drawdown
    if levers.drawdown_start_year is not None:
        data["us_drawdown"]["start_year"] = levers.drawdown_start_year
    # the end year shapes only a phased step-back
    if levers.drawdown_end_year is not None and data["us_drawdown"]["path"] == "phased":
        data["us_drawdown"]["end_year"] = levers.drawdown_end_year
    if levers.coordination_stays:
        data["coordination_withdrawal"] = None
    elif levers.coordination_withdrawal is not None:
        data["coordination_withdrawal"] = levers.coordination_withdrawal
    if levers.procurement is not None:
        data["procurement"] = levers.procurement
    if levers.us_licences is not None:
        data["export"]["us_licences"] = levers.us_licences
    if levers.budget_pct_gdp_2030 is not None:
        data["budget"]["pct_gdp"] = {2030: levers.budget_pct_gdp_2030}
    for ally, pct in levers.budget_pct_gdp_2030_by_ally.items():
        data["budget"]["by_ally"][ally] = {2030: pct}
    if levers.requirement is not None:
        data["requirement"] = levers.requirement
    if levers.campaign_days is not None:
        data["campaign_days"] = levers.campaign_days
    if levers.force_ratio is not None:
        data["force_ratio"] = levers.force_ratio
    before = scenario.model_dump()
    moved = [k for k in data if k != "name" and data[k] != before[k]]
    if moved:
        # a kept run says it is not the shipped scenario as it stands
        data["name"] = f"{scenario.name} + levers ({', '.join(moved)})"
    return Scenario.model_validate(data)
