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
from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.prepared import PlanData, group_sum


def covered(m: linopy.Model, d: PlanData) -> tuple[rows.Block, np.ndarray]:
    """(area, year) coverage after the integration penalty: its terms and its constant."""
    cover = rows.labels(m, "cover", "metric", "year")
    areas = d.area.get_indexer(np.asarray(d.metric_area.values, dtype=object))
    area = rows.grouped(rows.term(cover, d.metric_weight.values[:, None]), areas, len(d.area))
    c2 = rows.total(rows.term(cover, d.c2_weight.values[:, None]), 0)  # (year,): metrics
    penalty = d.penalty.transpose("area", "year").values
    c2_base = d.c2_base.values
    area_base = d.area_base.transpose("area", "year").values
    # c2_base · area + area_base · c2 − area_base · c2_base, then the penalty's mix
    c2 = c2[0][None], c2[1][None]  # (1, year): the same terms in every area
    joint = rows.joined(rows.scaled(area, c2_base), rows.scaled(c2, area_base))
    joint_const = (c2_base * 0.0 + area_base * 0.0) - area_base * c2_base
    mixed = rows.joined(rows.scaled(area, 1.0 - penalty), rows.scaled(joint, penalty))
    const = 0.0 * (1.0 - penalty) + penalty * joint_const
    return rows.simplified(mixed), const


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
    stock = rows.labels(m, "stock", "system", "year")
    credit = rows.term(stock, (d.ready * d.per_item).transpose("system", "year").values)
    metrics = d.metric.get_indexer(np.asarray(d.counts_toward.values, dtype=object))
    capability = rows.grouped(credit, metrics, len(d.metric))  # (metric, year)
    requirement = d.requirement.transpose("metric", "year").values
    cover = rows.labels(m, "cover", "metric", "year")
    rows.add(
        m,
        "coverage",
        [d.metric, d.years],
        rows.joined(rows.term(cover, requirement), rows.negated(capability)),
        "<=",
        rows.moved(0.0, 0.0),
        mask=requirement > 0,
    )
    area, const = covered(m, d)
    shortfall = rows.labels(m, "shortfall", "area", "year")
    rhs = rows.moved(const + 0.0, d.target.transpose("area", "year").values)
    lhs = rows.joined(area, rows.term(shortfall))
    rows.add(m, "target", [d.area, d.years], lhs, ">=", rhs)
