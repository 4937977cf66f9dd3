"""Synthetic worlds for measuring the engines at scale: the data's own world, in more detail.

A scale names how the world grows (`parse_scale` reads these names):

- ``S<N>``: every system cloned N times, each clone with its own lines, greenfield families,
  holdings and figures (systems ×N, lines ×N);
- ``L<N>``: every line cloned N times, and every greenfield family (lines ×N, systems as they are);
- ``H<N>``: the horizon from the base year to the base year + N (the scenario's years, since
  the horizon is a scenario field, not a figure of the data).

Names combine: ``S10H20`` is S10 over a 20-year horizon; ``default`` is the world as it is.

Each clone is 1/N of what it copies, not a full copy. A clone's holdings, its transfers to
Ukraine and the capacities of its lines (today's, the ceiling, the planned and the claimed
capacity, and a greenfield plant's smallest and largest size) are divided by N; everything
given per item, per share or per year of lead time (unit cost, value per unit, service life,
readiness, ramp share, capital cost per unit of capacity, input use, delivery lag) is copied.
So every metric's capability, every requirement (including `today`, which moves with the
holdings), every budget, and every input's supply are those of the data's world: the scaled
world is the same Europe described N times more finely, and the plan can still reach what it
reaches on the data's world. Full copies would multiply capability by N against unchanged
requirements, so every target would be met by today's stocks and the plan would be trivial.

What does change: a fixed cost per distinct variant counts each clone as a variant of its own,
and a scenario that names a system or line by id (an override, Ukraine support per system)
reaches only the first clone, which keeps the original id (clones k ≥ 2 get ``<id>.s<k>`` for
a system clone, ``<id>.l<k>`` for a line clone).

The scaled world is built from scaled data and passes the data's own checks (`check_all`),
as any data folder must.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pydantic import ValidationError

from burdenshift.domain.checks import check_all
from burdenshift.domain.entities import (
    GreenfieldFamily,
    GreenfieldFile,
    Line,
    LinesFile,
    System,
    SystemsFile,
)
from burdenshift.domain.figures import Figure
from burdenshift.domain.reader import RawData
from burdenshift.domain.world import World, build_world
from burdenshift.errors import InputError, from_validation

if TYPE_CHECKING:
    from burdenshift.scenario.schema import Scenario

SPLIT_LINE_FIELDS = frozenset(
    {
        "capacity_per_year",
        "capacity_ceiling_per_year",
        "planned_capacity_per_year",
        "claimed_capacity_per_year",
    }
)
"""lines.csv fields in items per year: a clone of a line gets 1/N of each."""
SPLIT_GREENFIELD_FIELDS = frozenset({"min_capacity_per_year", "max_capacity_per_year"})
"""greenfield.csv fields in items per year: a clone of a family builds plants 1/N the size."""
MAX_FACTOR = 100
"""Largest clone count: S100 of the default world has some 10,000 systems and 15,000 lines."""


@dataclass(frozen=True)
class Scale:
    """How a synthetic world grows: systems ×`systems`, lines ×`lines` (on top of the systems'
    clones), and the horizon to base year + `horizon_years` (None: the scenario's own)."""

    systems: int = 1
    lines: int = 1
    horizon_years: int | None = None

    @property
    def name(self) -> str:
        parts = [f"{tag}{n}" for tag, n in (("S", self.systems), ("L", self.lines)) if n != 1]
        if self.horizon_years is not None:
            parts.append(f"H{self.horizon_years}")
        return "".join(parts) or "default"


BENCHMARK_SCALES: tuple[Scale, ...] = (
    Scale(),
    Scale(systems=2),
    Scale(systems=5),
    Scale(systems=10),
    Scale(systems=20),
    Scale(lines=10),
    Scale(horizon_years=20),
)
"""The worlds of the scaling benchmark: default, S2, S5, S10, S20, L10 and H20."""

_SCALE = re.compile(r"^(?:S(\d+))?(?:L(\d+))?(?:H(\d+))?$")


def parse_scale(name: str) -> Scale:
    """A Scale from its name: `default`, `S10`, `L10`, `H20`, or a combination such as
    `S10H20` (in the order S, L, H)."""
    if name == "default":
        return Scale()
    found = _SCALE.match(name)
    if not name or found is None:
        raise InputError(
            f"unknown scale '{name}'",
            field="scale",
            fix="name a scale as default, S<N>, L<N>, H<N> or a combination such as S10H20",
        )
    s, ln, h = found.groups()
    scale = Scale(int(s or 1), int(ln or 1), int(h) if h else None)
    for what, n in (("S", scale.systems), ("L", scale.lines)):
        if not 1 <= n <= MAX_FACTOR:
            raise InputError(
                f"scale '{name}': {what}{n} is outside 1 to {MAX_FACTOR}",
                field="scale",
                fix=f"clone systems or lines 1 to {MAX_FACTOR} times",
            )
    if scale.horizon_years is not None and scale.horizon_years < 1:
        raise InputError(
            f"scale '{name}': a horizon of {scale.horizon_years} years is empty",
            field="scale",
            fix="give a horizon of at least one year after the base year, e.g. H20",
        )
    return scale


def scaled_world(world: World, systems: int = 1, lines: int = 1) -> World:
    """The world with every system cloned `systems` times (with its lines, greenfield families,
    holdings and figures), then every line and greenfield family cloned `lines` times; each
    clone is 1/N of what it copies (see the module's docstring). Checked as a data folder is;
    a problem raises the first `InputError`. With 1 and 1 it returns `world` itself."""
    for what, n in (("systems", systems), ("lines", lines)):
        if not 1 <= n <= MAX_FACTOR:
            raise InputError(
                f"cannot clone {what} {n} times",
                field=what,
                fix=f"clone {what} 1 to {MAX_FACTOR} times",
            )
    if systems == 1 and lines == 1:
        return world
    raw = world.raw
    if raw is None:
        raise InputError(
            "this World keeps no data to scale",
            field="world",
            fix="scale a World from load_world or applied_world, which keep their data",
        )
    if systems > 1:
        raw = _clone_systems(raw, systems)
    if lines > 1:
        raw = _clone_lines(raw, lines)
    tag = f"S{systems}L{lines}"
    raw = replace(raw, data_hash=hashlib.sha256(f"{raw.data_hash}:{tag}".encode()).hexdigest())
    problems = check_all(raw)
    if problems:
        raise problems[0]
    return build_world(raw)


def scaled_horizon(world: World, years: int) -> tuple[int, int]:
    """The horizon from the world's base year to `years` after it (H<years>)."""
    return (world.base_year, world.base_year + years)


def scaled_scenario(scenario: Scenario, world: World, horizon_years: int | None) -> Scenario:
    """The scenario over the horizon base year to base year + `horizon_years` (None: the
    scenario unchanged), validated as any scenario is; its deadline is kept."""
    if horizon_years is None:
        return scenario
    data = scenario.model_dump()
    data["horizon"] = scaled_horizon(world, horizon_years)
    try:
        return type(scenario).model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, field_prefix="scale") from None


