"""Drive HiGHS: a kept model changed in place between stages and plans, progress and cancel
hooks, and the outcome as an enum, never as a traceback."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import highspy
import linopy
import numpy as np
from linopy.persistent import RebuildReason
from linopy.solvers import Solver

from burdenshift.engine.plan.limits import STAGE_TIME_LIMIT, TOTAL_TIME_LIMIT
from burdenshift.errors import Cancelled, InputError

SHORTFALL_TOLERANCE = 1e-7

LP_SOLVER: dict[str, str] = {"shortfall": "ipm", "cost": "choose", "duals": "choose"}
"""HiGHS's LP solver per plan stage, chosen by measurement (docs/performance.md, the plan's
solve at scale). The least-shortfall MIP's root LP is large and degenerate: interior point
(with crossover) solves it several times faster than dual simplex, more so as the world grows,
with the same optimum. The least-cost MIP starts from the first stage's plan: simplex is as fast
on the default world, interior point faster on large models (`LARGE_LP_SOLVER`). The duals' LP
is fastest with HiGHS's own choice. A stage not named here (a single `solve`) takes HiGHS's
choice. A MIP takes it as `mip_lp_solver` with `solver` left to choose (HiGHS solves only the
LP relaxation of a MIP whose `solver` is simplex or ipm), an LP as `solver`; both options are
set on every stage, since the kept model keeps its options between stages."""

LARGE_COLUMNS = 100_000
LARGE_LP_SOLVER: dict[str, str] = {"cost": "ipm"}
"""The choice for a model of at least `LARGE_COLUMNS` columns where it differs: the least-cost
stage took 0.84x the CPU time with interior point at S5 (135,000 columns) and 0.79x at S10,
1.18x on the default world (27,000)."""


HIGHS_THREADS = 1
"""HiGHS's worker threads per solve. Measured on two cores (docs/performance.md): one thread
takes the plan about the same wall time as HiGHS's default of two (within 12 % either way from
the default world to S20) for 11–42 % less CPU and a fifth less memory, and two plans solved at
once (a sweep's two workers, the page's jobs) finish 1.48x sooner. HiGHS refuses a model whose count
differs from its thread pool's, but it keeps a pool per thread, and linopy runs each solve in a
thread of its own: the count set here holds whatever HiGHS ran before in the process (tested)."""


def lp_solver(stage: str, columns: int) -> str:
    """The LP solver of a stage on a model with `columns` columns."""
    if columns >= LARGE_COLUMNS and stage in LARGE_LP_SOLVER:
        return LARGE_LP_SOLVER[stage]
    return LP_SOLVER.get(stage, "choose")


class PlanStatus(StrEnum):
    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    """A limit stopped the solver; the plan is the best found, not proven optimal."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"


@dataclass(frozen=True)
class SolveOptions:
    """How long and how far the solver may go. None takes the default: `STAGE_TIME_LIMIT`
    seconds per stage, `TOTAL_TIME_LIMIT` per plan (`math.inf` lifts a limit), the memory
    available for the model (`limits.check_size`)."""

    time_limit: float | None = STAGE_TIME_LIMIT
    """Seconds each solver stage may take."""
    mip_gap: float = 1e-4
    """Relative MIP gap at which a stage stops as optimal."""
    total_time_limit: float | None = TOTAL_TIME_LIMIT
    """Seconds the whole plan may take, from preparing the data to the last stage."""
    memory_mb: float | None = None
    """MB the model may use (default: `limits.MEMORY_ENV`, else the memory available)."""

    def __post_init__(self) -> None:
        if self.time_limit is None:
            object.__setattr__(self, "time_limit", STAGE_TIME_LIMIT)
        if self.total_time_limit is None:
            object.__setattr__(self, "total_time_limit", TOTAL_TIME_LIMIT)

    @property
    def stage_seconds(self) -> float:
        return float(STAGE_TIME_LIMIT if self.time_limit is None else self.time_limit)

    @property
    def total_seconds(self) -> float:
        return float(TOTAL_TIME_LIMIT if self.total_time_limit is None else self.total_time_limit)


LIMIT_OPTIONS = {"stage": "--time-limit", "total": "--total-time-limit"}
"""The option that sets each limit, named in messages (the web names its own fields)."""


