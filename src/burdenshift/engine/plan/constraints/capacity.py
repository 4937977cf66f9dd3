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
import numpy as np

from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.prepared import PlanData


def capacity(m: linopy.Model, d: PlanData) -> rows.Block:
    """(line, year) the new capacity a line has: one term per order year whose capacity
    produces by then (today's and financed capacity, `d.capacity0`, is the constant)."""
    build = rows.labels(m, "build", "line", "order_year")  # (line, order year)
    online = d.online.transpose("line", "order_year", "year").values  # (line, order, year)
    vars = np.broadcast_to(build[:, None, :], (*build.shape[:1], online.shape[2], build.shape[1]))
    coeffs = np.moveaxis(online, 1, 2)  # (line, year, order year)
    return rows.simplified((vars, coeffs))


def delivered(m: linopy.Model) -> rows.Block:
    """(line, year) the deliveries of each line, summed over its buyers."""
    return rows.total(rows.term(rows.labels(m, "deliveries", "line", "ally", "year")), 1)


def add(m: linopy.Model, d: PlanData) -> None:
    share = d.europe_share.values[:, None]
    cap0 = d.capacity0.transpose("line", "year").values
    new = rows.scaled(capacity(m, d), share)
    rows.add(
        m,
        "line-capacity",
        [d.line, d.years],
        rows.joined(delivered(m), rows.negated(new)),
        "<=",
        rows.moved(0.0 - share * cap0, 0.0),
    )
    build = rows.labels(m, "build", "line", "order_year")
    rows.add(
        m,
        "line-ceiling",
        [d.line],
        rows.total(rows.term(build), 1),
        "<=",
        rows.moved(0.0, (d.ceiling - d.committed).values),
        mask=d.expandable.values.astype(bool),
    )
    order = d.online.coords["order_year"].to_index()
    ramp = np.broadcast_to(d.ramp.values[:, None], build.shape)
    rows.add(
        m, "line-ramp", [d.line, order], rows.term(build), "<=", rows.moved(0.0, ramp), build >= 0
    )
