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
import numpy as np
import xarray as xr

from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.constraints.capacity import delivered
from burdenshift.engine.plan.prepared import PlanData


def delivered_by_system(m: linopy.Model, d: PlanData) -> rows.Block:
    """(system, year) items arriving in Europe's stocks: what each line delivered `lag` years
    before, summed per system by grouping the lines on the system each makes (no dense
    line × system product)."""
    vars, coeffs = delivered(m)  # (line, year paid, buyers)
    n_years = len(d.years)
    paid = np.arange(n_years)[None, :] - d.lag.values.astype(int)[:, None]  # (line, year)
    line_at = np.broadcast_to(np.arange(len(d.line))[:, None], paid.shape)
    arrived = paid >= 0
    vars = np.where(arrived[..., None], vars[line_at, np.maximum(paid, 0)], -1)
    coeffs = np.where(arrived[..., None], coeffs[line_at, np.maximum(paid, 0)], np.nan)
    makes = d.system.get_indexer(np.asarray(d.makes.values, dtype=object))
    return rows.grouped((vars, coeffs), makes, len(d.system))


def add(m: linopy.Model, d: PlanData) -> None:
    stock = rows.labels(m, "stock", "system", "year")
    keep = 1.0 - d.retire
    first = xr.DataArray(d.years == d.years[0], coords=[d.years])
    initial = (keep * d.stock0).where(first, 0.0) - d.sent + d.prior_arrivals
    before = np.full_like(stock, -1)
    before[:, 1:] = stock[:, :-1]  # last year's stock (none before the first plan year)
    lhs = rows.joined(
        rows.term(stock),
        rows.negated(rows.term(before, keep.values[:, None])),
        rows.negated(delivered_by_system(m, d)),
    )
    rhs = rows.moved(0.0, initial.transpose("system", "year").values)
    rows.add(m, "stock-balance", [d.system, d.years], lhs, "=", rhs)
