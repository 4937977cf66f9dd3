"""Benchmarks of `plan` at scale, on synthetic worlds the script builds itself.

    python benchmarks/scale.py                      # all three tables, every world
    python benchmarks/scale.py --worlds default,S2,S5,L10 --tables scale
    python benchmarks/scale.py --tables peer --peer-worlds default,S2 --repeats 3

Three Markdown tables for docs/performance.md:

1. **Scaling.** For each world (default, S2, S5, S10, S20, L10, H20; see
   `burdenshift.domain.scaled`): variables, rows, binaries and non-zeros as HiGHS receives them,
   the linopy model build, the hand-over to HiGHS, HiGHS's time in each of the plan's three
   solves (least shortfall, least cost, the LP for duals), the whole plan, and the process's
   peak RSS. Each measurement runs `plan` in a fresh process of its own, under a memory cap,
   worlds interleaved repetition by repetition; medians. A last row gives each measure's
   power-law exponent against the variables, fitted over the S worlds (default = S1).
2. **The Pyomo peer.** The first stage (least shortfall) written in Pyomo from the same
   `PlanData` arrays, handed to HiGHS through Pyomo's APPSI interface; build, hand-over and
   HiGHS run timed against linopy's, alternating linopy and Pyomo in each repetition of one
   process. Both optima must agree (asserted).
3. **The LP solver.** HiGHS's `solver` ("choose", "simplex", "ipm"; for the MIP stages
   `mip_lp_solver`, the LP solver inside branch and bound, since HiGHS ignores `solver` for a
   MIP) per stage, choices alternating in each repetition of one process.

Each world is validated before it is measured: its sizes are the data's times the scale, and
Europe's capability per metric, its requirement and its production capacity per system are
the data's (a scaled world is the same Europe described more finely).

The plan's own code is measured unchanged: timers wrap `prepare`, `model.build`, linopy's
hand-over (`Solver._build`, `Solver.update`) and `highspy.Highs.run` in the measuring process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from burdenshift.domain.world import World
    from burdenshift.engine.plan.prepared import PlanData
    from burdenshift.scenario.schema import Scenario

WORLDS = ("default", "S2", "S5", "S10", "S20", "L10", "H20")
PEER_WORLDS = ("default", "S2", "S5", "S10")
PEER_SOLVE_WORLDS = ("default", "S2")
SOLVER_WORLDS = ("default", "S5")
CHOICES = ("choose", "simplex", "ipm")
STAGES = ("least shortfall (MIP)", "least cost (MIP)", "duals (LP)")
PEER_TOLERANCE = 1e-6
"""Relative agreement of the Pyomo and linopy optima (both solved to a proven optimum)."""
PEER_GAP = 1e-9
"""MIP gap of the peer comparison: tight, so that both optima are proven and comparable."""


# -- measuring in the worker process -------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size, MB (VmHWM; getrusage where /proc is absent)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident set size now, MB (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def cap_memory(gb: float) -> None:
    """Cap this process's address space: a runaway world raises MemoryError (or aborts in C)
    instead of swapping the machine."""
    limit = int(gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class Recorder:
    """Timed calls of the plan's steps, in order, and HiGHS options applied before each run."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float, float, float, float]] = []
        self.highs_options: dict[str, Any] = {}
        self.sizes: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(
        self, owner: Any, name: str, label: str, before: Callable[..., None] | None = None
    ) -> None:
        original = getattr(owner, name)
        events = self.events

        def timed(*args: Any, **kwargs: Any) -> Any:
            if before is not None:
                before(*args)
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                events.append((label, start, time.perf_counter(), cpu, time.process_time()))

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()

    def before_run(self, h: Any) -> None:
        integrality = h.getLp().integrality_
        for key, value in self.highs_options.items():
            if key == "lp_solver":  # a MIP's LPs: mip_lp_solver; `solver` relaxes a MIP
                mip = any(int(v) != 0 for v in integrality)
                h.setOptionValue("solver", "choose" if mip else value)
                h.setOptionValue("mip_lp_solver", value if mip else "choose")
            else:
                h.setOptionValue(key, value)
        if not self.sizes:
            self.sizes = {
                "variables": int(h.getNumCol()),
                "rows": int(h.getNumRow()),
                "nonzeros": int(h.getNumNz()),
                "binaries": int(sum(1 for v in integrality if int(v) != 0)),
            }

    def of(self, label: str, cpu: bool = False) -> list[tuple[float, float]]:
        """(start, end) of each call of a step, wall clock or this process's CPU time."""
        return [(c0, c1) if cpu else (s, e) for name, s, e, c0, c1 in self.events if name == label]


@contextmanager
def recording() -> Iterator[Recorder]:
    """Timers around the plan's steps for the duration of the block."""
    import highspy
    from linopy.solvers import Highs

    import burdenshift.engine.plan as plan_pkg
    from burdenshift.engine.plan import model

    rec = Recorder()
    rec.wrap(plan_pkg, "prepare", "prepare")
    rec.wrap(model, "build", "build")
    rec.wrap(Highs, "_build", "hand-over")
    rec.wrap(Highs, "update", "update")
    rec.wrap(highspy.Highs, "run", "run", before=rec.before_run)
    try:
        yield rec
    finally:
        rec.undo()


def load(name: str) -> tuple[World, Scenario, float]:
    """The synthetic world and scenario of a scale, validated; and the seconds to build them."""
    from burdenshift import load_world
    from burdenshift.domain.scaled import parse_scale, scaled
    from burdenshift.scenario.loader import load_scenario

    base, sc = load_world(), load_scenario(None)
    start = time.perf_counter()
    world, scenario = scaled(base, sc, name)
    took = time.perf_counter() - start
    validate(base, sc, world, scenario, parse_scale(name))
    return world, scenario, took


