"""Solve in two stages with HiGHS and report the outcome as an enum, never as a traceback."""

from __future__ import annotations

import contextlib
import os
import sys
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


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """HiGHS prints its banner from C: silence file descriptor 1 so JSON output stays clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def solve(m: linopy.Model, options: SolveOptions) -> PlanStatus:
    kwargs: dict[str, object] = {"output_flag": False, "log_to_console": False}
    if options.time_limit is not None:
        kwargs["time_limit"] = float(options.time_limit)
    if m.binaries.nvars:
        kwargs["mip_rel_gap"] = options.mip_gap
    with _quiet():
        status, condition = m.solve(solver_name="highs", io_api="direct", **kwargs)
    condition = str(condition)
    if status == "ok":
        return PlanStatus.OPTIMAL
    if "time_limit" in condition or "iteration_limit" in condition:
        if m.objective.value is None:
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
        f"the solver stopped with '{condition}'",
        fix="check the figures of lines, budgets and holdings (`burdenshift data validate`)",
    )