def scaled(world: World, scenario: Scenario, scale: Scale | str) -> tuple[World, Scenario]:
    """The synthetic world and scenario of a scale (a Scale or its name, e.g. `S10`)."""
    s = parse_scale(scale) if isinstance(scale, str) else scale
    return scaled_world(world, s.systems, s.lines), scaled_scenario(
        scenario, world, s.horizon_years
    )


# -- cloning the data ---------------------------------------------------------------------


def _suffix(kind: str, k: int) -> str:
    return "" if k == 1 else f".{kind}{k}"


def _clone_systems(raw: RawData, n: int) -> RawData:
    """Each system as n systems `<id>`, `<id>.s2`, ..., each with clones of its lines and
    families and 1/n of its holdings, Ukraine transfers and line capacities."""
    d = raw.definitions
    systems_f, lines_f = d["systems.yaml"], d["lines.yaml"]
    assert isinstance(systems_f, SystemsFile) and isinstance(lines_f, LinesFile)
    ks = range(1, n + 1)
    new_systems = {
        f"{sid}{_suffix('s', k)}": (
            s if k == 1 else System(name=f"{s.name} (clone {k})", area=s.area, metric=s.metric)
        )
        for sid, s in systems_f.systems.items()
        for k in ks
    }
    new_lines = {
        f"{lid}{_suffix('s', k)}": Line(
            producer=ln.producer, country=ln.country, system=f"{ln.system}{_suffix('s', k)}"
        )
        for lid, ln in lines_f.lines.items()
        for k in ks
    }
    definitions = {
        **d,
        "systems.yaml": SystemsFile(systems=new_systems),
        "lines.yaml": LinesFile(lines=new_lines),
    }
    greenfield = d.get("greenfield.yaml")
    if isinstance(greenfield, GreenfieldFile):
        definitions["greenfield.yaml"] = GreenfieldFile(
            families={
                f"{fid}{_suffix('s', k)}": GreenfieldFamily(
                    name=fam.name, system=f"{fam.system}{_suffix('s', k)}", hosts=fam.hosts
                )
                for fid, fam in greenfield.families.items()
                for k in ks
            }
        )

    def keys(f: Figure) -> list[str] | None:
        """The keys of a figure's clones, or None when it names no system or line."""
        t = f.table
        if t in ("systems.csv", "ukraine.csv", "lines.csv", "greenfield.csv"):
            return [f"{f.key}{_suffix('s', k)}" for k in ks]
        if t == "holdings.csv" or (t == "readiness.csv" and ":" in f.key):
            holder, sid = f.key.split(":")
            return [f"{holder}:{sid}{_suffix('s', k)}" for k in ks]
        if t == "readiness.csv" or (t == "delivery.csv" and ":" not in f.key):
            return [f"{f.key}{_suffix('s', k)}" for k in ks]
        if t == "delivery.csv":
            sid, seller = f.key.split(":")
            return [f"{sid}{_suffix('s', k)}:{seller}" for k in ks]
        return None

    def split(f: Figure) -> bool:
        return (
            f.table in ("holdings.csv", "ukraine.csv")
            or (f.table == "lines.csv" and f.field in SPLIT_LINE_FIELDS)
            or (f.table == "greenfield.csv" and f.field in SPLIT_GREENFIELD_FIELDS)
        )

    return replace(raw, definitions=definitions, figures=_cloned(raw.figures, keys, split, n))