def validate(base: World, sc: Scenario, world: World, scenario: Scenario, scale: Any) -> None:
    """A scaled world is the data's Europe described more finely: sizes scale as named, and
    capability per metric, requirement and capacity per system (summed over clones) are the
    data's."""
    from burdenshift.engine import counting

    n_s, n_l = scale.systems, scale.lines
    expect = {
        "systems": (len(world.systems), len(base.systems) * n_s),
        "lines": (len(world.lines), len(base.lines) * n_s * n_l),
        "allies": (len(world.allies), len(base.allies)),
        "metrics": (len(world.metrics), len(base.metrics)),
    }
    years = scale.horizon_years
    expect["years"] = (
        len(scenario.years),
        len(sc.years) if years is None else years + 1,
    )
    for what, (got, want) in expect.items():
        if got != want:
            raise AssertionError(f"scaled world {scale.name}: {got} {what}, expected {want}")
    # clone k of system s sits at index s * n_s + k: sum the clones back onto their original
    origin = np.repeat(np.arange(len(base.systems)), n_s)
    if list(world.systems[::n_s]) != list(base.systems):
        raise AssertionError(f"scaled world {scale.name}: systems are not in clone order")

    def per_metric(w: World) -> np.ndarray:
        return w.holdings.sum(0) @ w.system_to_metric()

    def per_system(w: World, to_base: np.ndarray) -> np.ndarray:
        out = np.zeros(len(base.systems))
        np.add.at(out, to_base[w.line_system], w.capacity_per_year)
        return out

    checks = {
        "capability per metric": (per_metric(world), per_metric(base)),
        "capacity per system": (
            per_system(world, origin),
            per_system(base, np.arange(len(base.systems))),
        ),
        "requirement": (
            counting.requirement(world, scenario, np.array(scenario.years[:1]))[:, 0],
            counting.requirement(base, sc, np.array(sc.years[:1]))[:, 0],
        ),
    }
    for what, (got, want) in checks.items():
        if not np.allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True):
            worst = float(np.nanmax(np.abs(got - want)))
            raise AssertionError(f"scaled world {scale.name}: {what} differs by {worst:.3g}")


def solve_options(limit: float) -> Any:
    """The plan's solve options with `limit` seconds per stage and three times that per plan
    (inf: none; NaN: the plan's own defaults, as a user gets them)."""
    from dataclasses import fields

    from burdenshift.engine.plan import SolveOptions

    if math.isnan(limit):
        return SolveOptions()
    names = {f.name for f in fields(SolveOptions)}
    given = {"time_limit": limit, "total_time_limit": 3 * limit}
    return SolveOptions(**{k: v for k, v in given.items() if k in names})


def measure_plan(name: str, mode: str, options: dict[str, Any], limit: float) -> dict[str, Any]:
    """One `plan` of a world with the steps timed; HiGHS `options` applied to every stage. A
    plan that fails (a limit, the size guard) is returned with what was measured and
    'error'; a stage skipped for want of time has NaN for its HiGHS time."""
    from burdenshift.engine.plan import PlanStatus, plan

    world, scenario, world_s = load(name)
    error, result = None, None
    with recording() as rec:
        rec.highs_options = dict(options)
        load_avg = os.getloadavg()[0]
        start, cpu = time.perf_counter(), time.process_time()
        try:
            result = plan(world, scenario, mode, solve_options(limit))  # type: ignore[arg-type]
        except Exception as err:  # reported with the measurements so far
            error = f"{type(err).__name__}: {err}"
        total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    if result is not None and result.status not in (PlanStatus.OPTIMAL, PlanStatus.TIME_LIMIT):
        error = f"the plan ended {result.status.value}"
    runs, handover, updates = rec.of("run"), rec.of("hand-over"), rec.of("update")
    prep, built = rec.of("prepare"), rec.of("build")
    if error is None and (len(runs) > 3 or len(handover) != 1 or len(updates) != len(runs) - 1):
        error = (
            f"expected one hand-over, an update before each later stage and at most three "
            f"HiGHS runs, recorded {len(handover)}, {len(updates)} and {len(runs)} (has the "
            "plan's solve changed?)"
        )
    out: dict[str, Any] = {
        "world": name,
        "world_s": world_s,
        "systems": len(world.systems),
        "lines": len(world.lines),
        "years": len(scenario.years) - 1,
        **rec.sizes,
        "plan_s": total,
        "plan_cpu_s": total_cpu,
        "load": load_avg,
        "peak_rss_mb": peak_rss_mb(),
    }
    if prep and handover:
        (_, prep_cpu), handover_cpu = rec.of("prepare", cpu=True)[0], rec.of("hand-over", True)
        first = handover[0]
        out |= {
            "prepare_s": prep[0][1] - prep[0][0],
            # the linopy model: families of rows, the shortfall cap and the objective
            "build_s": first[0] - prep[0][1],
            "model_build_s": built[0][1] - built[0][0],
            "handover_s": first[1] - first[0],
            "build_cpu_s": handover_cpu[0][0] - prep_cpu,
        }
    pad = [math.nan] * (3 - len(runs))
    out["highs_s"] = [e - s for s, e in runs] + pad
    out["highs_cpu_s"] = [e - s for s, e in rec.of("run", cpu=True)] + pad
    out["update_s"] = [e - s for s, e in updates]
    if error is not None:
        return out | {"error": error}
    assert result is not None
    return out | {
        "status": result.status.value,
        "shortfall": result.shortfall,
        "cost_musd": result.cost_musd,
    }


def measure_solvers(
    name: str, mode: str, repeats: int, limit: float, choices: tuple[str, ...] = CHOICES
) -> dict[str, Any]:
    """HiGHS's time per stage for each LP solver choice, choices rotating per repetition."""
    from burdenshift.engine.plan import PlanStatus, plan

    world, scenario, _ = load(name)
    times: dict[str, list[list[float]]] = {c: [] for c in choices}
    cpu: dict[str, list[list[float]]] = {c: [] for c in choices}
    objectives: dict[str, tuple[float, float]] = {}
    for rep in range(repeats):
        order = choices[rep % len(choices) :] + choices[: rep % len(choices)]
        for choice in order:
            with recording() as rec:
                rec.highs_options = {"lp_solver": choice}
                result = plan(world, scenario, mode, solve_options(limit))  # type: ignore[arg-type]
            if result.status is not PlanStatus.OPTIMAL:
                raise AssertionError(f"{name}, {choice}: the plan ended {result.status.value}")
            times[choice].append([e - s for s, e in rec.of("run")])
            cpu[choice].append([e - s for s, e in rec.of("run", cpu=True)])
            objectives[choice] = (result.shortfall, result.cost_musd)
    return {"world": name, "times": times, "cpu": cpu, "objectives": objectives}


# -- the Pyomo peer: the first stage (least shortfall) from the same PlanData ---------------


def _makes(d: PlanData) -> np.ndarray:
    """(line,) the index of the system each line makes."""
    if hasattr(d, "makes"):
        return np.asarray(d.system.get_indexer(d.makes.values))
    return np.asarray(d.line_system.values.argmax(1))


