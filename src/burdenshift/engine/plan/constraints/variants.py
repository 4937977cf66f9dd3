"""Fixed cost per distinct variant (binary).

National:  Σ_t Σ_{l makes s} deliveries[l, a, t] ≤ M[s] · variant[a, s]   (new to ally a)
Pooled:    Σ_t Σ_{l makes s} Σ_a deliveries[l, a, t] ≤ M[s] · variant[s]  (new to Europe)

M[s] is the most the lines of s could deliver over the horizon. The sums over the lines of s
group the lines by the system each makes (no line × system product).
"""

from __future__ import annotations

import linopy
import numpy as np

from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.prepared import PlanData, group_sum


def add(m: linopy.Model, d: PlanData) -> None:
    deliveries = rows.labels(m, "deliveries", "line", "ally", "year")
    per_line = rows.total(rows.term(deliveries), 2)  # (line, ally): years
    makes = d.system.get_indexer(np.asarray(d.makes.values, dtype=object))
    big = (group_sum(d.ceiling * d.europe_share, d.makes, d.system) * len(d.years)).values
    if d.mode == "national":
        variant = rows.labels(m, "variant", "ally", "system")
        bought = rows.grouped(per_line, makes, len(d.system))  # (system, ally)
        bought = bought[0].transpose(1, 0, 2), bought[1].transpose(1, 0, 2)  # (ally, system)
        mask = d.new_variant.transpose("ally", "system").values > 0
        coords = [d.ally, d.system]
    else:
        variant = rows.labels(m, "variant", "system")
        bought = rows.grouped(rows.total(per_line, 1), makes, len(d.system))  # (system,)
        mask = d.new_system.values > 0
        coords = [d.system]
    # the variant's term first, as the rows read: M · variant against what is bought
    lhs = rows.joined(rows.term(variant, -big), bought)
    rhs = rows.moved(-big * 0.0 + 0.0, 0.0)
    rows.add(m, "variant-use", coords, lhs, "<=", rhs, mask=mask & (big > 0))
