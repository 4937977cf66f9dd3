"""Fixed cost per distinct variant (binary).

National:  Σ_t Σ_{l makes s} deliveries[l, a, t] ≤ M[s] · variant[a, s]   (new to ally a)
Pooled:    Σ_t Σ_{l makes s} Σ_a deliveries[l, a, t] ≤ M[s] · variant[s]  (new to Europe)

M[s] is the most the lines of s could deliver over the horizon.
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.prepared import PlanData


def add(m: linopy.Model, d: PlanData) -> None:
    variant = m.variables["variant"]
    per_system = m.variables["deliveries"].fillna(0).sum("year") * d.line_system
    big = ((d.ceiling * d.europe_share) * d.line_system).sum("line") * len(d.years)
    if d.mode == "national":
        bought = per_system.sum("line")  # (ally, system)
        mask = d.new_variant > 0
    else:
        bought = per_system.sum(["line", "ally"])
        mask = d.new_system > 0
    m.add_constraints(bought <= big * variant.fillna(0), name="variant-use", mask=mask & (big > 0))
