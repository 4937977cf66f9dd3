"""`plan`: the cheapest phased plan to the target — which lines to expand, what to produce, who
buys what from whom, each year — and what binds. A linopy model solved by HiGHS."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr

import burdenshift.engine.plan.startup  # noqa: F401  (first: what the start-up leaves out)
from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.assess import first_year_held
from burdenshift.engine.plan import bottlenecks, limits, model, objective, whole
from burdenshift.engine.plan.constraints import budget, target
from burdenshift.engine.plan.prepared import Mode, PlanData, prepare
from burdenshift.engine.plan.solve import (
    LIMIT_OPTIONS,
    SHORTFALL_TOLERANCE,
    Cancelled,
    PlanSolver,
    PlanStatus,
    SolveOptions,
    Stage,
    Watch,
    diagnose,
    no_plan_in_time,
)
from burdenshift.scenario.schema import Scenario


@dataclass(frozen=True, eq=False)
class Plan:
    status: PlanStatus
    mode: Mode
    shortfall: float
    """Σ over areas and plan years of the requirement-share missing against the targets."""
    cost_musd: float
    """Discounted cost of the plan, USD_m (constant 2025)."""
    benchmarks: xr.DataArray
    """(area, year) coverage the plan reaches: the yearly benchmarks."""
    earliest_year: dict[str, int | None]
    build: xr.DataArray
    """(line, order_year) items per year of new capacity, by the year it is paid."""
    deliveries: xr.DataArray
    """(line, ally, year) items."""
    cost_by_ally: xr.DataArray
    """(ally, year) USD_m, undiscounted: purchases + capital + variant costs."""
    us_purchases: xr.DataArray
    """(line, ally, year) items bought from US lines (zero on European lines)."""
    variants: xr.DataArray
    bottlenecks: list[bottlenecks.Bottleneck] = field(default_factory=list)
    target: xr.DataArray | None = None
    shortfall_by_area: xr.DataArray | None = None
    diagnosis: list[str] = field(default_factory=list)
    """For an infeasible or unbounded model: the constraint families involved, figures to check."""
    backlog: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per line with any: items ordered (paid) and not yet delivered at the end of each year."""
    line_systems: dict[str, str] = field(default_factory=dict)
    """The system each line makes, to name what was bought."""
    low_confidence: dict[str, bool] = field(default_factory=dict)
    """Per area: does today's capability rest mostly on weak figures (as in `assess`)?"""
    days_of_war: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per munition metric and plan year: days the plan's stock lasts at high-intensity use."""
    us_made_share: dict[str, float] = field(default_factory=dict)
    """Per area: share of Europe's capability today that is US-made."""
    whole: whole.WholeItems | None = None
    """The deliveries in whole items per buyer, and what the rounding changes."""
    stages: list[Stage] = field(default_factory=list)
    """How each solver stage ended: status, seconds, the limit it had, its MIP gap."""
    options: SolveOptions = field(default_factory=SolveOptions)
    size: limits.ModelSize | None = None

    @property
    def mip_gap(self) -> float | None:
        """The plan's relative MIP gap: the larger of the two MIP stages' (the least shortfall,
        the least cost holding it); None when either is unknown (a stage stopped before a bound
        was found, or was left out for want of time)."""
        gaps = [s.mip_gap for s in self.stages if s.name in ("shortfall", "cost")]
        if len(gaps) < 2 or any(g is None for g in gaps):
            return None
        return max(g for g in gaps if g is not None)

    @property
    def stopped_by(self) -> str | None:
        """The option whose limit stopped a stage (`--time-limit`, `--total-time-limit`)."""
        for s in self.stages:
            if s.status in (PlanStatus.TIME_LIMIT.value, "skipped"):
                return LIMIT_OPTIONS[s.limit]
        return None

    def solve_dict(self) -> dict[str, Any]:
        """The limits the plan ran under and how each stage ended."""
        duals = next((s for s in self.stages if s.name == "duals"), None)
        return {
            "time_limit_s": _finite(self.options.stage_seconds),
            "total_time_limit_s": _finite(self.options.total_seconds),
            "mip_gap_tolerance": self.options.mip_gap,
            "stopped_by": self.stopped_by,
            "bottlenecks_found": duals is not None and duals.status == PlanStatus.OPTIMAL.value,
            "estimated_memory_mb": round(self.size.bytes / 1e6) if self.size else None,
            "stages": [s.as_dict() for s in self.stages],
        }

    def as_dict(self) -> dict[str, Any]:
        years = [int(y) for y in self.benchmarks.coords["year"].values]
        return {
            "status": self.status.value,
            "mode": self.mode,
            "mip_gap": self.mip_gap,
            "solve": self.solve_dict(),
            "objective": {"shortfall": self.shortfall, "cost_musd": self.cost_musd},
            "areas": [
                {
                    "area": str(a),
                    "low_confidence": self.low_confidence.get(str(a), False),
                    "us_made_share": self.us_made_share.get(str(a)),
                    "earliest_year": self.earliest_year[str(a)],
                    "benchmarks": {
                        str(y): round(float(self.benchmarks.sel(area=a, year=y)), 6) for y in years
                    },
                }
                for a in self.benchmarks.coords["area"].values
            ],
            "cost_musd": {
                "total": round(float(self.cost_by_ally.sum()), 3),
                "by_year": {
                    str(y): round(float(self.cost_by_ally.sel(year=y).sum()), 3) for y in years
                },
                "by_ally": {
                    str(a): round(float(self.cost_by_ally.sel(ally=a).sum()), 3)
                    for a in self.cost_by_ally.coords["ally"].values
                    if float(self.cost_by_ally.sel(ally=a).sum()) > 0
                },
            },
            "days_of_war": self.days_of_war,
            "backlog": self.backlog,
            "whole_items": self.whole.as_dict() if self.whole is not None else None,
            "bottlenecks": [b.as_dict() for b in self.bottlenecks],
            "plan": self.tables(),
            "diagnosis": self.diagnosis,
        }

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The plan itself, non-zero entries only: expansions, deliveries, US purchases."""
        if self.build.ndim == 0:
            return {"expansions": [], "deliveries": [], "us_purchases": []}

        def rows(arr: xr.DataArray, name: str) -> list[dict[str, Any]]:
            df = arr.to_dataframe(name=name).reset_index()
            df = df[df[name] > 1e-6]
            return [
                {k: (int(v) if k in ("year", "order_year") else v) for k, v in r.items()}
                for r in df.to_dict("records")
            ]

        deliveries = rows(self.deliveries, "items")
        if self.whole is not None:  # a whole item can fall in a year the exact plan left empty
            both = xr.Dataset({"items": self.deliveries, "whole_items": self.whole.deliveries})
            df = both.to_dataframe().reset_index()
            df = df[(df["items"] > 1e-6) | (df["whole_items"] > 0.5)]
            deliveries = [{**r, "year": int(r["year"])} for r in df.to_dict("records")]
        return {
            "expansions": rows(self.build.rename(order_year="year"), "items_per_year"),
            "deliveries": deliveries,
            "us_purchases": [
                {**r, "system": self.line_systems.get(str(r["line"]), "")}
                for r in rows(self.us_purchases, "items")
            ],
        }


def plan(
    world: World,
    scenario: Scenario,
    mode: Mode = "national",
    options: SolveOptions | None = None,
    solver: PlanSolver | None = None,
    watch: Watch | None = None,
) -> Plan:
    """Three solves on one kept HiGHS model: the least shortfall (MIP), the least cost holding
    it (MIP, started from the first solution), and the shortfall again as an LP with the chosen
    variants fixed, for the duals. Pass a `solver` kept from an earlier plan to re-solve its
    model in place (sweeps); `watch` reports progress in [0, 1] and can cancel.

    Limits (`options`): each stage stops at its time limit and the plan at its total, counted
    from the call; a stage stopped by either gives the best plan found, marked TIME_LIMIT with
    its MIP gap; a stage with no time left is skipped (the least-cost stage leaves the least-
    shortfall plan as found). The status is the two MIP stages': a duals' LP that does not finish
    leaves the bottlenecks to the areas no line supplies, `solve_dict` says so. A limit reached
    before any plan is found raises an InputError naming it. A model whose estimated memory
    exceeds the memory available is refused before it is built (`limits.check_size`)."""
    opts = options or SolveOptions()
    clock = _Clock(opts)
    kept = solver or PlanSolver()
    watch = _monotone(watch)
    d = prepare(world, scenario, mode)
    size = limits.check_size(d, opts.memory_mb)
    m = model.build(d)
    objective.add_cap(m, d)
    m.add_objective(objective.shortfall(m, d))
    _report(watch, 0.1)
    stages: list[Stage] = []
    seconds, limit = clock.next()
    spent = clock.spent()
    if seconds <= 0:
        raise no_plan_in_time(clock.skipped("shortfall", limit), opts, spent)
    status = kept.run(
        m, opts, _stage(watch, 0.1, 0.5), seconds=seconds, limit=limit, name="shortfall"
    )
    stages.append(clock.ended(kept))
    if status is PlanStatus.TIME_LIMIT and not stages[-1].found:
        raise no_plan_in_time(stages[-1], opts, spent)
    _report(watch, 0.5)
    if status in (PlanStatus.INFEASIBLE, PlanStatus.UNBOUNDED):
        diagnosis = (
            diagnose(m)
            if status is PlanStatus.INFEASIBLE
            else ["the cost is unbounded below: check for negative prices or capital costs"]
        )
        return replace(_failed(status, d, diagnosis), stages=stages, options=opts, size=size)
    best = float(m.objective.value)
    objective.set_cap(m, best + SHORTFALL_TOLERANCE * max(1.0, best))
    cost = objective.cost(m, d)
    m.add_objective(cost, overwrite=True)
    seconds, limit = clock.next()
    if seconds > 0:
        second = kept.run(
            m, opts, _stage(watch, 0.5, 0.9), seconds=seconds, limit=limit, name="cost"
        )
        stages.append(clock.ended(kept))
        if second is PlanStatus.TIME_LIMIT:
            status = PlanStatus.TIME_LIMIT
            if not stages[-1].found:  # HiGHS starts from the first stage's plan: not seen
                raise no_plan_in_time(stages[-1], opts)
        cost_musd = float(m.objective.value)
    else:  # no time left: the least-shortfall plan as found, its cost not minimised
        stages.append(clock.skipped("cost", limit))
        status = PlanStatus.TIME_LIMIT
        cost_musd = float(cost.solution.sum())
    _report(watch, 0.9)
    result = _extract(m, d, world, status, cost_musd)
    found = bottlenecks.no_producer(d, result.shortfall_by_area)
    seconds, limit = clock.next()
    if seconds > 0:
        for name in ("variant", "plant"):  # binaries fixed at the plan's choice: an LP, duals
            chosen = m.variables[name]
            chosen.fix(chosen.solution.fillna(0))
            chosen.relax()
        objective.set_cap(m, objective.CAP_OFF)
        m.add_objective(objective.shortfall(m, d), overwrite=True)
        duals = kept.run(
            m, opts, _stage(watch, 0.9, 1.0), seconds=seconds, limit=limit, name="duals"
        )
        stages.append(clock.ended(kept))
        if duals is PlanStatus.OPTIMAL:  # the duals of an LP stopped part-way say nothing
            names = {lid: _line_name(world, i) for i, lid in enumerate(world.lines)}
            found += bottlenecks.find(m, d, names)
    else:
        stages.append(clock.skipped("duals", limit))
    _report(watch, 1.0)
    weak = counting.weak_share(world, world.europe_mask(scenario.europe_includes_canada))
    flags = {a: bool(w > counting.WEAK_THRESHOLD) for a, w in zip(world.areas, weak, strict=True)}
    us_made = counting.us_made_share(world, scenario)
    return Plan(
        **{
            **result.__dict__,
            "status": status,
            "bottlenecks": found,
            "low_confidence": flags,
            "us_made_share": {a: float(u) for a, u in zip(world.areas, us_made, strict=True)},
            "stages": stages,
            "options": opts,
            "size": size,
        }
    )


class _Clock:
    """The seconds each stage may take: its own limit, or what is left of the plan's."""

    def __init__(self, options: SolveOptions) -> None:
        self.start = time.perf_counter()
        self.stage = options.stage_seconds
        self.total = options.total_seconds

    def spent(self) -> float:
        return time.perf_counter() - self.start

    def next(self) -> tuple[float, str]:
        left = self.total - self.spent()
        return (self.stage, "stage") if self.stage <= left else (max(left, 0.0), "total")

    def ended(self, kept: PlanSolver) -> Stage:
        """The stage the kept solver last ran, with when it ended."""
        assert kept.last is not None
        return replace(kept.last, ended_s=self.spent())

    def skipped(self, name: str, limit: str) -> Stage:
        return Stage(name, "skipped", 0.0, 0.0, limit, None, ended_s=self.spent())


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _backlog(deliveries: xr.DataArray, d: PlanData) -> dict[str, dict[str, float]]:
    """Items each line delivered in the last `lag` years, not yet in stock, per plan year."""
    per_line = deliveries.sum("ally")  # (line, year)
    out: dict[str, dict[str, float]] = {}
    years = [int(y) for y in d.years]
    for i, line in enumerate(d.line.values):
        lag = int(d.lag.values[i])
        if lag == 0:
            continue
        made = per_line.sel(line=line).values
        waiting = [float(made[max(0, t - lag + 1) : t + 1].sum()) for t in range(len(years))]
        if max(waiting) > 1e-6:
            out[str(line)] = {str(y): round(w, 6) for y, w in zip(years, waiting, strict=True)}
    return out


