"""`plan`: the cheapest phased plan to the target — which lines to expand, what to produce, who
buys what from whom, each year — and what binds. A linopy model solved by HiGHS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.assess import first_year_held
from burdenshift.engine.plan import bottlenecks, model, objective, whole
from burdenshift.engine.plan.constraints import budget, target
from burdenshift.engine.plan.prepared import Mode, PlanData, prepare
from burdenshift.engine.plan.solve import (
    SHORTFALL_TOLERANCE,
    Cancelled,
    PlanSolver,
    PlanStatus,
    SolveOptions,
    Watch,
    diagnose,
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

    def as_dict(self) -> dict[str, Any]:
        years = [int(y) for y in self.benchmarks.coords["year"].values]
        return {
            "status": self.status.value,
            "mode": self.mode,
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
    model in place (sweeps); `watch` reports progress in [0, 1] and can cancel."""
    opts = options or SolveOptions()
    kept = solver or PlanSolver()
    watch = _monotone(watch)
    d = prepare(world, scenario, mode)
    m = model.build(d)
    objective.add_cap(m, d)
    m.add_objective(objective.shortfall(m, d))
    _report(watch, 0.1)
    status = kept.run(m, opts, _stage(watch, 0.1, 0.5))
    _report(watch, 0.5)
    if status in (PlanStatus.INFEASIBLE, PlanStatus.UNBOUNDED):
        diagnosis = (
            diagnose(m)
            if status is PlanStatus.INFEASIBLE
            else ["the cost is unbounded below: check for negative prices or capital costs"]
        )
        return _failed(status, d, diagnosis)
    best = float(m.objective.value)
    objective.set_cap(m, best + SHORTFALL_TOLERANCE * max(1.0, best))
    m.add_objective(objective.cost(m, d), overwrite=True)
    if kept.run(m, opts, _stage(watch, 0.5, 0.9)) is PlanStatus.TIME_LIMIT:
        status = PlanStatus.TIME_LIMIT
    _report(watch, 0.9)
    result = _extract(m, d, world, status)
    for name in ("variant", "plant"):  # binaries fixed at the plan's choice: an LP, with duals
        chosen = m.variables[name]
        chosen.fix(chosen.solution.fillna(0))
        chosen.relax()
    objective.set_cap(m, objective.CAP_OFF)
    m.add_objective(objective.shortfall(m, d), overwrite=True)
    kept.run(m, opts, _stage(watch, 0.9, 1.0))
    names = {lid: _line_name(world, i) for i, lid in enumerate(world.lines)}
    found = bottlenecks.no_producer(d, result.shortfall_by_area) + bottlenecks.find(m, d, names)
    _report(watch, 1.0)
    weak = counting.weak_share(world, world.europe_mask(scenario.europe_includes_canada))
    flags = {a: bool(w > counting.WEAK_THRESHOLD) for a, w in zip(world.areas, weak, strict=True)}
    us_made = counting.us_made_share(world, scenario)
    return Plan(
        **{
            **result.__dict__,
            "bottlenecks": found,
            "low_confidence": flags,
            "us_made_share": {a: float(u) for a, u in zip(world.areas, us_made, strict=True)},
        }
    )


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


def _extract(m: Any, d: PlanData, world: World, status: PlanStatus) -> Plan:
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
        cost_musd=float(m.objective.value),
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
