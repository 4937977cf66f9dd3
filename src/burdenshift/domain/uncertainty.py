"""Uncertain parameters: distributions declared in YAML, turned into draws by their inverse CDF.

Every distribution maps a uniform number u in [0, 1) to a value (`ppf`), so Monte Carlo (u from a
seeded generator) and Sobol analysis (u from a Sobol sequence) share one transformation.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    why: str = ""
    """The reasoning behind the distribution."""
    source: str = ""
    """The evidence it rests on (URL or document)."""


def _check_bounds(low: float | None, high: float | None) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"bounds reversed: low {low} is above high {high}")


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ok(self) -> Uniform:
        _check_bounds(self.low, self.high)
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ok(self) -> Triangular:
        _check_bounds(self.low, self.high)
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode} lies outside [{self.low}, {self.high}]")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        width = self.high - self.low
        if width == 0:
            return np.full_like(u, self.low, dtype=float)
        c = (self.mode - self.low) / width
        left = self.low + np.sqrt(u * width * (self.mode - self.low))
        right = self.high - np.sqrt((1 - u) * width * (self.high - self.mode))
        return np.where(u < c, left, right)


class _Bounded(_Dist):
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> _Bounded:
        _check_bounds(self.low, self.high)
        return self

    def _truncated(self, u: np.ndarray, frozen: object) -> np.ndarray:
        """Inverse CDF restricted to [low, high]: a truncated, not a clipped, distribution."""
        lo = frozen.cdf(self.low) if self.low is not None else 0.0  # type: ignore[attr-defined]
        hi = frozen.cdf(self.high) if self.high is not None else 1.0  # type: ignore[attr-defined]
        out = frozen.ppf(lo + (hi - lo) * u)  # type: ignore[attr-defined]
        return (
            np.clip(out, self.low, self.high)
            if self.low is not None or self.high is not None
            else out
        )


class Normal(_Bounded):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0.0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.sd == 0:
            return np.full_like(u, self.mean, dtype=float)
        from scipy import stats

        return self._truncated(u, stats.norm(self.mean, self.sd))


class LogNormal(_Bounded):
    dist: Literal["lognormal"]
    median: float = Field(gt=0.0)
    sigma: float = Field(ge=0.0)
    """Standard deviation of the logarithm."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.sigma == 0:
            return np.full_like(u, self.median, dtype=float)
        from scipy import stats

        return self._truncated(u, stats.lognorm(s=self.sigma, scale=self.median))


class Beta(_Dist):
    dist: Literal["beta"]
    a: float = Field(gt=0.0)
    b: float = Field(gt=0.0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ok(self) -> Beta:
        _check_bounds(self.low, self.high)
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy import stats

        return self.low + (self.high - self.low) * stats.beta(self.a, self.b).ppf(u)


class Discrete(_Dist):
    dist: Literal["discrete"]
    values: list[float | str | None] = Field(min_length=1)
    probs: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _ok(self) -> Discrete:
        if len(self.values) != len(self.probs):
            raise ValueError(f"{len(self.values)} values but {len(self.probs)} probabilities")
        if any(p < 0 for p in self.probs):
            raise ValueError("a probability is negative")
        if abs(sum(self.probs) - 1.0) > 1e-9:
            raise ValueError(f"probabilities sum to {sum(self.probs):g}, not 1")
        return self

    def index(self, u: np.ndarray) -> np.ndarray:
        """Which value each u picks."""
        edges = np.cumsum(self.probs)[:-1]
        return np.searchsorted(edges, u, side="right")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        values = np.array([np.nan if v is None else v for v in self.values], dtype=object)
        return values[self.index(u)]


Distribution = Annotated[
    Uniform | Triangular | Normal | LogNormal | Beta | Discrete, Field(discriminator="dist")
]


class BudgetRealisation(BaseModel):
    """Realised share of planned procurement money; `per_ally` draws each ally separately."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    per_ally: bool = True
    distribution: Distribution


class Uncertainty(BaseModel):
    """The uncertain parameters of a run; any left out keep the scenario's value."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    ramp_realisation: Distribution | None = None
    """Share of each line's fastest ramp that is realised."""
    lead_delay_years: Distribution | None = None
    """Extra years before new capacity produces (rounded to whole years)."""
    cost_overrun: Distribution | None = None
    """Factor on unit prices and capital costs."""
    budget_realisation: BudgetRealisation | None = None
    drawdown_path: Distribution | None = None
    """Discrete over 'blunt' and 'phased'."""
    drawdown_start: Distribution | None = None
    """First year of lower US contribution."""
    us_floor_factor: Distribution | None = None
    """Factor on each area's US floor share."""
    licence_level: Distribution | None = None
    """Share of licensable transfers the US approves."""
    coordination_year: Distribution | None = None
    """Year the US leaves coordination mechanisms (null: it stays)."""

    @model_validator(mode="after")
    def _choices(self) -> Uncertainty:
        path = self.drawdown_path
        if path is not None and (
            not isinstance(path, Discrete) or not set(path.values) <= {"blunt", "phased"}
        ):
            raise ValueError("drawdown_path must be discrete over 'blunt' and 'phased'")
        for name in (
            "ramp_realisation",
            "lead_delay_years",
            "cost_overrun",
            "drawdown_start",
            "us_floor_factor",
            "licence_level",
            "coordination_year",
        ):
            d = getattr(self, name)
            if isinstance(d, Discrete) and any(isinstance(v, str) for v in d.values):
                raise ValueError(f"{name} takes numbers, not words")
            if name != "coordination_year" and isinstance(d, Discrete) and None in d.values:
                raise ValueError(f"{name} cannot be null")
        return self

    def merged(self, other: Uncertainty | None) -> Uncertainty:
        """These defaults with `other`'s parameters taking precedence."""
        if other is None:
            return self
        mine = {k: getattr(self, k) for k in type(self).model_fields}
        theirs = {k: getattr(other, k) for k in type(other).model_fields}
        return Uncertainty(
            **{k: theirs[k] if theirs[k] is not None else v for k, v in mine.items()}
        )

    def active(self) -> list[str]:
        return [k for k in type(self).model_fields if getattr(self, k) is not None]