def _days_of_war(m: Any, d: PlanData, world: World) -> dict[str, dict[str, float]]:
    """Per munition metric and plan year: the plan's stock ready for war over daily use (read
    after the cost stage, the plan reported)."""
    capability = (m.variables["stock"].solution * d.ready * d.value).sum("system")
    days = counting.days_of_war(world, capability.transpose("year", "metric").values).T
    return {
        world.metrics[i]: {str(int(y)): float(days[i, t]) for t, y in enumerate(d.years)}
        for i in np.flatnonzero(~np.isnan(world.daily_use))
    }


def _report(watch: Watch | None, done: float) -> None:
    if watch is not None and watch.progress is not None:
        watch.progress(done)


def _monotone(watch: Watch | None) -> Watch | None:
    """Progress never moves back, whatever the MIP gap does."""
    if watch is None or watch.progress is None:
        return watch
    report, high = watch.progress, [0.0]

    def forward(done: float) -> None:
        if done >= high[0]:
            high[0] = done
            report(done)

    return Watch(progress=forward, cancelled=watch.cancelled)


def _stage(watch: Watch | None, start: float, end: float) -> Watch | None:
    """The watch of one solve, its progress mapped onto [start, end] of the whole plan."""
    if watch is None:
        return None
    report = watch.progress
    return Watch(
        progress=(lambda f: report(start + (end - start) * f)) if report else None,
        cancelled=watch.cancelled,
    )


