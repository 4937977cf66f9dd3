"""The public Python API: load data and scenarios, run engines, get labelled results."""

from __future__ import annotations

from pathlib import Path

from burdenshift.domain.load import load_world
from burdenshift.domain.world import World
from burdenshift.engine import assess as _assess
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


__all__ = ["Params", "Scenario", "World", "assess", "load_scenario", "load_world", "simulate"]
