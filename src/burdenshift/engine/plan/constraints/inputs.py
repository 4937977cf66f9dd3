"""Critical inputs shared across European lines.

    Σ_l uses[l, k] · Σ_a deliveries[l, a, t] ≤ supply[k, t]

Supply follows its fastest growth path (inputs.csv); US lines draw on US inputs, not modelled.
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    delivered = m.variables["deliveries"].fillna(0).sum("ally")
    used = (delivered * d.uses).sum("line")
    m.add_constraints(used <= d.supply, name="input-supply", mask=d.uses.sum("line") > 0)
