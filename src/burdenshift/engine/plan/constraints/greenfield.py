"""New plants: built whole or not at all.

    Σ_τ build[l, τ] ≤ ceiling[l] · plant[l]        Σ_τ build[l, τ] ≥ smallest[l] · plant[l]

for each greenfield line l (a plant Europe could build, `greenfield.yaml`); plant[l] is binary.
A plant smaller than the smallest worth building is not built.
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    if not bool(d.greenfield.any()):
        return
    plant = m.variables["plant"]
    built = m.variables["build"].fillna(0).sum("order_year")
    mask = d.greenfield.astype(bool)
    m.add_constraints(built <= d.ceiling * plant.fillna(0), name="plant-size-max", mask=mask)
    m.add_constraints(built >= d.smallest * plant.fillna(0), name="plant-size-min", mask=mask)
