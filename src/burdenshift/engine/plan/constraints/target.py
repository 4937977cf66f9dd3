"""Coverage and the soft target.

    cover[m, t] · requirement[m, t] ≤ Σ_s value[s, m] · ready[s, t] · stock[s, t],  0 ≤ cover ≤ 1
    area[a, t] = Σ_m weight[m, a] · cover[m, t]
    area · (1 − p) + p · (C2₀ · area + area₀ · C2 − area₀ · C2₀) + shortfall[a, t] ≥ target[a]

After the US leaves coordination mechanisms (p = the area's penalty, else 0), `simulate` counts
an area at area · (1 − p · (1 − C2)) = area · (1 − p) + p · area · C2. The product is not linear;
it is replaced by its tangent at the baseline without new deliveries (area₀, C2₀), a lower bound
because the plan's coverage never falls below that baseline. It is exact while C2 stays at its
baseline (no line builds headquarters), so the plan never credits more than `simulate` would.
"""

from __future__ import annotations

import linopy
import numpy as np
import xarray as xr

from burdenshift.engine.counting import coverage
from burdenshift.engine.plan.prepared import PlanData, group_sum


def covered(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(area, year) coverage after the integration penalty."""
    cover = m.variables["cover"]
    weighted = cover * d.metric_weight
    area = weighted.groupby(d.metric_area.rename("area")).sum().reindex(area=d.area).fillna(0)
    c2 = (cover * d.c2_weight).sum("metric")
    joint = d.c2_base * area + d.area_base * c2 - d.area_base * d.c2_base
    return (area * (1.0 - d.penalty) + d.penalty * joint).simplify()


def achieved(m: linopy.Model, d: PlanData) -> xr.DataArray:
    """(area, year) coverage the solved plan's stocks give, counted as `simulate` counts it.

    The `cover` variables are only bounded by the stocks, so a solver may leave them at the
    target; benchmarks must report what the stocks give, with the exact integration penalty.
    """
    return achieved_from(m.variables["stock"].solution, d)


def achieved_from(stock: xr.DataArray, d: PlanData) -> xr.DataArray:
    """(area, year) coverage of (system, year) stocks, with the exact integration penalty."""
    capability = group_sum(stock * d.ready * d.per_item, d.counts_toward, d.metric)
    per_metric = xr.apply_ufunc(coverage, capability, d.requirement)
    area = group_sum(per_metric * d.metric_weight, d.metric_area, d.area)
    c2 = (per_metric * d.c2_weight).sum("metric")
    return area * (1.0 - d.penalty * np.maximum(0.0, 1.0 - c2))


def add(m: linopy.Model, d: PlanData) -> None:
    credit = m.variables["stock"] * (d.ready * d.per_item)  # (system, year)
    by_metric = credit.groupby(d.counts_toward.rename("metric")).sum()
    capability = by_metric.reindex(metric=d.metric).fillna(0)
    m.add_constraints(
        m.variables["cover"] * d.requirement <= capability,
        name="coverage",
        mask=d.requirement > 0,
    )
    m.add_constraints(covered(m, d) + m.variables["shortfall"] >= d.target, name="target")
