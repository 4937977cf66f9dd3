"""Export control.

Closed routes and refused licences remove the deliveries variable (its mask). Where licences
for US-controlled content are capped, the deliveries on a licensable route are limited:

    deliveries[l, a, t] ≤ route[l, a, t] · europe_share[l] · capacity[l, t]     (0 < route < 1)
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.constraints.capacity import capacity
from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    route = d.route.transpose("line", "ally", "year").values
    capped = (route > 0) & (route < 1)
    if not capped.any():
        return
    deliveries = rows.labels(m, "deliveries", "line", "ally", "year")
    share = route * d.europe_share.values[:, None, None]  # (line, ally, year)
    vars, coeffs = capacity(m, d)  # (line, year, terms)
    allowed = vars[:, None], coeffs[:, None] * share[..., None]
    cap0 = d.capacity0.transpose("line", "year").values[:, None, :]
    rows.add(
        m,
        "export-licence",
        [d.line, d.ally, d.years],
        rows.joined(rows.term(deliveries), rows.negated(allowed)),
        "<=",
        rows.moved(0.0 - share * cap0, 0.0),
        mask=capped & (deliveries >= 0),
    )