def pyomo_first_stage(d: PlanData) -> Any:
    """The least-shortfall stage of `plan` as a Pyomo model, row for row the families of
    `engine/plan/constraints` (the idle shortfall cap left out), from the arrays of `d`."""
    import pyomo.environ as pyo

    n_t = len(d.years)
    years = range(n_t)
    route = d.route.values
    share = d.europe_share.values
    online = d.online.values  # (line, order year, year)
    expandable = d.expandable.values.astype(bool)
    makes = _makes(d)  # (line,) index of the system each line makes
    n_s = len(d.system)
    lag = d.lag.values.astype(int)
    national = d.mode == "national"

    deliveries = [tuple(int(i) for i in ix) for ix in zip(*np.nonzero(route > 0), strict=True)]
    by_line_year: dict[tuple[int, int], list[int]] = {}
    by_ally_year: dict[tuple[int, int], list[int]] = {}
    for li, a, t in deliveries:
        by_line_year.setdefault((li, t), []).append(a)
        by_ally_year.setdefault((a, t), []).append(li)
    lines_of: dict[int, list[int]] = {}
    for li, s in enumerate(makes):
        lines_of.setdefault(int(s), []).append(li)
    built_lines = [int(li) for li in np.flatnonzero(expandable)]
    feeds = {(li, t): [int(o) for o in np.flatnonzero(online[li, :, t])] for li in built_lines
             for t in years}  # fmt: skip
    if national:
        reach = np.zeros((n_s, len(d.ally)))
        np.add.at(reach, makes, route.max(2))
        reachable = reach.T > 0  # (ally, system): some route to a line of the system
        variants = list(zip(*np.nonzero((d.new_variant.values > 0) & reachable), strict=True))
    else:
        variants = [
            (int(s),)
            for s in np.flatnonzero(
                (d.new_system.values > 0) & (np.bincount(makes, minlength=n_s) > 0)
            )
        ]
    variants = [tuple(int(i) for i in v) for v in variants]
    plants = [int(li) for li in np.flatnonzero(d.greenfield.values)]

    m = pyo.ConcreteModel()
    m.build = pyo.Var([(li, o) for li in built_lines for o in years], within=pyo.NonNegativeReals)
    m.deliveries = pyo.Var(deliveries, within=pyo.NonNegativeReals)
    m.stock = pyo.Var(range(len(d.system)), years, within=pyo.NonNegativeReals)
    m.cover = pyo.Var(range(len(d.metric)), years, bounds=(0.0, 1.0))
    m.shortfall = pyo.Var(range(len(d.area)), years, within=pyo.NonNegativeReals)
    m.variant = pyo.Var(variants, within=pyo.Binary)
    m.plant = pyo.Var(plants, within=pyo.Binary)

    def made(li: int, t: int) -> Any:
        return pyo.quicksum(m.deliveries[li, a, t] for a in by_line_year.get((li, t), ()))

    def new_capacity(li: int, t: int) -> Any:
        if not expandable[li]:
            return 0.0
        return pyo.quicksum(m.build[li, o] for o in feeds[li, t])

    # stock balance
    keep = 1.0 - d.retire.values
    initial = (
        np.where(np.arange(n_t) == 0, 1.0, 0.0)[None, :] * (keep * d.stock0.values)[:, None]
        - d.sent.values
        + d.prior_arrivals.values
    )

    def stock_balance(_: Any, s: int, t: int) -> Any:
        arriving = pyo.quicksum(
            made(li, t - lag[li]) for li in lines_of.get(s, ()) if t - lag[li] >= 0
        )
        before = keep[s] * m.stock[s, t - 1] if t > 0 else 0.0
        return m.stock[s, t] - before - arriving == float(initial[s, t])

    m.stock_balance = pyo.Constraint(range(len(d.system)), years, rule=stock_balance)

    # line capacity, ceiling, ramp
    capacity0 = d.capacity0.values

    def line_capacity(_: Any, li: int, t: int) -> Any:
        if not by_line_year.get((li, t)) and not (expandable[li] and feeds[li, t]):
            return pyo.Constraint.Skip
        return made(li, t) - share[li] * new_capacity(li, t) <= share[li] * capacity0[li, t]

    m.line_capacity = pyo.Constraint(range(len(d.line)), years, rule=line_capacity)
    headroom = (d.ceiling - d.committed).values
    m.line_ceiling = pyo.Constraint(
        built_lines,
        rule=lambda _, li: pyo.quicksum(m.build[li, o] for o in years) <= headroom[li],
    )
    ramp = d.ramp.values
    m.line_ramp = pyo.Constraint(
        m.build.index_set(), rule=lambda _, li, o: m.build[li, o] <= ramp[li]
    )

    # critical inputs
    uses = d.uses.values  # (line, input)
    supply = d.supply.values

    def input_supply(_: Any, k: int, t: int) -> Any:
        users = np.flatnonzero(uses[:, k])
        return pyo.quicksum(uses[li, k] * made(int(li), t) for li in users) <= supply[k, t]

    m.input_supply = pyo.Constraint(
        [int(k) for k in np.flatnonzero(uses.sum(0) > 0)], years, rule=input_supply
    )

    # budgets
    price, capex, money = d.price.values, d.capex.values, d.money.values
    per_year = d.variant_cost / n_t
    if national:
        host = d.host.values
        hosted = {a: [li for li in built_lines if host[li, a]] for a in range(len(d.ally))}
        chosen: dict[int, list[int]] = {}
        for a, s in variants:
            chosen.setdefault(a, []).append(s)

        def budget(_: Any, a: int, t: int) -> Any:
            spend = pyo.quicksum(
                price[li] * m.deliveries[li, a, t] for li in by_ally_year.get((a, t), ())
            )
            spend += pyo.quicksum(capex[li] * m.build[li, t] for li in hosted[a])
            spend += pyo.quicksum(per_year * m.variant[a, s] for s in chosen.get(a, ()))
            return spend <= money[a, t]

        m.budget = pyo.Constraint(range(len(d.ally)), years, rule=budget)
    else:
        total = money.sum(0)

        by_year: dict[int, list[tuple[int, int, int]]] = {}
        for ix in deliveries:
            by_year.setdefault(ix[2], []).append(ix)

        def budget_pooled(_: Any, t: int) -> Any:
            spend = pyo.quicksum(price[ix[0]] * m.deliveries[ix] for ix in by_year.get(t, ()))
            spend += pyo.quicksum(capex[li] * m.build[li, t] for li in built_lines)
            spend += pyo.quicksum(per_year * m.variant[v] for v in variants)
            return spend <= total[t]

        m.budget_pooled = pyo.Constraint(years, rule=budget_pooled)

    # export licences on capped routes
    capped = [ix for ix in deliveries if route[ix] < 1]
    if capped:

        def export_licence(_: Any, li: int, a: int, t: int) -> Any:
            limit = route[li, a, t] * share[li]
            return m.deliveries[li, a, t] - limit * new_capacity(li, t) <= limit * capacity0[li, t]

        m.export_licence = pyo.Constraint(capped, rule=export_licence)

    # coverage and the soft target
    credit = d.ready.values[:, None, :] * d.value.values[:, :, None]  # (system, metric, year)
    requirement = d.requirement.values
    holders = {k: [int(s) for s in np.flatnonzero(d.value.values[:, k])] for k in
               range(len(d.metric))}  # fmt: skip
    m.coverage = pyo.Constraint(
        [(int(k), int(t)) for k, t in zip(*np.nonzero(requirement > 0), strict=True)],
        rule=lambda _, k, t: (
            m.cover[k, t] * requirement[k, t]
            - pyo.quicksum(credit[s, k, t] * m.stock[s, t] for s in holders[k])
            <= 0.0
        ),
    )
    weight, c2w = d.weight.values, d.c2_weight.values  # (metric, area), (metric,)
    p, base, c2b = d.penalty.values, d.area_base.values, d.c2_base.values
    goal = d.target.values

    def target(_: Any, r: int, t: int) -> Any:
        # area · (1 − p) + p · (C2₀ · area + area₀ · C2 − area₀ · C2₀) + shortfall ≥ target
        coef = weight[:, r] * (1.0 - p[r, t] + p[r, t] * c2b[t]) + p[r, t] * base[r, t] * c2w
        cover = pyo.quicksum(coef[k] * m.cover[k, t] for k in np.flatnonzero(coef))
        return cover + m.shortfall[r, t] >= goal[r, t] + p[r, t] * base[r, t] * c2b[t]

    m.target = pyo.Constraint(range(len(d.area)), years, rule=target)

    # variants: deliveries of a system new to the buyer need its variant
    big = np.zeros(len(d.system))
    np.add.at(big, makes, d.ceiling.values * share * n_t)
    if national:
        has = set(variants)
        bought_by: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        for ix in deliveries:
            bought_by.setdefault((ix[1], int(makes[ix[0]])), []).append(ix)

        def variant_use(_: Any, a: int, s: int) -> Any:
            bought = bought_by.get((a, s), [])
            if not bought and (a, s) not in has:
                return pyo.Constraint.Skip
            allowed = big[s] * m.variant[a, s] if (a, s) in has else 0.0
            return pyo.quicksum(m.deliveries[ix] for ix in bought) - allowed <= 0.0

        rows = (d.new_variant.values > 0) & (big > 0)[None, :]
        m.variant_use = pyo.Constraint(
            [(int(a), int(s)) for a, s in zip(*np.nonzero(rows), strict=True)], rule=variant_use
        )
    else:
        by_line: dict[int, list[tuple[int, int, int]]] = {}
        for ix in deliveries:
            by_line.setdefault(ix[0], []).append(ix)

        def variant_use_pooled(_: Any, s: int) -> Any:
            bought = pyo.quicksum(
                m.deliveries[ix] for li in lines_of.get(s, ()) for ix in by_line.get(li, ())
            )
            return bought - big[s] * m.variant[s] <= 0.0

        m.variant_use = pyo.Constraint(
            [v[0] for v in variants if big[v[0]] > 0], rule=variant_use_pooled
        )

    # new plants, whole or not at all
    ceiling, smallest = d.ceiling.values, d.smallest.values
    m.plant_size_max = pyo.Constraint(
        plants,
        rule=lambda _, li: (
            pyo.quicksum(m.build[li, o] for o in years) - ceiling[li] * m.plant[li] <= 0.0
        ),
    )
    m.plant_size_min = pyo.Constraint(
        plants,
        rule=lambda _, li: (
            pyo.quicksum(m.build[li, o] for o in years) - smallest[li] * m.plant[li] >= 0.0
        ),
    )

    year_weight = d.year_weight.values
    m.objective = pyo.Objective(
        expr=pyo.quicksum(
            year_weight[t] * m.shortfall[r, t] for r in range(len(d.area)) for t in years
        ),
        sense=pyo.minimize,
    )
    return m


