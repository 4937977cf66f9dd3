"""The planning model, assembled family by family: variables, then constraints, nothing else."""

from __future__ import annotations

import linopy

from burdenshift.engine.plan.constraints import (
    budget,
    capacity,
    export,
    greenfield,
    inputs,
    stock,
    target,
    variants,
)
from burdenshift.engine.plan.prepared import PlanData
from burdenshift.engine.plan.variables import add_variables

FAMILIES = {
    "stock-balance": stock,
    "line-capacity": capacity,
    "input-supply": inputs,
    "budget": budget,
    "export-licence": export,
    "target": target,
    "variant-use": variants,
    "plant-size": greenfield,
}


def build(d: PlanData) -> linopy.Model:
    linopy.options["semantics"] = "v1"
    m = linopy.Model(force_dim_names=True)
    add_variables(m, d)
    stock.add(m, d)
    capacity.add(m, d)
    inputs.add(m, d)
    budget.add(m, d)
    export.add(m, d)
    target.add(m, d)
    variants.add(m, d)
    greenfield.add(m, d)
    return m
