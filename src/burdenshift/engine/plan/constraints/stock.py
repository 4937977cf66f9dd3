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

from burdenshift.engine.plan.prepared import PlanData


def delivered_by_system(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(system, year) items arriving in Europe's stocks: what each line delivered `lag` years
    before, summed per system by grouping the lines on the system each makes (no dense
    line × system product)."""
    per_line = m.variables["deliveries"].fillna(0).sum("ally")  # (line, year) paid
    n_years = len(d.years)
    paid = np.arange(n_years)[None, :] - d.lag.values.astype(int)[:, None]  # (line, year)
    # pick (line, year paid) for each (line, year of arrival) in one pointwise selection
    rows = ("paid_line", "paid_year")
    line_at = np.broadcast_to(np.arange(len(d.line))[:, None], paid.shape)
    arriving = (
        per_line.isel(
            line=xr.DataArray(line_at, dims=rows),
            year=xr.DataArray(np.maximum(paid, 0), dims=rows),
        )
        .drop_vars(["line", "year"])
        .rename(paid_line="line", paid_year="year")
        .assign_coords(line=d.line, year=d.years)
        .where(xr.DataArray(paid >= 0, coords=[d.line, d.years]))
    )
    grouped = arriving.groupby(d.makes.rename("system")).sum()
    # not simplified: each row keeps as many terms as the longest, which no compaction shrinks
    return grouped.reindex(system=d.system).fillna(0)


def add(m: linopy.Model, d: PlanData) -> None:
    stock = m.variables["stock"]
    keep = 1.0 - d.retire
    first = xr.DataArray(d.years == d.years[0], coords=[d.years])
    initial = (keep * d.stock0).where(first, 0.0) - d.sent + d.prior_arrivals
    m.add_constraints(
        stock - keep * stock.shift(year=1).fillna(0) - delivered_by_system(m, d) == initial,
        name="stock-balance",
    )