def pyomo_handover(m: Any) -> Any:
    """The Pyomo model in a HiGHS instance (APPSI's persistent interface); returns the
    highspy.Highs it filled."""
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    opt.config.stream_solver = False
    opt.set_instance(m)
    return opt._solver_model


def linopy_first_stage(d: PlanData) -> Any:
    """The plan's first stage as `plan` builds it: the model, the idle cap, the objective."""
    from burdenshift.engine.plan import model, objective

    m = model.build(d)
    objective.add_cap(m, d)
    m.add_objective(objective.shortfall(m, d))
    return m


def linopy_handover(m: Any) -> Any:
    """The linopy model in a HiGHS instance, as the plan's kept solver makes it."""
    from linopy.solvers import Solver

    solver = Solver.from_name(
        "highs", m, io_api="direct", options={"output_flag": False}, track_updates=True
    )
    return solver.solver_model


def run_highs(h: Any, gap: float) -> float:
    """Solve a filled highspy.Highs to `gap`, with the plan's thread count, and return its
    optimum (raises unless optimal)."""
    import highspy

    from burdenshift.engine.plan.solve import HIGHS_THREADS

    options = {"output_flag": False, "mip_rel_gap": gap, "threads": HIGHS_THREADS}
    for key, value in options.items():
        h.setOptionValue(key, value)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise AssertionError(f"HiGHS ended {h.modelStatusToString(status)}")
    return float(h.getInfo().objective_function_value)


def peer_once(
    d: PlanData, side: str, gap: float = PEER_GAP, solve: bool = True
) -> dict[str, float]:
    """Build, hand over and (with `solve`) solve the first stage with linopy or Pyomo, timed."""
    build, handover = (
        (linopy_first_stage, linopy_handover)
        if side == "linopy"
        else (pyomo_first_stage, pyomo_handover)
    )
    gc.collect()  # the previous model's garbage is not this one's time
    clock = [(time.perf_counter(), time.process_time())]
    m = build(d)
    clock.append((time.perf_counter(), time.process_time()))
    h = handover(m)
    clock.append((time.perf_counter(), time.process_time()))
    value = run_highs(h, gap) if solve else math.nan
    clock.append((time.perf_counter(), time.process_time()))
    out = {"objective": value}
    for k, step in enumerate(("build", "handover", "highs")):
        out[f"{step}_s"] = clock[k + 1][0] - clock[k][0]
        out[f"{step}_cpu_s"] = clock[k + 1][1] - clock[k][1]
    out |= {"variables": h.getNumCol(), "rows": h.getNumRow(), "nonzeros": h.getNumNz()}
    return out


