"""Run parameters with a leading batch axis: one row per parameter set.

`simulate` evaluates all rows in one vectorised pass; `from_scenario` gives the single row a
scenario implies, and uncertainty studies stack many rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from burdenshift.domain.world import World
from burdenshift.scenario.schema import Scenario

NEVER = 10_000
"""A year beyond any horizon: 'does not happen'."""

LICENCE_LEVEL = {"granted": 1.0, "refused": 0.0}


@dataclass(frozen=True)
class Params:
    budget_multiplier: np.ndarray
    """(batch, ally) realised share of planned procurement money."""
    ramp_realisation: np.ndarray
    """(batch,) realised share of each line's fastest ramp."""
    lead_delay_years: np.ndarray
    """(batch,) extra years of lead time for new capacity (integers)."""
    cost_overrun: np.ndarray
    """(batch,) factor on unit prices and capital costs."""
    drawdown_start: np.ndarray
    """(batch, area) first year of lower US contribution."""
    drawdown_end: np.ndarray
    """(batch, area) year the floor is reached (== start for a step)."""
    us_floor_share: np.ndarray
    """(batch, area) share of today's US contribution left after the drawdown."""
    licence_level: np.ndarray
    """(batch,) share of licensable deliveries the US approves."""
    coordination_year: np.ndarray
    """(batch,) year the US leaves coordination mechanisms (NEVER: it stays)."""

    @property
    def size(self) -> int:
        return int(self.ramp_realisation.shape[0])

    def rows(self, start: int, stop: int) -> Params:
        """The parameter sets start…stop − 1 of the batch."""
        return Params(**{f.name: getattr(self, f.name)[start:stop] for f in fields(self)})

    def repeat(self, n: int) -> Params:
        """n copies of a single parameter set."""
        return Params(**{f.name: np.repeat(getattr(self, f.name), n, axis=0) for f in fields(self)})


def from_scenario(world: World, scenario: Scenario) -> Params:
    """The one parameter set a scenario implies."""
    n_area = len(world.areas)
    d = scenario.us_drawdown
    start = np.full(n_area, d.start_year or scenario.deadline, dtype=int)
    if d.path == "phased":
        end = np.full(n_area, d.end_year or int(start[0]) + 3, dtype=int)
    else:
        end = start.copy()
    floor = world.us_floor_share.copy()
    if d.path == "none":
        start[:] = NEVER
        end[:] = NEVER
    for area, rule in d.by_area.items():
        a = world.areas.index(area)
        if rule.start_year is not None:
            start[a] = rule.start_year
        if rule.end_year is not None:
            end[a] = rule.end_year
        elif d.path != "phased":
            end[a] = start[a]
        if rule.floor_share is not None:
            floor[a] = rule.floor_share
    end = np.maximum(end, start)
    licence = LICENCE_LEVEL.get(scenario.export.us_licences, scenario.export.licence_cap_share)
    coord = scenario.coordination_withdrawal or NEVER
    return Params(
        budget_multiplier=np.full((1, len(world.allies)), scenario.budget.multiplier),
        ramp_realisation=np.ones(1),
        lead_delay_years=np.zeros(1, dtype=int),
        cost_overrun=np.ones(1),
        drawdown_start=start[None, :],
        drawdown_end=end[None, :],
        us_floor_share=floor[None, :],
        licence_level=np.array([licence]),
        coordination_year=np.array([coord], dtype=int),
    )
