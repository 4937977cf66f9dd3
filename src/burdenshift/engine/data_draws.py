"""Data uncertainty: figures drawn within their ranges, as factors `simulate` applies per draw.

Which figures are drawn (each a factor on the array it feeds, per draw):

- `holdings.csv` quantity: Europe's stock of each system (European holders and `EUR` rows
  together, as a ratio of drawn to stated totals), and the US contribution per system;
- `lines.csv` capacity_per_year and capacity_ceiling_per_year: each line's output and ceiling;
- `systems.csv` unit_cost_musd: the price of each system on every line;
- `requirements.csv` quantity of the run's requirement set, and `expenditure.csv` daily_use
  (a munition's requirement is daily use × campaign days): the requirement per metric.

How a figure is drawn depends on its confidence: `low` — triangular over its range with the
stated value as the mode (the estimate is the likeliest value, the range its spread);
`assumption` — uniform over its range (nothing makes one value in it likelier); `medium` —
triangular over value × (1 ± the table's default relative range, `MEDIUM_RELATIVE_RANGE`);
`high` and `definition` — not drawn.

Figures that share a cause move together: one uniform number per group drives every figure in
it (each through its own range), so a group's figures are drawn comonotonically. The groups:
one ally's holdings ("one ally's reporting"), the US contribution ("the US commitment"), each
producer's lines ("one producer's claims"), each area's unit costs, the requirement set's
proxies (they share the public factors behind them), and wartime use rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from burdenshift.domain.figures import MEDIUM_RELATIVE_RANGE, Figure, field_spec
from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.scenario.schema import Scenario

TARGETS = ("stock", "us", "capacity", "ceiling", "price", "requirement")
"""The arrays a drawn figure can feed: (system,) ×2, (line,) ×2, (system,), (metric,)."""
KIND = {
    "stock": "data: European holdings",
    "us": "data: the US contribution",
    "capacity": "data: production lines",
    "ceiling": "data: production lines",
    "price": "data: unit costs",
    "requirement": "data: requirement and use rates",
}
"""The kind of figure a target holds: `sensitivity` reports one index per kind."""


@dataclass(frozen=True)
class Drawn:
    """One drawn figure: where it goes, its stated value and its distribution."""

    figure: Figure
    target: str
    index: int
    """Position in the target array."""
    group: str
    low: float
    mode: float
    high: float
    uniform: bool

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return _ppf(u, self.low, self.mode, self.high, self.uniform)


def _ppf(u: Any, a: Any, c: Any, b: Any, flat: Any) -> np.ndarray:
    """Inverse CDF of uniform (`flat`) or triangular (low a, mode c, high b) ranges; scalars or
    arrays broadcast against the quantiles u."""
    cut = np.where(flat, 0.0, (c - a) / (b - a))
    lower = a + np.sqrt(u * (b - a) * (c - a))
    upper = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
    return np.where(flat, a + (b - a) * u, np.where(u < cut, lower, upper))


@dataclass(frozen=True)
class DataSpace:
    """The drawn figures of a run, their groups, and the size of each target array."""

    figures: tuple[Drawn, ...]
    groups: tuple[str, ...]
    totals: dict[str, np.ndarray]
    """Per target, each entry's stated total over all its figures, drawn or not."""

    @property
    def kinds(self) -> list[str]:
        """Per group, the kind of figure it holds (`KIND`)."""
        first = {}
        for f in self.figures:
            first.setdefault(f.group, KIND[f.target])
        return [first[g] for g in self.groups]

    @property
    def group_index(self) -> np.ndarray:
        where = {g: i for i, g in enumerate(self.groups)}
        return np.array([where[f.group] for f in self.figures], dtype=int)


@dataclass(frozen=True)
class DataDraws:
    """Per draw, the factor on each array (1 where nothing is drawn)."""

    stock: np.ndarray
    """(batch, system) on Europe's stock in the base year."""
    us: np.ndarray
    """(batch, system) on the US contribution."""
    capacity: np.ndarray
    """(batch, line) on today's output."""
    ceiling: np.ndarray
    """(batch, line) on the ceiling."""
    price: np.ndarray
    """(batch, system) on unit prices."""
    requirement: np.ndarray
    """(batch, metric) on the requirement."""


