"""Line capacity, ceiling and ramp.

    Σ_a deliveries[l, a, t] ≤ europe_share[l] · (capacity0[l, t] + Σ_τ online[l,τ,t] · build[l,τ])
    committed[l] + Σ_τ build[l, τ] ≤ ceiling[l]
    build[l, τ] ≤ ramp[l]

online[l, τ, t] = 1 when capacity paid in year τ produces in year t (t ≥ τ − 1 + lead time).
capacity0[l, t] is today's capacity plus expansions already financed that have arrived by t;
committed[l] is that financed level, which uses the ceiling whenever it arrives.
"""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.prepared import PlanData


def capacity(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(line, year) items per year a line can make."""
    build = m.variables["build"].fillna(0)
    return (build * d.online).sum("order_year").simplify() + d.capacity0


def add(m: linopy.Model, d: PlanData) -> None:
    build = m.variables["build"]
    delivered = m.variables["deliveries"].fillna(0).sum("ally")
    m.add_constraints(delivered <= d.europe_share * capacity(m, d), name="line-capacity")
    m.add_constraints(
        build.fillna(0).sum("order_year") <= d.ceiling - d.committed,
        name="line-ceiling",
        mask=d.expandable,
    )
    m.add_constraints(build <= d.ramp, name="line-ramp")
