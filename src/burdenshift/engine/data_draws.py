"""Data uncertainty: figures drawn within their ranges, as factors `simulate` applies per draw.

Which figures are drawn (each a factor on the array it feeds, per draw):

- `holdings.csv` quantity: Europe's stock of each system (European holders and `EUR` rows
  together, as a ratio of drawn to stated totals), and the US contribution per system;
- `lines.csv` capacity_per_year and capacity_ceiling_per_year: each line's output and ceiling;
- `systems.csv` unit_cost_musd: the price of each system on every line;
- `requirements.csv` quantity of the run's requirement set, and `expenditure.csv` daily_use
  (a munition's requirement is daily use × campaign days): the requirement per metric;
- `readiness.csv` availability: the share of Europe's fleet ready for war (a holder's own
  figure weighs by its share of Europe's holdings of the system; a system's figure covers the
  holders without their own) and of the US contribution;
- `lines.csv` max_ramp_share_per_year and lead_time_years, and `greenfield.csv`
  max_capacity_per_year, max_ramp_share_per_year and lead_time_years (each new plant of the
  family): how fast a line grows and when new capacity arrives (lead times in whole years);
- `systems.csv` service_life_years: how fast a stock retires;
- `systems.csv` value_per_unit: what one item counts for in its metric's unit (a CAMM fire unit
  as 0.8 IRIS-T SLM equivalents), for Europe's and the US's holdings alike; the buying rule
  keeps the stated values;
- `areas.csv` weight and integration_penalty: how an area's metrics are weighed (renormalised
  within the area; the buying rule keeps its stated priorities) and what the US leaving
  coordination costs.

Not drawn: delivery lags (`delivery.csv`, a whole-year shift per line: drawing it per draw
would need a per-draw schedule of arrivals), capital costs, critical inputs and the
allies' money (its uncertainty is the policy draw of budget realisation).

How a figure is drawn depends on its confidence: `low` — triangular over its range with the
stated value as the mode (the estimate is the likeliest value, the range its spread);
`assumption` — uniform over its range (nothing makes one value in it likelier); `medium` —
triangular over value × (1 ± the table's default relative range, `MEDIUM_RELATIVE_RANGE`);
`high` and `definition` — not drawn.

Figures that share a cause move together: one uniform number per group drives every figure in
it (each through its own range), so a group's figures are drawn comonotonically. The groups:
one ally's holdings ("one ally's reporting"), the US contribution ("the US commitment"), each
producer's lines ("one producer's claims"), each area's unit costs, the requirement set's
proxies (they share the public factors behind them), wartime use rates and the coordination
penalties. Each metric's weight within its area is drawn on its own: drawn together, the
weights of an area would cancel when they are renormalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from burdenshift.domain.figures import Figure
from burdenshift.domain.world import GREENFIELD_PREFIX, World
from burdenshift.engine import counting
from burdenshift.scenario.schema import Scenario

TARGETS = (
    "stock",
    "us",
    "capacity",
    "ceiling",
    "price",
    "requirement",
    "availability",
    "us_availability",
    "ramp",
    "lead",
    "life",
    "value",
    "weight",
    "penalty",
)
"""The arrays a drawn figure can feed (their sizes in `data_space`)."""
KIND = {
    "stock": "data: European holdings",
    "us": "data: the US contribution",
    "capacity": "data: production lines",
    "ceiling": "data: production lines",
    "price": "data: unit costs",
    "requirement": "data: requirement and use rates",
    "availability": "data: readiness",
    "us_availability": "data: readiness",
    "ramp": "data: production lines",
    "lead": "data: production lines",
    "life": "data: service lives",
    "value": "data: capability per item",
    "weight": "data: area weights and coordination",
    "penalty": "data: area weights and coordination",
}
"""The kind of figure a target holds: `sensitivity` reports one index per kind."""


@dataclass(frozen=True)
class Place:
    """Where a figure feeds an array: the entry, and the weight its value carries there (1 for
    a count; a holder's share of Europe's holdings for its availability)."""

    target: str
    index: int
    weight: float = 1.0


@dataclass(frozen=True)
class Drawn:
    """One drawn figure: where it goes, its stated value and its distribution."""

    figure: Figure
    places: tuple[Place, ...]
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
            first.setdefault(f.group, KIND[f.places[0].target])
        return [first[g] for g in self.groups]

    @cached_property
    def group_index(self) -> np.ndarray:
        where = {g: i for i, g in enumerate(self.groups)}
        return np.array([where[f.group] for f in self.figures], dtype=int)

    @cached_property
    def bounds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(drawn figures,) low, stated, high, and whether each is drawn uniformly."""
        low, mode, high = (
            np.array([getattr(f, k) for f in self.figures]) for k in ("low", "mode", "high")
        )
        return low, mode, high, np.array([f.uniform for f in self.figures], dtype=bool)

    @cached_property
    def feeds(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, slice]]:
        """Where each figure's change goes, as one factor row of every target side by side:
        figure j moves the columns `col[ptr[j]:ptr[j+1]]` by `weight`, the share of each
        entry's stated total it holds; `span` gives each target's columns."""
        span, offset = {}, 0
        for target in TARGETS:
            span[target] = slice(offset, offset + self.totals[target].size)
            offset += self.totals[target].size
        rows = [
            (j, span[p.target].start + p.index, p.weight / self.totals[p.target][p.index])
            for j, f in enumerate(self.figures)
            for p in f.places
        ]
        fig = np.array([r[0] for r in rows], dtype=np.int64)
        ptr = np.searchsorted(fig, np.arange(len(self.figures) + 1)).astype(np.int64)
        col = np.array([r[1] for r in rows], dtype=np.int64)
        weight = np.array([r[2] for r in rows], dtype=float)
        return ptr, col, weight, span

    def factor_rows(self, n: int) -> np.ndarray:
        """Room for n factor rows (every target's columns side by side), for the kernels."""
        return np.empty((n, self.feeds[3][TARGETS[-1]].stop))

    def draws(self, rows: np.ndarray) -> DataDraws:
        """DataDraws over the factor rows (batch × every target's columns)."""
        span = self.feeds[3]
        return DataDraws(**{t: rows[:, span[t]] for t in TARGETS})


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
    availability: np.ndarray
    """(batch, system) on the availability of Europe's fleet."""
    us_availability: np.ndarray
    """(batch, system) on the availability of the US contribution."""
    ramp: np.ndarray
    """(batch, line) on the yearly ramp share."""
    lead: np.ndarray
    """(batch, line) on the lead time (rounded to whole years where it is applied)."""
    life: np.ndarray
    """(batch, system) on the service life."""
    value: np.ndarray
    """(batch, system) on the capability per item (a system's equivalence in its metric's
    unit), for what Europe and the US hold; the buying rule keeps the stated values."""
    weight: np.ndarray
    """(batch, metric) on a metric's weight within its area."""
    penalty: np.ndarray
    """(batch, area) on the coordination penalty."""

    def rows(self, start: int, stop: int) -> DataDraws:
        """The draws start…stop − 1 of the batch."""
        return DataDraws(**{t: getattr(self, t)[start:stop] for t in TARGETS})