def _range(f: Figure) -> tuple[float, float] | None:
    if f.confidence in ("high", "definition"):
        return None
    if f.low is not None and f.high is not None:
        return f.low, f.high
    if f.confidence == "medium":
        r = MEDIUM_RELATIVE_RANGE.get(f.table, MEDIUM_RELATIVE_RANGE["default"])
        spec = field_spec(f.table, f.field, f.key)
        lo, hi = f.value * (1 - r), f.value * (1 + r)
        if spec is not None:
            lo, hi = max(lo, spec.lower), min(hi, spec.upper)
        return lo, hi
    return None


def _place(world: World, scenario: Scenario, f: Figure) -> tuple[str, int, str] | None:
    """(target, index, group) for a figure the run draws, or None."""
    europe = world.europe_mask(scenario.europe_includes_canada)
    if f.table == "holdings.csv" and f.field == "quantity":
        holder, system = f.key.split(":", 1)
        if system not in world.systems:
            return None
        s = world.systems.index(system)
        if holder == "USA":
            return "us", s, "the US commitment"
        if holder == "EUR" or (holder in world.allies and europe[world.allies.index(holder)]):
            return "stock", s, f"holdings reported for {holder}"
        return None
    if f.table == "lines.csv" and f.field in ("capacity_per_year", "capacity_ceiling_per_year"):
        if f.key not in world.lines:
            return None
        i = world.lines.index(f.key)
        target = "capacity" if f.field == "capacity_per_year" else "ceiling"
        return target, i, f"claims of {world.line_producer[i]}"
    if f.table == "systems.csv" and f.field == "unit_cost_musd" and f.key in world.systems:
        s = world.systems.index(f.key)
        return "price", s, f"unit costs in {world.areas[world.system_area[s]]}"
    if f.table == "requirements.csv" and f.field == "quantity":
        sid, metric = f.key.split(":", 1)
        if sid == counting.requirement_set(world, scenario) and metric in world.metrics:
            m = world.metrics.index(metric)
            if np.isnan(world.daily_use[m]):
                return "requirement", m, f"requirement proxies of {sid}"
        return None
    if f.table == "expenditure.csv" and f.field == "daily_use" and f.key in world.metrics:
        return "requirement", world.metrics.index(f.key), "wartime use rates"
    return None


def data_space(world: World, scenario: Scenario) -> DataSpace:
    """The figures a run draws: those with a range (or a medium default) that feed an array
    `simulate` uses, with a stated value above zero."""
    sizes = {
        "stock": len(world.systems),
        "us": len(world.systems),
        "capacity": len(world.lines),
        "ceiling": len(world.lines),
        "price": len(world.systems),
        "requirement": len(world.metrics),
    }
    totals = {t: np.zeros(n) for t, n in sizes.items()}
    drawn = []
    for f in world.figures:
        place = _place(world, scenario, f)
        if place is None:
            continue
        target, index, group = place
        totals[target][index] += f.value
        spread = _range(f)
        if spread is None or f.value <= 0 or spread[1] - spread[0] <= 0:
            continue
        drawn.append(
            Drawn(
                f, target, index, group, spread[0], f.value, spread[1], f.confidence == "assumption"
            )
        )
    return DataSpace(tuple(drawn), tuple(dict.fromkeys(f.group for f in drawn)), totals)


def factors(ds: DataSpace, values: np.ndarray) -> DataDraws:
    """Factors from drawn values (batch × drawn figures): per target entry, its stated total
    with each drawn figure moved from its stated to its drawn value, over the stated total
    (Europe's stock of a system sums several holders, some not drawn)."""
    n = values.shape[0]
    out: dict[str, np.ndarray] = {}
    for target in TARGETS:
        total = ds.totals[target]
        factor = np.ones((n, total.size))
        cols = [j for j, f in enumerate(ds.figures) if f.target == target]
        if cols:
            index = np.array([ds.figures[j].index for j in cols])
            moved = np.zeros((total.size, n))
            np.add.at(moved, index, (values[:, cols] - stated(ds)[cols]).T)
            hit = np.unique(index)
            factor[:, hit] = 1.0 + moved[hit].T / total[hit]
        out[target] = factor
    return DataDraws(**out)


