"""Uncertain parameters: distributions declared in YAML, turned into draws by their inverse CDF.

Every distribution maps a uniform number u in [0, 1) to a value (`ppf`), so Monte Carlo (u from a
seeded generator) and Sobol analysis (u from a Sobol sequence) share one transformation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from burdenshift.domain.source_policy import FIX, breach

_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
"""Strict, and no float anywhere may be NaN or infinite."""

MAX_SPREAD = 1e6
"""Largest sd, sigma or beta shape: far wider than any domain below, and finite."""


class _Dist(BaseModel):
    model_config = _CONFIG
    why: str = ""
    """The reasoning behind the distribution."""
    source: str = ""
    """The evidence it rests on (URL or document)."""

    @field_validator("source")
    @classmethod
    def _citable(cls, source: str) -> str:
        banned = breach(source)
        if banned is not None:
            raise ValueError(f"the source cites {banned[0]} ('{banned[1]}'): {FIX}")
        return source


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

    def _truncated(
        self, u: np.ndarray, cdf: Callable[[float], float], ppf: Callable[[Any], Any]
    ) -> np.ndarray:
        """Inverse CDF restricted to [low, high]: a truncated, not a clipped, distribution."""
        lo = cdf(self.low) if self.low is not None else 0.0
        hi = cdf(self.high) if self.high is not None else 1.0
        out = np.asarray(ppf(lo + (hi - lo) * u), dtype=float)
        return (
            np.clip(out, self.low, self.high)
            if self.low is not None or self.high is not None
            else out
        )


class Normal(_Bounded):
    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0.0, le=MAX_SPREAD)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.sd == 0:
            return np.full_like(u, self.mean, dtype=float)
        # scipy.special, not scipy.stats: the same functions, without a second of imports
        from scipy.special import ndtr, ndtri

        mean, sd = self.mean, self.sd
        return self._truncated(u, lambda x: ndtr((x - mean) / sd), lambda q: mean + sd * ndtri(q))


class LogNormal(_Bounded):
    dist: Literal["lognormal"]
    median: float = Field(gt=0.0)
    sigma: float = Field(ge=0.0, le=MAX_SPREAD)
    """Standard deviation of the logarithm."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.sigma == 0:
            return np.full_like(u, self.median, dtype=float)
        from scipy.special import ndtr, ndtri

        median, sigma = self.median, self.sigma

        def cdf(x: float) -> float:
            return float(ndtr(np.log(x / median) / sigma)) if x > 0 else 0.0

        return self._truncated(u, cdf, lambda q: median * np.exp(sigma * ndtri(q)))


class Beta(_Dist):
    dist: Literal["beta"]
    a: float = Field(gt=0.0, le=MAX_SPREAD)
    b: float = Field(gt=0.0, le=MAX_SPREAD)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ok(self) -> Beta:
        _check_bounds(self.low, self.high)
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import betaincinv

        return self.low + (self.high - self.low) * betaincinv(self.a, self.b, u)


class Discrete(_Dist):
    dist: Literal["discrete"]
    values: list[float | str | None] = Field(min_length=1, max_length=1000)
    probs: list[Annotated[float, Field(ge=0.0, le=1.0)]] = Field(min_length=1, max_length=1000)

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


@dataclass(frozen=True)
class Domain:
    """The values an uncertain parameter may take: every value its distribution can draw must
    lie in [low, high] (a whole number for years and delays)."""

    low: float
    high: float
    integer: bool
    meaning: str


YEAR_MIN, YEAR_MAX = 2000, 2100
"""Years, as in the scenario schema (scenario/schema.py)."""

DOMAINS: dict[str, Domain] = {
    # the fastest ramp is the most a line can do: a realised share of it cannot exceed 1
    "ramp_realisation": Domain(0.0, 1.0, False, "a share of each line's fastest ramp"),
    # a lead time is at most 30 years in lines.csv; a further 30 is beyond any horizon
    "lead_delay_years": Domain(0.0, 30.0, True, "extra years of lead time"),
    # from a 90 % saving to ten times the price: beyond any recorded overrun, and positive
    "cost_overrun": Domain(0.1, 10.0, False, "a factor on unit prices and capital costs"),
    # planned money realised from none to twice over (a supplementary budget doubling the plan)
    "budget_realisation": Domain(0.0, 2.0, False, "a share of planned procurement money"),
    "drawdown_start": Domain(YEAR_MIN, YEAR_MAX, True, "a year"),
    # the product with a floor share is clipped to 1: ten times covers any floor above 0.1
    "us_floor_factor": Domain(0.0, 10.0, False, "a factor on each area's US floor share"),
    "licence_level": Domain(0.0, 1.0, False, "a share of licensable transfers"),
    "coordination_year": Domain(YEAR_MIN, YEAR_MAX, True, "a year, or null"),
}


