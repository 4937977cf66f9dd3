"""Budgets.

National:  purchases[a, t] + host capital cost[a, t] + variant cost[a] / T ≤ money[a, t]
Pooled:    Σ_a purchases[a, t] + Σ_l capex[l] · build[l, t] + variant cost / T ≤ Σ_a money[a, t]

In national mode the country where a line stands pays for its expansion; in pooled mode the
capital cost is shared (contributions by GDP, for reporting). Variant costs are spread evenly
over the plan years.
"""

from __future__ import annotations

import linopy
import xarray as xr

from burdenshift.engine.plan.prepared import PlanData


def purchases(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(ally, year) USD_m spent on deliveries."""
    return (m.variables["deliveries"].fillna(0) * d.price).sum("line")


def capital(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(line, year) USD_m spent on new capacity, by the year it is paid."""
    build = m.variables["build"].fillna(0).rename(order_year="year")
    return build * d.capex


def hosted(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(ally, year) USD_m of new capacity on the lines standing in each buyer, by the year it is
    paid: the lines grouped by the ally where each stands (no line × ally product)."""
    by_site = capital(m, d).groupby(d.sited.rename("ally")).sum()
    return by_site.reindex(ally=d.ally).fillna(0)


def variants(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """National: (ally,) / pooled: scalar USD_m of one-off variant costs."""
    return (m.variables["variant"].fillna(0) * d.variant_cost).sum("system")


def add(m: linopy.Model, d: PlanData) -> None:
    per_year = 1.0 / len(d.years)
    if d.mode == "national":
        m.add_constraints(
            purchases(m, d) + hosted(m, d) + variants(m, d) * per_year <= d.money,
            name="budget",
        )
    else:
        spend = purchases(m, d).sum("ally") + capital(m, d).sum("line")
        total = d.money.sum("ally")
        m.add_constraints(spend + variants(m, d) * per_year <= total, name="budget-pooled")


def spread(values: xr.DataArray, d: PlanData) -> xr.DataArray:
    """A pooled cost (year,) split among allies by GDP."""
    return values * d.gdp_share
