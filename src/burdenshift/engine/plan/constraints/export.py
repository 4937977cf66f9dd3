"""Export control.

Closed routes and refused licences remove the deliveries variable (its mask). Where licences
for US-controlled content are capped, the deliveries on a licensable route are limited:

    deliveries[l, a, t] ≤ route[l, a, t] · europe_share[l] · capacity[l, t]     (0 < route < 1)
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.constraints.capacity import capacity
from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    capped = (d.route > 0) & (d.route < 1)
    if not bool(capped.any()):
        return
    deliveries = m.variables["deliveries"]
    m.add_constraints(
        deliveries <= d.route * d.europe_share * capacity(m, d),
        name="export-licence",
        mask=capped,
    )