def stated(ds: DataSpace) -> np.ndarray:
    """(drawn figures,) the stated values: the centre every draw is compared with."""
    return np.array([f.mode for f in ds.figures])


def monte_carlo(ds: DataSpace, u: np.ndarray) -> DataDraws:
    """Factors for uniform points (batch × groups): each figure at its group's quantile."""
    q = u[:, ds.group_index]  # (batch, figure): each figure at its group's quantile
    a, c, b = (np.array([getattr(f, k) for f in ds.figures]) for k in ("low", "mode", "high"))
    flat = np.array([f.uniform for f in ds.figures])
    return factors(ds, _ppf(q, a, c, b, flat))


@dataclass(frozen=True)
class Swing:
    """How far one figure's range moves each area's share at the deadline."""

    drawn: Drawn
    low_share: np.ndarray
    """(area,) coverage at the deadline with the figure at the low end of its range."""
    high_share: np.ndarray

    @property
    def swing(self) -> np.ndarray:
        return np.abs(self.high_share - self.low_share)

    def as_dict(self, areas: tuple[str, ...], area: int | None) -> dict[str, object]:
        f = self.drawn.figure
        a = int(np.argmax(self.swing)) if area is None else area
        return {
            **f.as_dict(),
            "low": self.drawn.low,
            "high": self.drawn.high,
            "drawn_as": "uniform" if self.drawn.uniform else "triangular (mode at the value)",
            "group": self.drawn.group,
            "area": areas[a],
            "swing": round(float(self.swing[a]), 6),
            "share_at_low": round(float(self.low_share[a]), 6),
            "share_at_high": round(float(self.high_share[a]), 6),
        }


def swings(world: World, scenario: Scenario) -> list[Swing]:
    """Each drawn figure at the low and at the high end of its range, every other figure and
    every policy lever as stated: one `simulate` pass over 2 × figures rows (a one-at-a-time
    swing, the tornado of a cost estimate; interactions between figures are left out)."""
    from burdenshift.engine.params import from_scenario
    from burdenshift.engine.simulate import simulate

    ds = data_space(world, scenario)
    n = len(ds.figures)
    if n == 0:
        return []
    values = np.tile(stated(ds), (2 * n, 1))
    for j, f in enumerate(ds.figures):
        values[2 * j, j], values[2 * j + 1, j] = f.low, f.high
    sim = simulate(
        world, scenario, from_scenario(world, scenario).repeat(2 * n), False, factors(ds, values)
    )
    share = sim.europe_share[:, :, scenario.years.index(scenario.deadline)]
    return [Swing(f, share[2 * j], share[2 * j + 1]) for j, f in enumerate(ds.figures)]


WEAKEST_METHOD = (
    "one figure at a time at the low and at the high end of its range, every other figure and "
    "lever as stated; swing = |share at high − share at low| in the deadline year"
)


def weakest(
    world: World,
    scenario: Scenario,
    area: str | None = None,
    top: int = 10,
    found: list[Swing] | None = None,
) -> list[dict[str, object]]:
    """The figures whose range moves an area's share at the deadline most (with `area`, that
    area's; else each figure's largest swing over the areas), largest first. `found`: the
    scenario's `swings`, when already worked out (ranking them again is cheap)."""
    a = None if area is None else world.areas.index(area)
    found = swings(world, scenario) if found is None else found
    key = (lambda s: float(s.swing.max())) if a is None else (lambda s: float(s.swing[a]))
    ranked = sorted(found, key=key, reverse=True)
    names = dict(zip(world.areas, world.area_names, strict=True))
    return [
        {**row, "area_name": names[str(row["area"])]}
        for row in (s.as_dict(world.areas, a) for s in ranked[:top] if key(s) > 0)
    ]


def weakest_payload(
    world: World,
    scenario: Scenario,
    area: str | None = None,
    top: int = 10,
    found: list[Swing] | None = None,
) -> dict[str, object]:
    """`weakest` as the CLI, the page and the report show it."""
    return {
        "area": area,
        "deadline": scenario.deadline,
        "method": WEAKEST_METHOD,
        "figures": weakest(world, scenario, area, top, found),
    }
