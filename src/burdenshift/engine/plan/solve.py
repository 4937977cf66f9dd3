"""Drive HiGHS: a kept model changed in place between stages and plans, progress and cancel
hooks, and the outcome as an enum, never as a traceback."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import highspy
import linopy
import numpy as np
from linopy.persistent import RebuildReason
from linopy.solvers import Solver

from burdenshift.errors import Cancelled, InputError

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


@dataclass
class Watch:
    """Hooks into a running solve: `progress(stage_fraction)` in [0, 1] as the MIP gap closes,
    and `cancelled()`, polled by HiGHS between nodes and simplex iterations."""

    progress: Callable[[float], None] | None = None
    cancelled: Callable[[], bool] | None = None


class PlanSolver:
    """One HiGHS model kept between solves. The stages of a plan and the plans of a sweep that
    differ only in figures change it in place (linopy's persistent solver diffs the fresh
    model against the kept one) instead of rebuilding it, and each MIP starts from the last
    solution found. A change of structure (other years, allies or lines) rebuilds it."""

    def __init__(self) -> None:
        self._solver: Solver | None = None
        self._start: np.ndarray | None = None
        self.builds = 0
        self.updates = 0
        """How often the kept model was built afresh, and changed in place."""

    def run(self, m: linopy.Model, options: SolveOptions, watch: Watch | None = None) -> PlanStatus:
        settings: dict[str, Any] = {
            "output_flag": False,
            "log_to_console": False,
            "time_limit": float(options.time_limit) if options.time_limit else math.inf,
            "mip_rel_gap": options.mip_gap,
        }
        with _quiet():  # the banner comes with a new HiGHS model; the solve itself is silent
            if self._solver is None:
                self._solver = Solver.from_name(
                    "highs", m, io_api="direct", options=settings, track_updates=True
                )
                self.builds += 1
            else:
                change = self._solver.update(m)
                if isinstance(change, RebuildReason):
                    self.builds += 1
                    self._start = None
                else:
                    self.updates += 1
            h = self._solver.solver_model
            for key, value in settings.items():
                h.setOptionValue(key, value)
        mip = bool(m.binaries.nvars)  # relaxed binaries leave the set
        if mip and self._start is not None and len(self._start) == h.getNumCol():
            h.setSolution(_start_of(self._start))
        hooks = _hook(h, options, watch)
        try:
            self._solver.solve(assign=True)
        finally:
            _unhook(h, hooks)
        condition = str(m.termination_condition)
        if mip and condition in ("optimal", "time_limit"):
            self._start = np.asarray(h.getSolution().col_value, dtype=float)
        if watch is not None and watch.cancelled is not None and watch.cancelled():
            raise Cancelled
        return _status(m, condition)


def _start_of(values: np.ndarray) -> highspy.HighsSolution:
    start = highspy.HighsSolution()
    start.col_value = list(values)
    start.value_valid = True
    return start


def _hook(h: highspy.Highs, options: SolveOptions, watch: Watch | None) -> list[tuple[Any, Any]]:
    if watch is None:
        return []
    hooks: list[tuple[Any, Any]] = []
    if watch.cancelled is not None:
        cancelled = watch.cancelled

        def stop(event: Any) -> None:
            if cancelled():
                event.interrupt()

        hooks += [(h.cbMipInterrupt, stop), (h.cbSimplexInterrupt, stop)]
    if watch.progress is not None:
        report = watch.progress
        closed = -math.log10(max(options.mip_gap, 1e-9))

        def gap(event: Any) -> None:
            g = float(event.data_out.mip_gap)
            if math.isfinite(g) and g > 0:
                report(min(max(-math.log10(g) / closed, 0.0), 1.0))

        hooks.append((h.cbMipInterrupt, gap))
    for callback, fn in hooks:
        callback.subscribe(fn)
    return hooks


def _unhook(h: highspy.Highs, hooks: list[tuple[Any, Any]]) -> None:
    for callback, fn in hooks:
        callback.unsubscribe(fn)


def solve(m: linopy.Model, options: SolveOptions) -> PlanStatus:
    """One solve on a model of its own."""
    return PlanSolver().run(m, options)


def _status(m: linopy.Model, condition: str) -> PlanStatus:
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
    if "interrupt" in condition:
        raise Cancelled
    raise InputError(
        f"the solver stopped with '{m.status}: {condition}'",
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