def _clone_lines(raw: RawData, n: int) -> RawData:
    """Each line as n lines `<id>`, `<id>.l2`, ..., each greenfield family as n families, each
    clone with 1/n of the capacities."""
    d = raw.definitions
    lines_f = d["lines.yaml"]
    assert isinstance(lines_f, LinesFile)
    ks = range(1, n + 1)
    definitions = {
        **d,
        "lines.yaml": LinesFile(
            lines={f"{lid}{_suffix('l', k)}": ln for lid, ln in lines_f.lines.items() for k in ks}
        ),
    }
    greenfield = d.get("greenfield.yaml")
    if isinstance(greenfield, GreenfieldFile):
        definitions["greenfield.yaml"] = GreenfieldFile(
            families={
                f"{fid}{_suffix('l', k)}": fam
                for fid, fam in greenfield.families.items()
                for k in ks
            }
        )

    def keys(f: Figure) -> list[str] | None:
        if f.table in ("lines.csv", "greenfield.csv"):
            return [f"{f.key}{_suffix('l', k)}" for k in ks]
        return None

    def split(f: Figure) -> bool:
        return (f.table == "lines.csv" and f.field in SPLIT_LINE_FIELDS) or (
            f.table == "greenfield.csv" and f.field in SPLIT_GREENFIELD_FIELDS
        )

    return replace(raw, definitions=definitions, figures=_cloned(raw.figures, keys, split, n))


def _cloned(
    figures: tuple[Figure, ...],
    keys: Callable[[Figure], list[str] | None],
    split: Callable[[Figure], bool],
    n: int,
) -> tuple[Figure, ...]:
    """Each figure once per clone key (itself where it names no clone), divided by n where
    `split` says so (its range too, so the value stays inside it)."""
    out: list[Figure] = []
    for f in figures:
        clone_keys = keys(f)
        if clone_keys is None:
            out.append(f)
            continue
        if split(f):
            f = replace(
                f,
                value=f.value / n,
                low=None if f.low is None else f.low / n,
                high=None if f.high is None else f.high / n,
            )
        out.extend(replace(f, key=k) for k in clone_keys)
    return tuple(out)


__all__ = [
    "BENCHMARK_SCALES",
    "Scale",
    "parse_scale",
    "scaled",
    "scaled_horizon",
    "scaled_scenario",
    "scaled_world",
]
