"""Solve in two stages with HiGHS and report the outcome as an enum, never as a traceback."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import linopy

from burdenshift.errors import InputError

SHORTFALL_TOLERANCE = 1e-7


class PlanStatus(StrEnum):
    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    """A limit stopped the solver; the plan is the best found, not proven optimal."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"


@dataclass(frozen=True)
class SolveOptions:
    time_limit: float | None = None
    mip_gap: float = 1e-4


_quiet_lock = threading.Lock()
_quiet_state: dict[str, int] = {"depth": 0, "saved": -1}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """HiGHS prints its banner from C: silence file descriptor 1 so JSON output stays clean.

    Solves may run in several threads (the web server): the first one in redirects, the last
    one out restores, so the real stdout is never lost.
    """
    with _quiet_lock:
        if _quiet_state["depth"] == 0:
            sys.stdout.flush()
            _quiet_state["saved"] = os.dup(1)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.close(null)
        _quiet_state["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_state["depth"] -= 1
            if _quiet_state["depth"] == 0:
                sys.stdout.flush()
                os.dup2(_quiet_state["saved"], 1)
                os.close(_quiet_state["saved"])


def solve(m: linopy.Model, options: SolveOptions) -> PlanStatus:
    kwargs: dict[str, object] = {"output_flag": False, "log_to_console": False}
    if options.time_limit is not None:
        kwargs["time_limit"] = float(options.time_limit)
    if m.binaries.nvars:
        kwargs["mip_rel_gap"] = options.mip_gap
    with _quiet():
        status, condition = m.solve(solver_name="highs", io_api="direct", **kwargs)
    condition = str(condition)
    if condition == "optimal":
        return PlanStatus.OPTIMAL
    if "time_limit" in condition or "iteration_limit" in condition:
        value = m.objective.value
        if value is None or not math.isfinite(value):
            raise InputError(
                "the solver reached its time limit before finding any plan",
                field="--time-limit",
                fix="allow more time (e.g. --time-limit 300)",
            )
        return PlanStatus.TIME_LIMIT
    if "unbounded" in condition:
        return PlanStatus.UNBOUNDED
    if "infeasible" in condition:
        return PlanStatus.INFEASIBLE
    raise InputError(
        f"the solver stopped with '{status}: {condition}'",
        fix="check the figures of lines, budgets and holdings (`burdenshift data validate`)",
    )


FIGURES_TO_CHECK = {
    "stock-balance": "holdings (holdings.csv) and service lives (systems.csv)",
    "line-capacity": "capacity_per_year and europe_share (lines.csv)",
    "line-ceiling": "capacity_ceiling_per_year against capacity_per_year (lines.csv)",
    "line-ramp": "max_ramp_share_per_year (lines.csv)",
    "input-supply": "supply_per_year (inputs.csv) and uses_<input> (lines.csv)",
    "budget": "GDP, defence % and equipment share (allies.csv), the scenario's budget",
    "budget-pooled": "GDP, defence % and equipment share (allies.csv), the scenario's budget",
    "export-licence": "the scenario's export rules and us_content_share (lines.csv)",
    "coverage": "value_per_unit (systems.csv) and holdings (holdings.csv)",
    "target": "the scenario's target shares",
    "variant-use": "variant_fixed_cost_musd (parameters.csv)",
    "shortfall-cap": "none: a numerical problem; rerun with a looser --mip-gap",
}


def diagnose(m: linopy.Model) -> list[str]:
    """The constraint families in an irreducible infeasible set (HiGHS IIS), with the figures
    to check. Meant for a failed model: on the full default model it can take minutes."""
    try:
        with _quiet():
            labels = m.compute_infeasibilities()
    except Exception:  # IIS is a best-effort diagnosis
        return ["the solver could not isolate the conflicting constraints"]
    families: dict[str, list[str]] = {}
    for label in labels:
        name, coords = m.constraints.get_label_position(label)
        if name is None:
            continue
        where = ", ".join(str(v) for v in (coords or {}).values())
        families.setdefault(name, []).append(where)
    return [
        f"{name} ({'; '.join(rows[:3])}{' …' if len(rows) > 3 else ''}): check "
        f"{FIGURES_TO_CHECK.get(name, 'the figures behind it')}"
        for name, rows in families.items()
    ]
