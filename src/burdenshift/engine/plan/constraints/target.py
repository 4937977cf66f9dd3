"""Coverage and the soft target.

    cover[m, t] · requirement[m] ≤ Σ_s value[s, m] · stock[s, t],      0 ≤ cover ≤ 1
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

from burdenshift.engine.plan.prepared import PlanData


def covered(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(area, year) coverage after the integration penalty."""
    cover = m.variables["cover"]
    area = (cover * d.weight).sum("metric")
    c2 = (cover * d.c2_weight).sum("metric")
    joint = d.c2_base * area + d.area_base * c2 - d.area_base * d.c2_base
    return (area * (1.0 - d.penalty) + d.penalty * joint).simplify()


def add(m: linopy.Model, d: PlanData) -> None:
    capability = (m.variables["stock"] * d.value).sum("system").simplify()
    m.add_constraints(
        m.variables["cover"] * d.requirement <= capability,
        name="coverage",
        mask=d.requirement > 0,
    )
    m.add_constraints(covered(m, d) + m.variables["shortfall"] >= d.target, name="target")