def _place(
    world: World, scenario: Scenario, f: Figure, own: frozenset[str]
) -> tuple[tuple[Place, ...], str]:
    """Where a figure feeds the run's arrays, and its group; no places if the run ignores it.
    `own`: the holder:system keys with an availability of their own."""
    europe = world.europe_mask(scenario.europe_includes_canada)
    none: tuple[tuple[Place, ...], str] = ((), "")
    key, field = f.key, f.field
    if f.table == "holdings.csv" and field == "quantity":
        holder, system = key.split(":", 1)
        if system not in world.systems:
            return none
        s = world.systems.index(system)
        if holder == "USA":
            return (Place("us", s),), "the US commitment"
        if holder == "EUR" or (holder in world.allies and europe[world.allies.index(holder)]):
            return (Place("stock", s),), f"holdings reported for {holder}"
        return none
    if f.table == "lines.csv" and key in world.lines:
        i = world.lines.index(key)
        target = LINE_FIELDS.get(field)
        return ((Place(target, i),), f"claims of {world.line_producer[i]}") if target else none
    if f.table == "greenfield.csv" and field in GREENFIELD_FIELDS:
        head = f"{GREENFIELD_PREFIX}{key}-"
        lines = [
            i
            for i, ln in enumerate(world.lines)
            if ln.startswith(head) and ln[len(head) :] in world.allies
        ]
        places = tuple(Place(GREENFIELD_FIELDS[field], i) for i in lines)
        return places, f"new plants of {key}"
    if f.table == "systems.csv" and key in world.systems and field in SYSTEM_FIELDS:
        s = world.systems.index(key)
        target, group = SYSTEM_FIELDS[field]
        return (Place(target, s),), f"{group} in {world.areas[world.system_area[s]]}"
    if f.table == "readiness.csv" and field == "availability":
        return _availability(world, europe, key, own)
    if f.table == "areas.csv" and field in ("weight", "integration_penalty"):
        if field == "weight" and key in world.metrics:
            # each weight is its own judgement: one draw for all would cancel in the
            # renormalisation within the area
            return (Place("weight", world.metrics.index(key)),), f"weight of {key}"
        if field == "integration_penalty" and key in world.areas:
            return (Place("penalty", world.areas.index(key)),), "coordination penalties"
        return none
    if f.table == "requirements.csv" and field == "quantity":
        sid, metric = key.split(":", 1)
        if sid == counting.requirement_set(world, scenario) and metric in world.metrics:
            m = world.metrics.index(metric)
            if np.isnan(world.daily_use[m]):
                return (Place("requirement", m),), f"requirement proxies of {sid}"
        return none
    if f.table == "expenditure.csv" and field == "daily_use" and key in world.metrics:
        return (Place("requirement", world.metrics.index(key)),), "wartime use rates"
    return none


