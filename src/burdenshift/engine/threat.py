"""`threat`: the race against Russia — Europe's and Russia's stock and yearly output per metric.

Russia's path is its latest estimated holdings plus its yearly output (new and refurbished)
less what the war against Ukraine uses (threat.csv; counting.threat_stock_path). Europe's output
is what its own lines make for Europe at today's rates (capacity already financed included) and
at the fastest feasible ramp; its stock is the holdings projected at today's rates (assess),
gross like Russia's counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.assess import project_capability
from burdenshift.engine.params import from_scenario
from burdenshift.scenario.schema import Scenario


@dataclass(frozen=True)
class MetricRace:
    metric: str
    name: str
    unit: str
    europe_stock: tuple[float, ...]
    russia_stock: tuple[float, ...]
    stock_ratio: tuple[float | None, ...]
    """Europe's stock over Russia's, per year."""
    europe_output: tuple[float, ...]
    """Europe's own lines, a year, at today's rates."""
    europe_output_max_ramp: tuple[float, ...]
    russia_output: float | None
    """None: not estimated."""
    russia_use: float | None
    overtakes: int | None
    """The first year from which Europe's output at today's rates stays at or above Russia's."""
    overtakes_max_ramp: int | None
    weak: bool
    """Russia's figures for this metric are low-confidence or assumptions."""


@dataclass(frozen=True)
class Race:
    years: tuple[int, ...]
    metrics: tuple[MetricRace, ...]


def race(world: World, scenario: Scenario) -> Race:
    years = np.array(scenario.years)
    p = from_scenario(world, scenario)
    europe = world.europe_mask(scenario.europe_includes_canada)
    req = counting.requirement(world, scenario, years)
    gross = np.ones((len(world.systems), len(years)))
    _, stock = project_capability(world, scenario, p, years, europe, req, gross, ramping=False)
    today, fastest = _european_output(world, scenario, years)
    russia = counting.threat_stock_path(world, scenario, years)
    weak = {f.key for f in world.figures if f.table == "threat.csv" and f.weak}
    out = []
    for m in np.flatnonzero(~np.isnan(world.threat_stock)):
        ratio = tuple(
            float(e / r) if r > 0 else None for e, r in zip(stock[m], russia[m], strict=True)
        )
        out.append(
            MetricRace(
                metric=world.metrics[m],
                name=world.metric_names[m],
                unit=world.metric_units[m],
                europe_stock=tuple(float(x) for x in stock[m]),
                russia_stock=tuple(float(x) for x in russia[m]),
                stock_ratio=ratio,
                europe_output=tuple(float(x) for x in today[m]),
                europe_output_max_ramp=tuple(float(x) for x in fastest[m]),
                russia_output=_known(world.threat_output[m]),
                russia_use=_known(world.threat_use[m]),
                overtakes=_overtakes(today[m], world.threat_output[m], years),
                overtakes_max_ramp=_overtakes(fastest[m], world.threat_output[m], years),
                weak=world.metrics[m] in weak,
            )
        )
    return Race(years=tuple(int(y) for y in years), metrics=tuple(out))


def _european_output(
    world: World, scenario: Scenario, years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(metric, year) output of European lines for Europe: today's rates and the fastest ramp."""
    european = ~world.line_is_us
    committed = counting.committed_capacity(world, years)
    steps = np.maximum(0, years[None, :] - world.base_year - world.lead_time_years[:, None] + 1)
    ramp = world.max_ramp_share_per_year * world.capacity_ceiling_per_year
    fastest = np.maximum(
        np.minimum(world.capacity_ceiling_per_year[:, None], committed + ramp[:, None] * steps),
        committed,
    )
    value = world.value_per_unit[world.line_system] * world.europe_share * european
    per_metric = np.zeros((len(world.lines), len(world.metrics)))
    per_metric[np.arange(len(world.lines)), world.system_metric[world.line_system]] = value
    return per_metric.T @ committed, per_metric.T @ fastest


def _known(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _overtakes(output: np.ndarray, russia: float, years: np.ndarray) -> int | None:
    """None when Russia's output is not estimated, and when neither side produces anything."""
    if np.isnan(russia):
        return None
    ok = (output >= russia - 1e-9) & (output > 0)
    held = np.flip(np.logical_and.accumulate(np.flip(ok)))
    return int(years[np.argmax(held)]) if held.any() else None
