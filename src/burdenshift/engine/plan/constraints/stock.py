"""Stock balance.

    stock[s, t] = (1 − 1/life[s]) · stock[s, t−1] + Σ_l Σ_a deliveries[l, a, t] · [l makes s]
                  − sent[s, t]                    (transfers to Ukraine, a constant)

with stock[s, base year] = today's European holdings (a constant on the first plan year's row).
"""

from __future__ import annotations

import linopy
import xarray as xr

from burdenshift.engine.plan.prepared import PlanData


def delivered_by_system(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(system, year) items delivered to Europe."""
    return (m.variables["deliveries"].fillna(0).sum("ally") * d.line_system).sum("line").simplify()


def add(m: linopy.Model, d: PlanData) -> None:
    stock = m.variables["stock"]
    keep = 1.0 - d.retire
    first = xr.DataArray(d.years == d.years[0], coords=[d.years])
    initial = (keep * d.stock0).where(first, 0.0) - d.sent
    m.add_constraints(
        stock - keep * stock.shift(year=1).fillna(0) - delivered_by_system(m, d) == initial,
        name="stock-balance",
    )
