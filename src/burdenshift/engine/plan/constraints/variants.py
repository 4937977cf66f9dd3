"""Fixed cost per distinct variant (binary).

National:  Σ_t Σ_{l makes s} deliveries[l, a, t] ≤ M[s] · variant[a, s]   (new to ally a)
Pooled:    Σ_t Σ_{l makes s} Σ_a deliveries[l, a, t] ≤ M[s] · variant[s]  (new to Europe)

M[s] is the most the lines of s could deliver over the horizon. The sums over the lines of s
group the lines by the system each makes (no line × system product).
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.prepared import PlanData, group_sum


def add(m: linopy.Model, d: PlanData) -> None:
    variant = m.variables["variant"]
    per_line = m.variables["deliveries"].fillna(0).sum("year")  # (line, ally)
    if d.mode == "national":
        mask = d.new_variant > 0
    else:
        per_line = per_line.sum("ally")
        mask = d.new_system > 0
    bought = per_line.groupby(d.makes.rename("system")).sum().reindex(system=d.system).fillna(0)
    big = group_sum(d.ceiling * d.europe_share, d.makes, d.system) * len(d.years)
    # the variant's term first, so that the rows keep the variant's (ally, system) order
    m.add_constraints(
        -big * variant.fillna(0) + bought <= 0,
        name="variant-use",
        mask=mask & (big > 0),
    )