def measure_peer(name: str, mode: str, repeats: int, solve: bool) -> dict[str, Any]:
    """linopy and Pyomo on one world's prepared arrays, alternating (which goes first
    alternates too); with `solve`, both are solved and the optima must agree."""
    from burdenshift.engine.plan.prepared import prepare

    world, scenario, _ = load(name)
    d = prepare(world, scenario, mode)  # type: ignore[arg-type]
    import pyomo.contrib.appsi.solvers
    import pyomo.environ  # noqa: F401  (imports are not Pyomo's build time: linopy's are done)

    runs: dict[str, list[dict[str, float]]] = {"linopy": [], "pyomo": []}
    for rep in range(repeats):
        for side in ("linopy", "pyomo") if rep % 2 == 0 else ("pyomo", "linopy"):
            runs[side].append(peer_once(d, side, solve=solve))
    a, b = runs["linopy"][0]["objective"], runs["pyomo"][0]["objective"]
    agree = abs(a - b) <= PEER_TOLERANCE * max(1.0, abs(a))
    if solve and not agree:
        raise AssertionError(f"{name}: linopy's optimum {a!r} and Pyomo's {b!r} differ")
    return {"world": name, "runs": runs, "peak_rss_mb": peak_rss_mb()}


def measure_peer_rss(name: str, mode: str, side: str) -> dict[str, Any]:
    """Peak RSS of one side's build and hand-over, above the process after `prepare`."""
    from burdenshift.engine.plan.prepared import prepare

    world, scenario, _ = load(name)
    d = prepare(world, scenario, mode)  # type: ignore[arg-type]
    if side == "pyomo":  # its imports are not its model's memory
        import pyomo.contrib.appsi.solvers
        import pyomo.environ  # noqa: F401
    before = current_rss_mb()
    peer_once(d, side, solve=False)
    return {"world": name, "side": side, "model_mb": peak_rss_mb() - before}


# -- the driver: one process per measurement ------------------------------------------------


def worker(args: argparse.Namespace) -> None:
    cap_memory(args.mem_cap_gb)
    with open(os.devnull, "w") as quiet, _stdout_to(quiet):  # HiGHS prints from C
        if args.worker == "plan":
            out = measure_plan(args.world, args.mode, {}, args.time_limit)
        elif args.worker == "peer":
            out = measure_peer(args.world, args.mode, args.repeats, args.solve)
        elif args.worker == "peer-rss":
            out = measure_peer_rss(args.world, args.mode, args.side)
        else:
            out = measure_solvers(
                args.world, args.mode, args.repeats, args.time_limit, tuple(args.choices.split(","))
            )
    Path(args.out).write_text(json.dumps(out))


