"""Critical inputs shared across European lines.

    Σ_l uses[l, k] · Σ_a deliveries[l, a, t] ≤ supply[k, t]

Supply follows its fastest growth path (inputs.csv); US lines draw on US inputs, not modelled.
Only the (line, input) pairs with a use enter the rows: the pairs are listed along a `use`
dimension and grouped by their input (no line × input product).
"""

from __future__ import annotations

import linopy
import numpy as np

from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.constraints.capacity import delivered
from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    uses = d.uses.transpose("line", "input").values
    line_at, input_at = np.nonzero(uses > 0)
    if not len(line_at):
        return
    vars, coeffs = delivered(m)  # (line, year, buyers)
    pairs = vars[line_at], coeffs[line_at] * uses[line_at, input_at][:, None, None]
    used = rows.grouped(pairs, input_at, len(d.input))  # (input, year, terms)
    rows.add(
        m,
        "input-supply",
        [d.input, d.years],
        used,
        "<=",
        rows.moved(0.0, d.supply.transpose("input", "year").values),
        mask=(uses.sum(0) > 0)[:, None],
    )