@dataclass(frozen=True)
class Stage:
    """How one solver stage ended."""

    name: str
    """shortfall, cost or duals."""
    status: str
    """optimal, time_limit, infeasible, unbounded, or skipped (no time was left)."""
    seconds: float
    limit_s: float
    """The seconds it was given: the stage's limit or what was left of the plan's."""
    limit: str
    """Which limit that was: stage or total."""
    mip_gap: float | None
    """Relative gap between the best plan and the bound when the stage ended (0 for an LP
    solved to optimality); None where unknown (no bound, or the stage did not run)."""
    found: bool = True
    """A plan (a finite objective) exists at the end of the stage."""
    ended_s: float | None = None
    """Seconds into the plan when the stage ended (or was skipped)."""

    def as_dict(self) -> dict[str, Any]:
        """Without the seconds taken: a plan's JSON is the same however busy the machine was
        (a sweep's workers give the serial results exactly), unless a limit stopped it."""
        return {
            "stage": self.name,
            "status": self.status,
            "limit_s": _finite(self.limit_s),
            "limit": self.limit,
            "mip_gap": self.mip_gap,
        }


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


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
        self.last: Stage | None = None
        """How the last stage ended."""

    def run(
        self,
        m: linopy.Model,
        options: SolveOptions,
        watch: Watch | None = None,
        *,
        seconds: float | None = None,
        limit: str = "stage",
        name: str = "solve",
    ) -> PlanStatus:
        """One stage on the kept model, for at most `seconds` (default the options' stage
        limit; `limit` says which limit that is). A stage stopped by its limit returns
        TIME_LIMIT whether or not it found a plan: `last.found` says which."""
        allowed = options.stage_seconds if seconds is None else float(seconds)
        mip = bool(m.binaries.nvars)  # relaxed binaries leave the set
        settings: dict[str, Any] = {
            "output_flag": False,
            "log_to_console": False,
            "mip_rel_gap": options.mip_gap,
            "threads": HIGHS_THREADS,
        }
        began = time.perf_counter()
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
            # HiGHS keeps one run clock over every solve of a model and checks its time limit
            # against it: the stage's limit counts from where the clock stands now
            now = h.getRunTime()
            settings["time_limit"] = now + allowed if math.isfinite(allowed) else math.inf
            choice = lp_solver(name, h.getNumCol())
            settings["solver"] = "choose" if mip else choice
            settings["mip_lp_solver"] = choice if mip else "choose"
            for key, value in settings.items():
                h.setOptionValue(key, value)
        if mip and self._start is not None and len(self._start) == h.getNumCol():
            h.setSolution(_start_of(self._start))
        hooks = _hook(h, options, watch)
        try:
            result = self._solver.solve(assign=True)
        finally:
            _unhook(h, hooks)
        condition = str(m.termination_condition)
        value = m.objective.value
        found = value is not None and math.isfinite(value)
        if mip and found and condition in ("optimal", "time_limit"):
            self._start = np.asarray(h.getSolution().col_value, dtype=float)
        if watch is not None and watch.cancelled is not None and watch.cancelled():
            raise Cancelled
        status = _status(m, condition)
        gap: float | None = None
        if status is PlanStatus.OPTIMAL and not mip:
            gap = 0.0
        elif mip and found:
            reported = result.report.mip_gap if result.report is not None else None
            gap = float(reported) if reported is not None and math.isfinite(reported) else None
        self.last = Stage(
            name, status.value, time.perf_counter() - began, allowed, limit, gap, found
        )
        return status


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
    """One solve on a model of its own; a limit reached before any plan is an InputError."""
    solver = PlanSolver()
    status = solver.run(m, options)
    if status is PlanStatus.TIME_LIMIT and solver.last is not None and not solver.last.found:
        raise no_plan_in_time(solver.last, options)
    return status


def no_plan_in_time(stage: Stage, options: SolveOptions, spent: float = 0.0) -> InputError:
    """The error of a limit reached before the solver found any plan: which limit, how to
    raise it. `spent`: seconds of the plan gone before the stage (preparing, building)."""
    option = LIMIT_OPTIONS[stage.limit]
    if stage.limit == "total":
        total = options.total_seconds
        what = f"the plan's total time limit ({option} {total:g} s)"
        suggestion = f"{option} {max(2 * total, 2 * spent, 60):.0f}"
    else:
        limit = options.stage_seconds
        what = f"the time limit per solver stage ({option} {limit:g} s)"
        suggestion = f"{option} {max(2 * limit, STAGE_TIME_LIMIT):.0f}"
    if stage.status == "skipped":
        when = f"was used up before the solver started ({spent:.1f} s went to preparing and "
        when += "building the model)"
    else:
        when = f"was reached in the {stage.name} stage before the solver found any plan"
    return InputError(f"{what} {when}", field=option, fix=f"allow more time (e.g. {suggestion})")


def _status(m: linopy.Model, condition: str) -> PlanStatus:
    if condition == "optimal":
        return PlanStatus.OPTIMAL
    if "time_limit" in condition or "iteration_limit" in condition:
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