def _num(x: float) -> str:
    return f"{x:g}"


def _support(d: Any) -> tuple[float, float] | str:
    """The smallest and largest value a distribution can draw, or why it has no bounded one."""
    if isinstance(d, Uniform | Triangular | Beta):
        return d.low, d.high
    if isinstance(d, Normal):
        if d.sd == 0:
            return d.mean, d.mean
        if d.low is None or d.high is None:
            return "an untruncated normal can draw any number; give it low and high"
        return d.low, d.high
    if isinstance(d, LogNormal):
        if d.sigma == 0:
            return d.median, d.median
        if d.high is None:
            return "an untruncated lognormal can draw any large number; give it a high bound"
        return max(d.low or 0.0, 0.0), d.high  # a lognormal is never below 0
    numbers = [float(v) for v in d.values if isinstance(v, float | int)]
    return (min(numbers), max(numbers)) if numbers else (0.0, 0.0)


def check_domain(name: str, d: Any) -> None:
    """Refuse a distribution that can draw a value outside the parameter's domain."""
    dom = DOMAINS[name]
    where = f"[{_num(dom.low)}, {_num(dom.high)}]"
    support = _support(d)
    if isinstance(support, str):
        raise ValueError(
            f"{name} ({dom.meaning}) must lie in {where}, but {support} inside {where}"
        )
    lo, hi = support
    if lo < dom.low or hi > dom.high:
        if isinstance(d, Discrete):
            bad = next(
                v for v in d.values if isinstance(v, float | int) and not dom.low <= v <= dom.high
            )
            got, fix = f"has the value {_num(bad)}", f"give values inside {where}"
        else:
            got = f"reaches {_num(lo)} to {_num(hi)}"
            fix = f"give low and high inside {where}"
        raise ValueError(
            f"{name} ({dom.meaning}) must lie in {where}, but this {d.dist} distribution "
            f"{got}; {fix}"
        )
    if dom.integer and isinstance(d, Discrete):
        frac = [v for v in d.values if isinstance(v, float | int) and not float(v).is_integer()]
        if frac:
            raise ValueError(f"{name} takes whole numbers ({dom.meaning}), not {_num(frac[0])}")


class BudgetRealisation(BaseModel):
    """Realised share of planned procurement money; `per_ally` draws each ally separately."""

    model_config = _CONFIG
    per_ally: bool = True
    correlation: float = Field(default=0.5, ge=0.0, le=1.0)
    """With `per_ally`: the correlation between any two allies' draws (a shared fiscal shock
    — a recession, interest rates — beside each ally's own politics), through a Gaussian copula:
    0 independent, 1 one draw for all."""
    distribution: Distribution


class Uncertainty(BaseModel):
    """The uncertain parameters of a run; any left out keep the scenario's value."""

    model_config = _CONFIG
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

    @field_validator(
        "ramp_realisation",
        "lead_delay_years",
        "cost_overrun",
        "drawdown_start",
        "us_floor_factor",
        "licence_level",
        "coordination_year",
        "budget_realisation",
    )
    @classmethod
    def _in_domain(cls, value: Any, info: Any) -> Any:
        """Each parameter's distribution draws only values of its domain (DOMAINS)."""
        d = value.distribution if isinstance(value, BudgetRealisation) else value
        if d is None:
            return value
        name = info.field_name
        if isinstance(d, Discrete) and any(isinstance(v, str) for v in d.values):
            raise ValueError(f"{name} takes numbers, not words")
        if name != "coordination_year" and isinstance(d, Discrete) and None in d.values:
            raise ValueError(f"{name} cannot be null")
        check_domain(name, d)
        return value

    @model_validator(mode="after")
    def _choices(self) -> Uncertainty:
        path = self.drawdown_path
        if path is not None and (
            not isinstance(path, Discrete) or not set(path.values) <= {"blunt", "phased"}
        ):
            raise ValueError("drawdown_path must be discrete over 'blunt' and 'phased'")
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
