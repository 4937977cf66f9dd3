"""The two objectives: the least weighted shortfall, then, holding it, the least discounted cost."""

from __future__ import annotations

import math

import linopy

from burdenshift.engine.plan.constraints import budget
from burdenshift.engine.plan.prepared import PlanData


def shortfall(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """Σ_a Σ_t w[t] · shortfall[a, t]: requirement-shares missing against the targets (interim
    benchmarks before the deadline), a year before the deadline weighing
    `BEFORE_DEADLINE_WEIGHT` of one from the deadline on."""
    return (m.variables["shortfall"] * d.year_weight).sum()


def cost(m: linopy.Model, d: PlanData) -> linopy.LinearExpression:
    """Σ_t discount[t] · (purchases + capital cost) + variant costs, USD_m."""
    yearly = budget.purchases(m, d).sum("ally") + budget.capital(m, d).sum("line")
    return (yearly * d.discount).sum() + budget.variants(m, d).sum()


CAP_OFF = math.inf
"""No cap: the row is there but idle."""


def add_cap(m: linopy.Model, d: PlanData) -> None:
    """Σ shortfall ≤ cap: idle while the shortfall is minimised, set to the best shortfall found
    while the cost is minimised. Present from the start, so the stages change the kept solver
    model in place."""
    m.add_constraints(shortfall(m, d) <= CAP_OFF, name="shortfall-cap")


def set_cap(m: linopy.Model, value: float) -> None:
    m.constraints["shortfall-cap"].update(rhs=value)
