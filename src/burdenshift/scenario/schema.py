"""The scenario file: a strict schema (unknown keys are errors), with defaults that say why."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from burdenshift.domain.uncertainty import Uncertainty

# Every field's domain, declared once here and checked for every entry point (CLI, Python API,
# web, sweep): the engines can take any Scenario that validates.
YEAR_MIN, YEAR_MAX = 2000, 2100
"""Calendar years a scenario may name: a plausible planning window, and small enough that
year arithmetic and arrays over years stay small."""
MAX_HORIZON_YEARS = 30
"""Years a horizon may span: the plan's model grows with every year (a 2026–2056 plan is about
three times the default's size and still solves in under a minute)."""
MIN_GROWTH = 0.01
"""Smallest requirement scale: a hundredth of today's requirement (below it every share is 100 %
and the arithmetic reaches denormal numbers)."""
MAX_GROWTH = 10.0
"""Largest requirement scale: ten times today's requirement is beyond any published target
(the 2025 capability targets are about 1.3)."""
MAX_MULTIPLIER = 10.0
"""Largest budget realisation factor: ten times planned procurement money."""

Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
PctGdp = Annotated[float, Field(ge=0.0, le=20.0)]
"""Defence spending, % of GDP: no ally has spent more than 20 % in peacetime."""
Growth = Annotated[float, Field(ge=MIN_GROWTH, le=MAX_GROWTH)]
Name = Annotated[str, Field(min_length=1, max_length=64)]
"""A key of the data (an area, ally or line id)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Budget(_Strict):
    """Defence spending paths, as % of GDP, per ally and year (linear between points)."""

    path: Literal["latest", "pledge"] = "pledge"
    """`latest`: today's % of GDP held flat; `pledge`: a straight line to the 2035 core pledge."""
    pct_gdp: dict[Year, PctGdp] = Field(default_factory=dict, max_length=100)
    """Points {year: % of GDP} for every ally, overriding the path from the first point on."""
    by_ally: dict[Name, dict[Year, PctGdp]] = Field(default_factory=dict, max_length=100)
    """Points per ally, overriding both of the above for that ally."""
    multiplier: float = Field(default=1.0, ge=0.0, le=MAX_MULTIPLIER)
    """Scales all procurement money (budget realisation)."""


def _ordered(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"end_year {end} comes before start_year {start}")


class AreaDrawdown(_Strict):
    start_year: Year | None = None
    end_year: Year | None = None
    floor_share: Share | None = None

    @field_validator("end_year")
    @classmethod
    def _after_start(cls, end: int | None, info: ValidationInfo) -> int | None:
        _ordered(info.data.get("start_year"), end)
        return end


class Drawdown(_Strict):
    """How the US contribution to Europe's defence falls: a step or a straight line to a floor."""

    path: Literal["blunt", "phased", "none"] = "blunt"
    start_year: Year | None = None
    """First year of lower US contribution; default the deadline."""
    end_year: Year | None = None
    """Phased: the year the floor is reached; default start + 3."""
    by_area: dict[Name, AreaDrawdown] = Field(default_factory=dict, max_length=100)

    @field_validator("end_year")
    @classmethod
    def _after_start(cls, end: int | None, info: ValidationInfo) -> int | None:
        _ordered(info.data.get("start_year"), end)
        return end


class RouteRule(_Strict):
    """Close deliveries from a line, or all lines of a country, to some allies until a year."""

    line: Name | None = None
    from_country: Name | None = None
    to: Annotated[list[Name], Field(max_length=100)] | Literal["all"] = "all"
    until: Year | None = None
    """First year the route opens again; None: closed over the whole horizon."""

    @model_validator(mode="after")
    def _one_origin(self) -> RouteRule:
        if (self.line is None) == (self.from_country is None):
            raise ValueError("give exactly one of 'line' or 'from_country'")
        return self


class Export(_Strict):
    us_licences: Literal["granted", "capped", "refused"] = "granted"
    """Licences for US-controlled content: FMS sales and re-transfers of ITAR-bearing items."""
    licence_cap_share: Share = 0.5
    """With `capped`: the share of licensable deliveries approved."""
    closed_routes: list[RouteRule] = Field(default_factory=list, max_length=500)


class Override(_Strict):
    """Replace one figure of the data: table, key and field as in `burdenshift data sources`."""

    table: Name
    key: Annotated[str, Field(min_length=1, max_length=200)]
    field: Name
    value: float
    """Finite; its range is the field's own (checked against the data's table of fields)."""


MAX_CAMPAIGN_DAYS = 365
"""Longest campaign a stockpile is sized for: a year of high-intensity war."""
MAX_FORCE_RATIO = 10.0