LINE_FIELDS = {
    "capacity_per_year": "capacity",
    "capacity_ceiling_per_year": "ceiling",
    "max_ramp_share_per_year": "ramp",
    "lead_time_years": "lead",
}
SYSTEM_FIELDS = {
    "unit_cost_musd": ("price", "unit costs"),
    "service_life_years": ("life", "service lives"),
    "value_per_unit": ("value", "capability per item"),
}
GREENFIELD_FIELDS = {
    "max_capacity_per_year": "ceiling",
    "max_ramp_share_per_year": "ramp",
    "lead_time_years": "lead",
}


def _availability(
    world: World, europe: np.ndarray, key: str, own_keys: frozenset[str]
) -> tuple[tuple[Place, ...], str]:
    """A holder's availability weighs by its share of Europe's holdings of the system; a
    system's own figure covers every holder without one (and the US unless it has its own)."""
    holder, _, system = key.rpartition(":")
    if system not in world.systems:
        return (), ""
    s = world.systems.index(system)
    own = {a for a in (*world.allies, "USA") if f"{a}:{system}" in own_keys}
    held = world.holdings[:, s] * europe
    total = held.sum()
    places = []
    group = f"readiness of {world.areas[world.system_area[s]]}"
    if holder:
        if holder == "USA":
            return (Place("us_availability", s),), group
        if holder in world.allies and total > 0:
            share = held[world.allies.index(holder)] / total
            if share > 0:
                places.append(Place("availability", s, float(share)))
    else:
        covered = sum(held[i] for i, a in enumerate(world.allies) if a not in own)
        if total > 0 and covered > 0:
            places.append(Place("availability", s, float(covered / total)))
        if "USA" not in own:
            places.append(Place("us_availability", s))
    return tuple(places), group


def data_space(world: World, scenario: Scenario) -> DataSpace:
    """The figures a run draws: those with a range (or a medium default) that feed an array
    `simulate` uses, with a stated value above zero."""
    n_sys, n_line, n_metric = len(world.systems), len(world.lines), len(world.metrics)
    sizes = {
        **dict.fromkeys(
            ("stock", "us", "price", "availability", "us_availability", "life", "value"), n_sys
        ),
        **dict.fromkeys(("capacity", "ceiling", "ramp", "lead"), n_line),
        **dict.fromkeys(("requirement", "weight"), n_metric),
        "penalty": len(world.areas),
    }
    totals = {t: np.zeros(n) for t, n in sizes.items()}
    drawn = []
    own = frozenset(
        f.key for f in world.figures if f.table == "readiness.csv" and f.field == "availability"
    )
    for f in world.figures:
        places, group = _place(world, scenario, f, own)
        for p in places:
            totals[p.target][p.index] += p.weight * f.value
        spread = None if f.confidence in ("high", "definition") else f.plausible_range()
        if not places or spread is None or f.value <= 0 or spread[1] - spread[0] <= 0:
            continue
        drawn.append(
            Drawn(f, places, group, spread[0], f.value, spread[1], f.confidence == "assumption")
        )
    return DataSpace(tuple(drawn), tuple(dict.fromkeys(f.group for f in drawn)), totals)


def factors(ds: DataSpace, values: np.ndarray) -> DataDraws:
    """Factors from drawn values (batch × drawn figures): per target entry, its stated total
    with each drawn figure moved from its stated to its drawn value, over the stated total
    (Europe's stock of a system sums several holders, some not drawn)."""
    from burdenshift.engine import data_kernel

    ptr, col, weight, _ = ds.feeds
    out = ds.factor_rows(values.shape[0])
    values = np.require(values, float, ["C"])
    data_kernel.from_values(values, stated(ds), ptr, col, weight, out)
    return ds.draws(out)


def stated(ds: DataSpace) -> np.ndarray:
    """(drawn figures,) the stated values: the centre every draw is compared with."""
    return ds.bounds[1]


def monte_carlo(ds: DataSpace, u: np.ndarray) -> DataDraws:
    """Factors for uniform points (batch × groups): each figure at its group's quantile, from
    the inverse CDF of its range (`_ppf`)."""
    from burdenshift.engine import data_kernel

    ptr, col, weight, _ = ds.feeds
    out = ds.factor_rows(u.shape[0])
    a, c, b, flat = ds.bounds
    ranges = (a, c, b, (c - a) / (b - a), (b - a) * (c - a), (b - a) * (b - c))
    u = np.require(u, float, ["C"])
    data_kernel.from_quantiles(u, ds.group_index, ranges, flat, ptr, col, weight, out)
    return ds.draws(out)


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
