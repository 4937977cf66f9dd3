"""The public Python API: load data and scenarios, run engines, get labelled results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from burdenshift.domain.load import load_world
from burdenshift.domain.world import World
from burdenshift.engine import assess as _assess
from burdenshift.engine import queries as _queries
from burdenshift.engine import simulate as _simulate
from burdenshift.engine.params import Params
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.loader import load_scenario
from burdenshift.scenario.schema import Scenario


def assess(world: World, scenario: Scenario | str | Path | None = None) -> _assess.Assessment:
    """Closed-form assessment per area (see docs/method.md)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return _assess.assess(applied_world(world, sc), sc)


def simulate(
    world: World, scenario: Scenario | str | Path | None = None, params: Params | None = None
) -> _simulate.Simulation:
    """Year-by-year simulation; `params` carries a batch of parameter sets."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return _simulate.simulate(applied_world(world, sc), sc, params)


def _scenario(scenario: Scenario | str | Path | None) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def time_to_stock(
    world: World,
    scenario: Scenario | str | Path | None = None,
    *,
    system: str,
    target: float,
    ally: str | None = None,
    pace: float | None = None,
) -> _queries.TimeToStock:
    """Years until Europe's (or `ally`'s) stock of `system` reaches `target` items at `pace`
    delivered a year (default: its share of today's European line output), with retirements
    and the yearly draw; "never" when the pace cannot get there."""
    sc = _scenario(scenario)
    return _queries.time_to_stock(applied_world(world, sc), sc, system, target, ally, pace)


def cost_of_list(
    world: World,
    items: Mapping[str, float],
    scenario: Scenario | str | Path | None = None,
    mode: str | None = None,
) -> _queries.CostOfList:
    """One-off cost of a shopping list {system: quantity} in USD_m (constant 2025), line by
    line, and whose industry the money goes to; `mode` national or pooled (default: the
    scenario's procurement)."""
    sc = _scenario(scenario)
    return _queries.cost_of_list(applied_world(world, sc), sc, items, mode)


def spending_needed(
    world: World,
    scenario: Scenario | str | Path | None = None,
    *,
    area: str,
    ally: str | None = None,
    engines: Sequence[str] = _queries.ENGINES,
    time_limit: float | None = None,
    max_plan_solves: int = _queries.MAX_PLAN_SOLVES,
) -> _queries.SpendingNeeded:
    """Defence spending (% of GDP in the deadline year; every European ally, or `ally` only) at
    which `area` first holds its target by the deadline, under `simulate` and `plan`."""
    sc = _scenario(scenario)
    return _queries.spending_needed(
        applied_world(world, sc), sc, area, ally, engines, time_limit, max_plan_solves
    )


__all__ = [
    "Params",
    "Scenario",
    "World",
    "assess",
    "cost_of_list",
    "load_scenario",
    "load_world",
    "simulate",
    "spending_needed",
    "time_to_stock",
]
