"""New plants: built whole or not at all.

    Σ_τ build[l, τ] ≤ ceiling[l] · plant[l]        Σ_τ build[l, τ] ≥ smallest[l] · plant[l]

for each greenfield line l (a plant Europe could build, `greenfield.yaml`); plant[l] is binary.
A plant smaller than the smallest worth building is not built.
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    mask = d.greenfield.values.astype(bool)
    if not mask.any():
        return
    plant = rows.labels(m, "plant", "line")
    built = rows.total(rows.term(rows.labels(m, "build", "line", "order_year")), 1)
    for name, sign, size in (
        ("plant-size-max", "<=", d.ceiling.values),
        ("plant-size-min", ">=", d.smallest.values),
    ):
        lhs = rows.joined(built, rows.negated(rows.term(plant, size)))
        rows.add(m, name, [d.line], lhs, sign, rows.moved(0.0 - size * 0.0, 0.0), mask=mask)
