"""Stock balance.

    stock[s, t] = (1 − 1/life[s]) · stock[s, t−1] + Σ_l Σ_a deliveries[l, a, t] · [l makes s]
                  − sent[s, t]                    (transfers to Ukraine, training: constants)
                  + prior[s, t]                   (orders placed before the base year)

A line's deliveries arrive `lag` years after they are paid (delivery.csv); in its first `lag`
years today's output arrives on orders placed before the base year.

with stock[s, base year] = today's European holdings (a constant on the first plan year's row).
"""

from __future__ import annotations

import linopy
import xarray as xr

from burdenshift.engine.plan.prepared import PlanData


def delivered_by_system(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(system, year) items arriving in Europe's stocks: what each line delivered `lag` years
    before. Lines are grouped by their lag and summed per system by grouping on the system each
    makes (no dense line × system product)."""
    per_line = m.variables["deliveries"].fillna(0).sum("ally")
    makes = d.line_system.idxmax("system").rename("system")
    total = None
    for lag in sorted({int(x) for x in d.lag.values}):
        lines = d.line[(d.lag == lag).values]
        part = per_line.sel(line=lines)
        if lag:
            part = part.shift(year=lag)
        grouped = part.groupby(makes.sel(line=lines)).sum().reindex(system=d.system).fillna(0)
        total = grouped if total is None else total + grouped
    assert total is not None
    return total.simplify()


def add(m: linopy.Model, d: PlanData) -> None:
    stock = m.variables["stock"]
    keep = 1.0 - d.retire
    first = xr.DataArray(d.years == d.years[0], coords=[d.years])
    initial = (keep * d.stock0).where(first, 0.0) - d.sent + d.prior_arrivals
    m.add_constraints(
        stock - keep * stock.shift(year=1).fillna(0) - delivered_by_system(m, d) == initial,
        name="stock-balance",
    )