@contextmanager
def _stdout_to(stream: Any) -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(stream.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def spawn(
    kind: str,
    world: str,
    args: argparse.Namespace,
    repeats: int = 1,
    side: str = "linopy",
    solve: bool = False,
) -> dict[str, Any]:
    """Run one measurement in a fresh process; a failure (memory cap, timeout, a failed
    check) is returned as {'error': ...} instead of stopping the other worlds. With
    --from-log, the next result logged for it instead ({'exhausted': True} past the last)."""
    if args.replay is not None:
        key = (kind, world, side if kind == "peer-rss" else "")
        logged = args.replay.get(key, [])
        return (
            logged.pop(0)
            if logged
            else {"world": world, "error": "not in the log", "exhausted": True}
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--world",
            world,
            "--mode",
            args.mode,
            "--repeats",
            str(repeats),
            "--mem-cap-gb",
            str(args.mem_cap_gb),
            "--time-limit",
            str(args.time_limit),
            "--choices",
            args.choices,
            "--side",
            side,
            "--out",
            str(out),
            *(["--solve"] if solve else []),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return {"world": world, "error": f"over the {args.timeout:.0f} s time limit"}
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            if "MemoryError" in done.stderr or "bad_alloc" in done.stderr:
                tail = f"out of memory under the {args.mem_cap_gb:g} GB cap ({tail})"
            got = {"world": world, "error": tail}
            if args.log:
                with open(args.log, "a") as log:
                    log.write(json.dumps({"kind": kind, **got}) + "\n")
            return got
        got = json.loads(out.read_text())
    if args.log:  # each result as it comes, so a long run stopped halfway keeps its data
        with open(args.log, "a") as log:
            log.write(json.dumps({"kind": kind, **got}) + "\n")
    return got


def replay(files: str) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Logged results by (kind, world, side), in the order they were logged."""
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for name in files.split(","):
        for line in Path(name).read_text().splitlines():
            if line.strip():
                got = json.loads(line)
                kind = got.pop("kind")
                side = got.get("side", "") if kind == "peer-rss" else ""
                out.setdefault((kind, got["world"], side), []).append(got)
    return out


def median(values: list[float]) -> float:
    """The median of the finite values (NaN: none)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(finite) if finite else math.nan


def power_law(xs: list[float], ys: list[float]) -> float:
    """Slope of log y against log x (least squares); NaN with fewer than two points."""
    pts = [(x, y) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0 and math.isfinite(y)]
    if len(pts) < 2:
        return math.nan
    lx, ly = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    return float(np.polyfit(lx, ly, 1)[0])


def fmt(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    return f"{x:,.{digits}f}"


def scaling_table(worlds: list[str], args: argparse.Namespace) -> str:
    runs: dict[str, list[dict[str, Any]]] = {w: [] for w in worlds}
    errors: dict[str, str] = {}
    spent = dict.fromkeys(worlds, 0.0)
    partial: dict[str, dict[str, Any]] = {}
    for rep in range(args.repeats):
        for w in worlds:
            if w in errors or (runs[w] and spent[w] > args.world_budget):
                continue  # a failed world, or a large one measured enough
            start = time.perf_counter()
            got = spawn("plan", w, args)
            spent[w] += time.perf_counter() - start
            if got.get("exhausted"):
                spent[w] = math.inf
                continue
            if "error" in got:
                errors[w] = failure(got)
                partial[w] = got
            else:
                runs[w].append(got)
            _progress(f"scale {w} repetition {rep + 1}: {got.get('error') or 'done'}")
    rows: list[str] = []
    loads: list[float] = []
    summary: dict[str, dict[str, float]] = {}
    for w in worlds:
        r = runs[w]
        failed = w in errors
        if failed and "build_s" in partial[w] and "variables" in partial[w]:
            r = [partial[w]]  # sizes, build and memory are known; the solve is not
        elif failed:
            rows.append(f"| {w} | failed: {errors[w]} |" + " |" * 16)
            continue
        if not r:
            continue
        highs = [median([x["highs_s"][k] for x in r]) for k in range(3)]
        s = {
            "variables": r[0]["variables"],
            "rows": r[0]["rows"],
            "binaries": r[0]["binaries"],
            "nonzeros": r[0]["nonzeros"],
            "build_s": median([x["build_s"] for x in r]),
            "handover_s": median([x["handover_s"] for x in r]),
            "highs1_s": highs[0],
            "highs2_s": highs[1],
            "highs3_s": highs[2],
            "highs_s": float(np.nansum(highs)),
            "plan_s": median([x["plan_s"] for x in r]),
            "plan_cpu_s": median([x["plan_cpu_s"] for x in r]),
            "build_share_cpu": median(
                [x["build_cpu_s"] / float(np.nansum(x["highs_cpu_s"])) for x in r]
            ),
            "peak_rss_mb": max(x["peak_rss_mb"] for x in r),
            "solved": not failed and all(x.get("status") == "optimal" for x in r),
        }
        loads += [x["load"] for x in r]
        summary[w] = s
        first = r[0]
        stopped = sum(x.get("status") == "time_limit" for x in r)
        if failed:
            outcome = "no plan: " + short(partial[w]["error"])
            cells = [f"> {fmt(h)}" if math.isfinite(h) else "" for h in highs]
            share = f"< {100 * s['build_s'] / s['highs_s']:.0f} %"
        else:
            outcome = fmt(first["shortfall"], 4)
            if stopped:
                outcome += f" (time limit in {stopped} of {len(r)})"
            cells = [fmt(h) for h in highs]
            share = f"{100 * s['build_s'] / s['highs_s']:.0f} %"
        share += f" ({100 * s['build_share_cpu']:.0f} %)" if not failed else ""
        rows.append(
            f"| {w} | {first['systems']:,} | {first['lines']:,} | {first['years']} "
            f"| {s['variables']:,} | {s['rows']:,} | {s['binaries']:,} | {s['nonzeros']:,} "
            f"| {fmt(median([x['prepare_s'] for x in r]))} | {fmt(s['build_s'])} "
            f"| {fmt(s['handover_s'])} | {cells[0]} | {cells[1]} | {cells[2]} "
            f"| {fmt(s['plan_s'])} | {fmt(s['plan_cpu_s'])} | {share} "
            f"| {s['peak_rss_mb']:,.0f} | {outcome} |"
        )
    s_all = [w for w in summary if is_s_world(w)]
    s_solved = [w for w in s_all if summary[w]["solved"]]
    keys = ["rows", "binaries", "nonzeros", "build_s", "handover_s", "peak_rss_mb"]
    solve_keys = ["highs1_s", "highs2_s", "highs3_s", "plan_s", "plan_cpu_s"]
    exps = {
        k: power_law(
            [summary[w]["variables"] for w in ws], [summary[w][k] for w in ws]
        )
        for ws, ks in ((s_all, keys), (s_solved, solve_keys))
        for k in ks
    }  # fmt: skip
    if len(s_all) >= 2:
        rows.append(
            f"| exponent (S worlds: {', '.join(s_all)}; solves: {', '.join(s_solved)}) "
            f"| | | | 1 | {fmt(exps['rows'])} "
            f"| {fmt(exps['binaries'])} | {fmt(exps['nonzeros'])} | | {fmt(exps['build_s'])} "
            f"| {fmt(exps['handover_s'])} | {fmt(exps['highs1_s'])} | {fmt(exps['highs2_s'])} "
            f"| {fmt(exps['highs3_s'])} | {fmt(exps['plan_s'])} | {fmt(exps['plan_cpu_s'])} | "
            f"| {fmt(exps['peak_rss_mb'])} | |"
        )
    counts = ", ".join(f"{w} {len(runs[w])}" for w in worlds if w not in errors)
    head = (
        "| world | systems | lines | plan years | variables | rows | binaries | non-zeros "
        "| prepare s | build s | hand-over s | HiGHS s: least shortfall | HiGHS s: least cost "
        "| HiGHS s: duals LP | plan s | plan CPU s | build / HiGHS (CPU) | peak RSS MB "
        "| shortfall |\n|---|" + "---|" * 18
    )
    note = (
        f"\n\n`plan --mode {args.mode}`, medians of {args.repeats} runs (fewer for a world "
        f"whose runs took over {args.world_budget:.0f} s together; runs: {counts}), each in a "
        f"fresh process under a {args.mem_cap_gb:g} GB address-space cap, worlds interleaved per "
        f"repetition, {limit_text(args.time_limit)}. Sizes are HiGHS's (after linopy drops "
        "masked entries). build = the linopy "
        "model (`model.build`, the shortfall cap and the objective); hand-over = linopy's "
        "direct transfer to highspy with the snapshot its persistent solver keeps; HiGHS s = "
        "`Highs.run` per stage; plan s = the whole `plan` call (extraction and bottlenecks "
        "included); peak RSS = the process's VmHWM (imports, the world, the model, HiGHS). "
        "Exponents: least-squares slope of log measure against log variables. "
        "build / HiGHS: the build's share of the three HiGHS runs, by the wall clock and by "
        "CPU time (steadier on a shared machine)."
    )
    if loads:
        note += (
            " The machine's 1-minute load average at the start of each plan: "
            f"{min(loads):.1f} to {max(loads):.1f}."
        )
    return head + "\n" + "\n".join(rows) + note + "\n\n" + cpu_table(worlds, runs, partial)


def cpu_table(
    worlds: list[str], runs: dict[str, list[dict[str, Any]]], partial: dict[str, dict[str, Any]]
) -> str:
    """The same plans in CPU seconds of the measuring process (HiGHS's threads included):
    on a loaded machine a process waits for a core, and the wall clock counts the wait."""
    rows, summary = [], {}
    sizes: dict[str, float] = {}
    builds: dict[str, float] = {}
    for w in worlds:
        if w in partial:
            got = partial[w]
            if "build_cpu_s" in got and "variables" in got:
                sizes[w], builds[w] = got["variables"], got["build_cpu_s"]
            highs = [fmt(x) for x in got.get("highs_cpu_s", [])]
            highs = [f"{h} (stopped)" if h else "" for h in highs]
            rows.append(
                f"| {w} | {fmt(got.get('build_cpu_s', math.nan))} | " + " | ".join(highs)
                + f" | {fmt(got.get('plan_cpu_s', math.nan))} | | failed |"
            )  # fmt: skip
            continue
        r = runs[w]
        if not r:
            continue
        highs = [median([x["highs_cpu_s"][k] for x in r]) for k in range(3)]
        build = median([x["build_cpu_s"] for x in r])
        summary[w] = {
            "variables": r[0]["variables"],
            "build": build,
            "highs1": highs[0],
            "highs2": highs[1],
            "highs3": highs[2],
            "plan": median([x["plan_cpu_s"] for x in r]),
            "solved": all(x.get("status") == "optimal" for x in r),
        }
        sizes[w], builds[w] = r[0]["variables"], build
        rows.append(
            f"| {w} | {fmt(build)} | {fmt(highs[0])} | {fmt(highs[1])} | {fmt(highs[2])} "
            f"| {fmt(summary[w]['plan'])} | {100 * build / float(np.nansum(highs)):.0f} % "
            f"| {r[0].get('status', '')} |"
        )
    s_all = [w for w in worlds if is_s_world(w) and w in builds]
    s_solved = [w for w in summary if is_s_world(w) and summary[w]["solved"]]
    if len(s_all) >= 2:
        exp = {"build": fmt(power_law([sizes[w] for w in s_all], [builds[w] for w in s_all]))}
        for k in ("highs1", "highs2", "highs3", "plan"):
            xs, ys = [sizes[w] for w in s_solved], [summary[w][k] for w in s_solved]
            exp[k] = fmt(power_law(xs, ys))
        rows.append(
            f"| exponent (build: {', '.join(s_all)}; solves: {', '.join(s_solved)}) "
            f"| {exp['build']} | {exp['highs1']} | {exp['highs2']} | {exp['highs3']} "
            f"| {exp['plan']} | | |"
        )
    head = (
        "| world | build CPU s | HiGHS CPU s: least shortfall | HiGHS CPU s: least cost "
        "| HiGHS CPU s: duals LP | plan CPU s | build / HiGHS | status |\n|---|" + "---|" * 7
    )
    return (
        head
        + "\n"
        + "\n".join(rows)
        + "\n\nCPU seconds of the same runs (user + system, all threads of the process). "
        "'stopped': the stage reached its time limit (wall clock) after this much CPU time."
    )


def is_s_world(name: str) -> bool:
    """default or S<N>: the worlds of the power-law fit (default is S1)."""
    return name == "default" or (name.startswith("S") and name[1:].isdigit())


def short(error: str) -> str:
    """An InputError's problem without its field and fix."""
    text = error.split(" Fix:")[0]
    text = text.split(": ", 1)[1] if text.startswith("InputError: ") else text
    return text.split("': ", 1)[1] if text.startswith("field '") else text


def failure(got: dict[str, Any]) -> str:
    """A failed measurement's error with what it measured before it failed."""
    seen = [f"after {got['plan_s']:.0f} s" if "plan_s" in got else ""]
    if "build_s" in got:
        seen.append(f"build {got['build_s']:.2f} s")
    if got.get("highs_s"):
        seen.append("HiGHS " + " / ".join(fmt(x) or "—" for x in got["highs_s"]) + " s")
    if got.get("highs_cpu_s"):
        cpu = " / ".join(fmt(x) or "—" for x in got["highs_cpu_s"])
        seen.append(f"HiGHS CPU {cpu} s")
    if "peak_rss_mb" in got:
        seen.append(f"peak RSS {got['peak_rss_mb']:,.0f} MB")
    seen = [x for x in seen if x]
    return got["error"] + (f" ({', '.join(seen)})" if seen else "")


def paired_ratio(
    pyomo: list[dict[str, float]], linopy: list[dict[str, float]], clock: str
) -> float:
    """Median over repetitions of Pyomo's build + hand-over over linopy's (paired)."""
    return median(
        [
            (p[f"build{clock}"] + p[f"handover{clock}"])
            / (q[f"build{clock}"] + q[f"handover{clock}"])
            for p, q in zip(pyomo, linopy, strict=True)
        ]
    )


def peer_table(worlds: list[str], args: argparse.Namespace) -> str:
    rows = []
    for w in worlds:
        solved = w in args.peer_solve
        got = spawn("peer", w, args, repeats=args.repeats, solve=solved)
        _progress(f"peer {w}: {got.get('error') or 'done'}")
        if "error" in got:
            rows.append(f"| {w} | failed: {got['error']} |" + " |" * 11)
            continue
        lin, pyo = got["runs"]["linopy"], got["runs"]["pyomo"]

        def med(side: list[dict[str, float]], key: str) -> float:
            return median([x[key] for x in side])

        rss = {side: spawn("peer-rss", w, args, side=side) for side in ("linopy", "pyomo")}
        model_mb = [
            fmt(r["model_mb"], 0) if "model_mb" in r else f"failed: {r['error']}"
            for r in rss.values()
        ]
        a, b = lin[0]["objective"], pyo[0]["objective"]
        wall, cpu = paired_ratio(pyo, lin, "_s"), paired_ratio(pyo, lin, "_cpu_s")
        rows.append(
            f"| {w} | {int(lin[0]['variables']):,} / {int(pyo[0]['variables']):,} "
            f"| {int(lin[0]['rows']):,} / {int(pyo[0]['rows']):,} "
            f"| {fmt(med(lin, 'build_s'))} | {fmt(med(pyo, 'build_s'))} "
            f"| {fmt(med(lin, 'handover_s'))} | {fmt(med(pyo, 'handover_s'))} "
            f"| {fmt(med(lin, 'highs_s')) if solved else '—'} "
            f"| {fmt(med(pyo, 'highs_s')) if solved else '—'} "
            f"| {wall:.1f}× ({cpu:.1f}×) | {f'{a:.6f}' if solved else 'not solved'} "
            f"| {f'{abs(a - b):.1e}' if solved else ''} "
            f"| {model_mb[0]} / {model_mb[1]} |"
        )
    head = (
        "| world | variables linopy / Pyomo | rows linopy / Pyomo | build s linopy | build s Pyomo "
        "| hand-over s linopy | hand-over s Pyomo | HiGHS s linopy | HiGHS s Pyomo "
        "| Pyomo ÷ linopy, build + hand-over (CPU) | optimum (shortfall) | difference "
        "| model MB linopy / Pyomo |\n|---|" + "---|" * 12
    )
    note = (
        f"\n\nThe first stage (least shortfall, MIP), from the same `PlanData`; medians of "
        f"{args.repeats} repetitions in one process, linopy and Pyomo alternating (and which "
        f"goes first). Both solved by HiGHS with mip_rel_gap {PEER_GAP:g}, so both optima are "
        f"proven; they must agree to {PEER_TOLERANCE:g} relative (asserted). Pyomo's "
        "hand-over is APPSI's `Highs.set_instance`; linopy's is its direct transfer with the "
        "persistent solver's snapshot, as `plan` does. Pyomo leaves out the idle shortfall cap "
        "row and rows with no non-zero coefficient (linopy passes those to HiGHS empty). The "
        "ratio is the median of the paired ratios of each repetition, by the wall clock and "
        "by CPU time. model MB: peak RSS of a process that builds and hands over one side "
        "only, less its RSS after `prepare`. Worlds marked 'not solved' are built and handed "
        "over only (the MIP at gap 1e-9 takes too long there to repeat)."
    )
    return head + "\n" + "\n".join(rows) + note


def solver_table(worlds: list[str], args: argparse.Namespace) -> str:
    rows, verdicts = [], []
    for w in worlds:
        got = spawn("solver", w, args, repeats=args.repeats)
        while args.replay is not None and not got.get("exhausted"):  # choices run apart
            more = spawn("solver", w, args)
            if "error" in more:
                break
            for key in ("times", "cpu", "objectives"):
                got.setdefault(key, {}).update(more.get(key, {}))
        _progress(f"solver {w}: {got.get('error') or 'done'}")
        if "error" in got:
            rows.append(f"| {w} | failed: {got['error']} |" + " |" * 5)
            continue
        times, objs = got["times"], got["objectives"]
        cpu = got.get("cpu", {})
        choices = [c for c in CHOICES if c in times]
        shortfalls = [v[0] for v in objs.values()]
        costs = [v[1] for v in objs.values()]
        same = (max(shortfalls) - min(shortfalls)) <= 1e-6 * max(1.0, abs(shortfalls[0])) and (
            max(costs) - min(costs)
        ) <= 1e-3 * max(1.0, abs(costs[0]))
        for k, stage in enumerate(STAGES):
            med = {c: median([rep[k] for rep in times[c]]) for c in choices}
            on_cpu = {c: median([rep[k] for rep in cpu.get(c, [])]) for c in choices}
            clock = on_cpu if all(math.isfinite(v) for v in on_cpu.values()) else med
            fastest = min(clock, key=clock.__getitem__)
            verdicts.append(f"{w}, {stage}: {fastest}")
            cells = [
                fmt(med.get(c, math.nan))
                + (f" ({fmt(on_cpu[c])})" if c in on_cpu and math.isfinite(on_cpu[c]) else "")
                for c in CHOICES
            ]
            vs = f"{clock['choose'] / clock[fastest]:.2f}× choose" if "choose" in clock else ""
            rows.append(
                f"| {w} | {stage} | " + " | ".join(cells) + f" | {fastest} ({vs}) "
                f"| {'same' if same else 'DIFFER'} |"
            )
    head = "| world | stage | choose s | simplex s | ipm s | fastest | optima |\n|---|" + "---|" * 6
    note = (
        f"\n\nHiGHS s per stage of `plan --mode {args.mode}`, medians of {args.repeats} "
        "repetitions in one process, the choices rotating in each. The LP stage sets "
        "`solver`; the MIP stages set `mip_lp_solver` (HiGHS ignores `solver` for a MIP). "
        "In brackets: CPU seconds, which decide 'fastest' where they were measured. "
        "'optima': shortfall and cost agree across the choices.\n\nFastest: "
        + "; ".join(verdicts)
        + "."
    )
    return head + "\n" + "\n".join(rows) + note


def limit_text(limit: float) -> str:
    if math.isnan(limit):
        from burdenshift.engine.plan.limits import STAGE_TIME_LIMIT, TOTAL_TIME_LIMIT

        return (
            f"the plan's default limits ({STAGE_TIME_LIMIT:g} s per stage, "
            f"{TOTAL_TIME_LIMIT:g} s per plan)"
        )
    if not math.isfinite(limit):
        return "no time limit"
    return f"a time limit of {limit:g} s per stage and {3 * limit:g} s per plan"


def machine() -> str:
    def first(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return ""

    model = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in first(["lscpu"]).splitlines()
            if ln.startswith("Model name")
        ),
        platform.machine(),
    )
    mem = next(
        (ln.split()[1] for ln in first(["free", "-g"]).splitlines() if ln.startswith("Mem:")), "?"
    )
    import highspy

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        from importlib.metadata import version

        versions |= {p: version(p) for p in ("linopy", "highspy", "pyomo")}
    except Exception:
        pass
    del highspy
    return (
        f"{dt.date.today().isoformat()} — {model}, {os.cpu_count()} cores, {mem} GiB, "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
    )


def _progress(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _limit(text: str) -> float:
    """--time-limit: seconds, or 'default' (NaN) for the plan's own limits."""
    return math.nan if text == "default" else float(text)


def _names(text: str) -> list[str]:
    from burdenshift.domain.scaled import parse_scale

    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        parse_scale(n)  # the project's error for an unknown scale
    return names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worlds", default=",".join(WORLDS), help="scaling table's worlds")
    ap.add_argument("--peer-worlds", default=",".join(PEER_WORLDS))
    ap.add_argument(
        "--peer-solve-worlds",
        default=",".join(PEER_SOLVE_WORLDS),
        help="peer worlds also solved by both (their optima compared); the others are built "
        "and handed over only",
    )
    ap.add_argument("--solver-worlds", default=",".join(SOLVER_WORLDS))
    ap.add_argument("--tables", default="scale,peer,solver", help="scale, peer, solver")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mode", choices=("national", "pooled"), default="national")
    ap.add_argument("--mem-cap-gb", type=float, default=6.0, help="per measuring process")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    ap.add_argument(
        "--time-limit",
        type=_limit,
        default=math.inf,
        help="the plan's time limit per stage, seconds, three times it per plan (default: "
        "none, so that every solve runs to its optimum; 'default': the plan's own limits)",
    )
    ap.add_argument(
        "--world-budget",
        type=float,
        default=900.0,
        help="no further repetitions of a world once its runs took this many seconds",
    )
    ap.add_argument(
        "--choices", default=",".join(CHOICES), help="LP solver choices of the solver table"
    )
    ap.add_argument("--log", help="append each measurement's raw result to this JSON-lines file")
    ap.add_argument(
        "--from-log",
        help="print the tables from results logged earlier (comma-separated --log files, e.g. "
        "of runs made apart) instead of measuring",
    )
    ap.add_argument(
        "--worker", choices=("plan", "peer", "peer-rss", "solver"), help=argparse.SUPPRESS
    )
    ap.add_argument("--side", choices=("linopy", "pyomo"), help=argparse.SUPPRESS)
    ap.add_argument("--solve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--world", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    from burdenshift.errors import InputError

    tables = {t.strip() for t in args.tables.split(",") if t.strip()}
    unknown = tables - {"scale", "peer", "solver"}
    try:
        if unknown or args.repeats < 1 or args.mem_cap_gb <= 0:
            raise InputError(
                f"bad option: tables {sorted(unknown)}, repeats {args.repeats}, "
                f"cap {args.mem_cap_gb} GB",
                fix="--tables scale,peer,solver; --repeats ≥ 1; --mem-cap-gb > 0",
            )
        args.replay = replay(args.from_log) if args.from_log else None
        worlds = _names(args.worlds)
        args.peer_solve = set(_names(args.peer_solve_worlds))
        peer_worlds, solver_worlds = _names(args.peer_worlds), _names(args.solver_worlds)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"## {machine()}\n")
    if "scale" in tables:
        print(scaling_table(worlds, args) + "\n", flush=True)
    if "peer" in tables:
        print(peer_table(peer_worlds, args) + "\n", flush=True)
    if "solver" in tables:
        print(solver_table(solver_worlds, args) + "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
