"""Budgets.

National:  purchases[a, t] + host capital cost[a, t] + variant cost[a] / T ≤ money[a, t]
Pooled:    Σ_a purchases[a, t] + Σ_l capex[l] · build[l, t] + variant cost / T ≤ Σ_a money[a, t]

In national mode the country where a line stands pays for its expansion; in pooled mode the
capital cost is shared (contributions by GDP, for reporting). Variant costs are spread evenly
over the plan years.
"""

from __future__ import annotations

import linopy
import numpy as np
import xarray as xr

from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.prepared import PlanData


def _purchases(m: linopy.Model, d: PlanData) -> rows.Block:
    """(ally, year) USD_m spent on deliveries: one term per line."""
    deliveries = rows.labels(m, "deliveries", "ally", "year", "line")
    return rows.total(rows.term(deliveries, d.price.values), 2)


def _capital(m: linopy.Model, d: PlanData) -> rows.Block:
    """(line, year) USD_m spent on new capacity, by the year it is paid."""
    return rows.term(rows.labels(m, "build", "line", "order_year"), d.capex.values[:, None])


def _variants(m: linopy.Model, d: PlanData) -> rows.Block:
    """National: (ally,) / pooled: () USD_m of one-off variant costs: one term per system."""
    if d.mode == "national":
        return rows.total(rows.term(rows.labels(m, "variant", "ally", "system"), d.variant_cost), 1)
    return rows.total(rows.term(rows.labels(m, "variant", "system"), d.variant_cost), 0)


def purchases(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(ally, year) USD_m spent on deliveries."""
    return rows.expression(m, [d.ally, d.years], _purchases(m, d))


def capital(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """(line, year) USD_m spent on new capacity, by the year it is paid."""
    return rows.expression(m, [d.line, d.years], _capital(m, d))


def variants(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """National: (ally,) / pooled: scalar USD_m of one-off variant costs."""
    return rows.expression(m, [d.ally] if d.mode == "national" else [], _variants(m, d))


def add(m: linopy.Model, d: PlanData) -> None:
    per_year = 1.0 / len(d.years)
    bought, paid = _purchases(m, d), _capital(m, d)  # (ally, year), (line, year)
    fixed = rows.scaled(_variants(m, d), per_year)
    if d.mode == "national":
        fixed = fixed[0][:, None], fixed[1][:, None]  # (ally, every year): systems
        sites = d.ally.get_indexer(np.asarray(d.sited.values, dtype=object))
        hosted = rows.grouped(paid, sites, len(d.ally))  # (ally, year): lines standing there
        rows.add(
            m,
            "budget",
            [d.ally, d.years],
            rows.joined(bought, hosted, fixed),
            "<=",
            rows.moved(0.0, d.money.transpose("ally", "year").values),
        )
    else:
        spend = rows.joined(rows.total(bought, 0), rows.total(paid, 0), fixed)
        total = d.money.sum("ally").values
        rows.add(m, "budget-pooled", [d.years], spend, "<=", rows.moved(0.0, total))


def spread(values: xr.DataArray, d: PlanData) -> xr.DataArray:
    """A pooled cost (year,) split among allies by GDP."""
    return values * d.gdp_share
