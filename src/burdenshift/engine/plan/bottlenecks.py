"""Binding constraints ranked by their dual values, each explained in a sentence with its unit.

Duals come from the shortfall stage (binaries fixed), so each says how much the weighted
shortfall — requirement-shares missing, summed over areas and years — falls when the constraint
is relaxed by one unit. A row is ranked by its first-order impact: |dual| × 10 % of its size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import linopy
import numpy as np
import xarray as xr

from burdenshift.engine.plan.prepared import PlanData

BINDING = 1e-9


@dataclass(frozen=True)
class Bottleneck:
    constraint: str
    where: str
    dual: float
    unit: str
    explanation: str
    years: tuple[int, ...]
    impact: float
    """Shortfall reduction from relaxing the constraint by 10 % in its binding years."""

    def as_dict(self) -> dict[str, object]:
        return {
            "constraint": self.constraint,
            "where": self.where,
            "dual": self.dual,
            "unit": self.unit,
            "explanation": self.explanation,
            "years": list(self.years),
            "impact": self.impact,
        }


def no_producer(d: PlanData, shortfall_by_area: xr.DataArray | None) -> list[Bottleneck]:
    """Areas short of their target that no line reachable by Europe can supply at all."""
    if shortfall_by_area is None:
        return []
    reachable = (d.route.max(["ally", "year"]) > 0) & (d.ceiling * d.europe_share > 0)
    made = d.system.isin(d.makes.values[reachable.values])
    systems = xr.DataArray(made.astype(float), coords=[d.system])
    supplied = ((d.value > 0).astype(float) * systems).sum("system") @ d.weight  # (area,)
    out = []
    for a in d.area:
        short = float(shortfall_by_area.sel(area=a))
        if short > 1e-6 and float(supplied.sel(area=a)) < 1e-9:
            out.append(
                Bottleneck(
                    "no-producer",
                    str(a),
                    0.0,
                    "",
                    f"No line Europe may buy from makes any {a} system: the area's shortfall "
                    f"({short:.3g} requirement-share-years) cannot be bought down.",
                    tuple(int(y) for y in d.years),
                    short,
                )
            )
    return out


def _span(years: list[int]) -> str:
    years = sorted(years)
    return f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"


def find(m: linopy.Model, d: PlanData, names: dict[str, str], top: int = 15) -> list[Bottleneck]:
    """`names` maps line ids to 'system from producer (country; area)' for the sentences."""
    groups: dict[tuple[str, str], list[tuple[int | None, float, float]]] = defaultdict(list)
    for family in (
        "line-capacity",
        "line-ceiling",
        "line-ramp",
        "input-supply",
        "budget",
        "budget-pooled",
        "export-licence",
    ):
        if family not in m.constraints:
            continue
        con = m.constraints[family]
        dual = con.dual
        size = _size(con)
        df = dual.to_dataframe(name="dual").join(size.to_dataframe(name="size")).reset_index()
        df = df[np.abs(df["dual"]) > BINDING]
        for row in df.itertuples(index=False):
            rec = row._asdict()
            year = rec.get("year", rec.get("order_year"))
            entity = (
                ":".join(
                    str(rec[k]) for k in ("line", "ally", "input") if k in rec and k in con.dims
                )
                or "Europe"
            )
            impact = abs(rec["dual"]) * 0.1 * max(abs(rec["size"]), 1.0)
            groups[family, entity].append(
                (int(year) if year is not None else None, float(rec["dual"]), impact)
            )
    out = []
    for (family, entity), rows in groups.items():
        years = [y for y, _, _ in rows if y is not None]
        y_best, dual, _ = max(rows, key=lambda r: r[2])
        impact = sum(r[2] for r in rows)
        unit, text = _explain(family, entity, y_best, dual, years, d, names)
        out.append(Bottleneck(family, entity, dual, unit, text, tuple(sorted(years)), impact))
    out.sort(key=lambda b: -b.impact)
    return out[:top]


def _size(con: linopy.constraints.Constraint) -> object:
    """The scale of a row for ranking: its right-hand side, or its activity if larger."""
    rhs = np.abs(con.rhs)
    try:
        activity = np.abs(con.lhs.solution)
    except Exception:
        return rhs
    return np.maximum(rhs, activity.fillna(0))


def _explain(
    family: str,
    entity: str,
    year: int | None,
    dual: float,
    years: list[int],
    d: PlanData,
    names: dict[str, str],
) -> tuple[str, str]:
    gain = f"lowers the shortfall by {abs(dual):.3g} requirement-share-years"
    when = f" (binding {_span(years)})" if years else ""
    if family == "line-capacity":
        return (
            "per item delivered",
            f"One more {names.get(entity, entity)} in {year} {gain}{when}.",
        )
    if family == "line-ramp":
        return (
            "per item/year of capacity ordered",
            f"Faster expansion of line {entity}: one more item a year of new capacity for "
            f"{names.get(entity, entity)} paid in {year} {gain}{when}.",
        )
    if family == "line-ceiling":
        return (
            "per item/year of ceiling",
            f"Raising the ceiling of line {entity} ({names.get(entity, entity)}) by one item a "
            f"year {gain}.",
        )
    if family == "input-supply":
        return (
            "per unit of input",
            f"One more unit of {entity} supply in {year} {gain}{when}.",
        )
    if family in ("budget", "budget-pooled"):
        who = "Europe's pooled budget" if family == "budget-pooled" else f"{entity}'s budget"
        return ("per USD m", f"One more USD m in {who} in {year} {gain}{when}.")
    line, ally = ([*entity.split(":"), ""])[:2]
    return (
        "per item licensed",
        f"Licences for US-controlled content bind {_span(years)}: one more item of {line} "
        f"licensed for {ally} in {year} {gain}.",
    )