class UkraineSupport(_Strict):
    """European transfers to Ukraine, drawn from production and stocks each year."""

    multiplier: float = Field(default=1.0, ge=0.0, le=MAX_MULTIPLIER)
    """Scales the data's yearly transfers (ukraine.csv); 0: none."""
    until: Year | None = None
    """The last year of transfers; None: over the whole horizon."""
    by_system: dict[Name, Annotated[float, Field(ge=0.0, le=1e7)]] = Field(
        default_factory=dict, max_length=500
    )
    """Items a year per system, replacing the data's figure for that system."""


def is_requirement_path(name: str) -> bool:
    """A `requirement` that names a CSV file rather than a set."""
    return name.endswith(".csv") or "/" in name or "\\" in name


class Scenario(_Strict):
    name: str = Field(default="default", max_length=200)
    description: str = Field(default="", max_length=5_000)
    horizon: tuple[Year, Year] = (2026, 2035)
    """First and last year; the first must be the data's base year."""
    deadline: Year = 2027
    """The year by which Europe should hold the target share; inside the horizon."""
    target_share: Share = 0.5
    target_share_by_area: dict[Name, Share] = Field(default_factory=dict, max_length=100)
    requirement: Name | None = None
    """The requirement set: `nato-2025` (the data's default), `iiss-2025`, `bruegel-kiel-2025`,
    `ratio-to-russia`, `today` (a comparator), or the path of a requirements CSV (CLI only)."""
    campaign_days: Annotated[int, Field(ge=1, le=MAX_CAMPAIGN_DAYS)] | None = None
    """Days of high-intensity war the munition stocks must last; None: the set's own (30, NATO's
    stockpile norm; 90 for Bruegel/Kiel)."""
    force_ratio: Annotated[float, Field(gt=0.0, le=MAX_FORCE_RATIO)] = 1.0
    """`ratio-to-russia`: the allied force asked for per unit of Russia's projected holdings."""
    force_ratio_by_metric: dict[
        Annotated[str, Field(min_length=1, max_length=130)],
        Annotated[float, Field(gt=0.0, le=MAX_FORCE_RATIO)],
    ] = Field(default_factory=dict, max_length=200)
    ukraine_support: UkraineSupport = UkraineSupport()
    russia_war_ends: Year | None = None
    """The last year of Russia's war against Ukraine: after it Russia's losses stop and its
    output adds to its stock. None: the war goes on at today's rates over the whole horizon."""
    requirement_growth: Growth = 1.0
    """Scales the requirement of any set, e.g. 1.1 for a harsher threat."""
    requirement_growth_by_area: dict[Name, Growth] = Field(default_factory=dict, max_length=100)
    procurement: Literal["national", "pooled"] = "national"
    europe_includes_canada: bool = True
    budget: Budget = Budget()
    us_drawdown: Drawdown = Drawdown()
    coordination_withdrawal: Year | None = 2027
    """The year the US leaves NATO coordination mechanisms; null: it stays."""
    export: Export = Export()
    overrides: list[Override] = Field(default_factory=list, max_length=5_000)
    uncertainty: Uncertainty | None = None
    """Distributions for `risk` and `sensitivity`; each replaces the data's default."""
    _source: tuple[str, Any] | None = PrivateAttr(default=None)
    """The file and YAML node tree it was read from: later checks name the line."""
    _requirement_file: tuple[str, str] | None = PrivateAttr(default=None)
    """(path, text) of a requirements CSV named by `requirement`, read when the scenario file was
    loaded from disk (a scenario sent as text never reads a file)."""

    @property
    def requirement_is_file(self) -> bool:
        return self.requirement is not None and is_requirement_path(self.requirement)

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, horizon: tuple[int, int]) -> tuple[int, int]:
        start, end = horizon
        if not start < end:
            raise ValueError(f"horizon {start}–{end}: the start must come before the end")
        if end - start > MAX_HORIZON_YEARS:
            raise ValueError(
                f"horizon {start}–{end} spans {end - start} years, more than the "
                f"{MAX_HORIZON_YEARS} a run may cover; end it by {start + MAX_HORIZON_YEARS}"
            )
        return horizon

    @field_validator("deadline")
    @classmethod
    def _deadline(cls, deadline: int, info: ValidationInfo) -> int:
        horizon = info.data.get("horizon")
        if horizon is not None and not horizon[0] < deadline <= horizon[1]:
            start, end = horizon
            raise ValueError(
                f"deadline {deadline} is outside the horizon {start}–{end}: "
                f"choose a deadline after {start} and no later than {end}"
            )
        return deadline

    @property
    def years(self) -> list[int]:
        return list(range(self.horizon[0], self.horizon[1] + 1))
