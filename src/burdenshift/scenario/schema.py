"""The scenario file: a strict schema (unknown keys are errors), with defaults that say why."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from burdenshift.domain.uncertainty import Uncertainty


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Budget(_Strict):
    """Defence spending paths, as % of GDP, per ally and year (linear between points)."""

    path: Literal["latest", "pledge"] = "pledge"
    """`latest`: today's % of GDP held flat; `pledge`: a straight line to the 2035 core pledge."""
    pct_gdp: dict[int, float] = Field(default_factory=dict)
    """Points {year: % of GDP} for every ally, overriding the path from the first point on."""
    by_ally: dict[str, dict[int, float]] = Field(default_factory=dict)
    """Points per ally, overriding both of the above for that ally."""
    multiplier: float = Field(default=1.0, ge=0.0)
    """Scales all procurement money (budget realisation)."""

    @model_validator(mode="after")
    def _pct_in_range(self) -> Budget:
        points = list(self.pct_gdp.values()) + [
            v for pts in self.by_ally.values() for v in pts.values()
        ]
        bad = [v for v in points if not 0.0 <= v <= 20.0]
        if bad:
            raise ValueError(f"defence spending {bad[0]} % of GDP is outside 0–20 %")
        return self


class AreaDrawdown(_Strict):
    start_year: int | None = None
    end_year: int | None = None
    floor_share: float | None = Field(default=None, ge=0.0, le=1.0)


class Drawdown(_Strict):
    """How the US contribution to Europe's defence falls: a step or a straight line to a floor."""

    path: Literal["blunt", "phased", "none"] = "blunt"
    start_year: int | None = None
    """First year of lower US contribution; default the deadline."""
    end_year: int | None = None
    """Phased: the year the floor is reached; default start + 3."""
    by_area: dict[str, AreaDrawdown] = Field(default_factory=dict)


class RouteRule(_Strict):
    """Close deliveries from a line, or all lines of a country, to some allies until a year."""

    line: str | None = None
    from_country: str | None = None
    to: list[str] | Literal["all"] = "all"
    until: int | None = None
    """First year the route opens again; None: closed over the whole horizon."""

    @model_validator(mode="after")
    def _one_origin(self) -> RouteRule:
        if (self.line is None) == (self.from_country is None):
            raise ValueError("give exactly one of 'line' or 'from_country'")
        return self


class Export(_Strict):
    us_licences: Literal["granted", "capped", "refused"] = "granted"
    """Licences for US-controlled content: FMS sales and re-transfers of ITAR-bearing items."""
    licence_cap_share: float = Field(default=0.5, ge=0.0, le=1.0)
    """With `capped`: the share of licensable deliveries approved."""
    closed_routes: list[RouteRule] = Field(default_factory=list)


class Override(_Strict):
    """Replace one figure of the data: table, key and field as in `burdenshift data sources`."""

    table: str
    key: str
    field: str
    value: float


class Scenario(_Strict):
    name: str = "default"
    description: str = ""
    deadline: int = 2027
    horizon: tuple[int, int] = (2026, 2035)
    target_share: float = Field(default=0.5, ge=0.0, le=1.0)
    target_share_by_area: dict[str, float] = Field(default_factory=dict)
    requirement_growth: float = Field(default=1.0, gt=0.0)
    """Scales the requirement (today's NATO total); e.g. 1.3 for the 2025 capability targets."""
    requirement_growth_by_area: dict[str, float] = Field(default_factory=dict)
    procurement: Literal["national", "pooled"] = "national"
    europe_includes_canada: bool = True
    budget: Budget = Budget()
    us_drawdown: Drawdown = Drawdown()
    coordination_withdrawal: int | None = 2027
    """The year the US leaves NATO coordination mechanisms; null: it stays."""
    export: Export = Export()
    overrides: list[Override] = Field(default_factory=list)
    uncertainty: Uncertainty | None = None
    """Distributions for `risk` and `sensitivity`; each replaces the data's default."""

    @model_validator(mode="after")
    def _years(self) -> Scenario:
        start, end = self.horizon
        if not start < end:
            raise ValueError(f"horizon {start}–{end}: the start must come before the end")
        if not start < self.deadline <= end:
            raise ValueError(
                f"deadline {self.deadline} is outside the horizon {start}–{end}: "
                f"choose a deadline after {start} and no later than {end}"
            )
        for area, share in self.target_share_by_area.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"target share {share} for {area} is outside [0, 1]")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.horizon[0], self.horizon[1] + 1))