def _line_name(world: World, i: int) -> str:
    s = world.line_system[i]
    return (
        f"{world.system_names[s]} from {world.line_producer[i]} "
        f"({world.allies[world.line_country[i]]}; {world.area_names[world.system_area[s]]})"
    )


def _extract(m: Any, d: PlanData, world: World, status: PlanStatus, cost_musd: float) -> Plan:
    cover = target.achieved(m, d)
    shortfall = m.variables["shortfall"].solution
    years = np.asarray(d.years)
    earliest = dict(
        zip(
            [str(a) for a in d.area],
            first_year_held((shortfall <= 1e-5).astype(float).values, 1.0, years),
            strict=True,
        )
    )
    deliveries = m.variables["deliveries"].solution.fillna(0)
    purchases = budget.purchases(m, d).solution
    capital = budget.capital(m, d).solution.fillna(0)
    variant = m.variables["variant"].solution.fillna(0)
    per_year = 1.0 / len(d.years)
    if d.mode == "national":
        capex = (capital * d.host).sum("line")
        fixed = (variant * d.variant_cost).sum("system") * per_year
    else:
        capex = budget.spread(capital.sum("line"), d)
        fixed = budget.spread(
            xr.full_like(d.discount, float((variant * d.variant_cost).sum()) * per_year), d
        )
    cost = (purchases + capex + fixed).transpose("ally", "year")
    us_lines = ~d.expandable.astype(bool)
    days = _days_of_war(m, d, world)
    waiting = _backlog(deliveries, d)
    benchmarks = cover.transpose("area", "year")
    return Plan(
        whole=whole.whole_items(deliveries, benchmarks, d),
        days_of_war=days,
        backlog=waiting,
        status=status,
        mode=d.mode,
        shortfall=float(shortfall.sum()),
        shortfall_by_area=shortfall.sum("year"),
        cost_musd=cost_musd,
        benchmarks=benchmarks,
        earliest_year=earliest,
        build=m.variables["build"].solution.fillna(0),
        deliveries=deliveries,
        cost_by_ally=cost,
        us_purchases=deliveries.where(us_lines, 0),
        line_systems={
            str(lid): world.systems[s]
            for lid, s in zip(world.lines, world.line_system, strict=True)
        },
        variants=variant,
        target=d.target,
    )


def _failed(status: PlanStatus, d: PlanData, diagnosis: list[str]) -> Plan:
    empty = xr.DataArray(np.zeros((len(d.area), len(d.years))), coords=[d.area, d.years])
    zeros = xr.DataArray(np.zeros((len(d.ally), len(d.years))), coords=[d.ally, d.years])
    return Plan(
        status=status,
        mode=d.mode,
        shortfall=float("nan"),
        cost_musd=float("nan"),
        benchmarks=empty,
        earliest_year={str(a): None for a in d.area},
        build=xr.DataArray(),
        deliveries=xr.DataArray(),
        cost_by_ally=zeros,
        us_purchases=zeros,
        variants=xr.DataArray(),
        diagnosis=diagnosis,
    )


__all__ = ["Cancelled", "Plan", "PlanSolver", "PlanStatus", "SolveOptions", "Watch", "plan"]
