"""How capability, requirement, coverage, the US contribution and budgets are counted.

One place for the definitions of docs/method.md, so every engine means the same by the same word.
Arrays may carry a leading batch axis; functions broadcast over it.
"""

from __future__ import annotations

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine.params import Params
from burdenshift.scenario.schema import Scenario


def requirement(world: World, scenario: Scenario, europe_now: np.ndarray) -> np.ndarray:
    """(metric,) requirement: today's NATO total for Europe's defence, scaled by the scenario."""
    us_now = world.us_contribution @ world.system_to_metric()
    growth = np.array(
        [
            scenario.requirement_growth_by_area.get(a, scenario.requirement_growth)
            for a in world.areas
        ]
    )
    return (europe_now + us_now) * growth[world.metric_area]


def coverage(capability: np.ndarray, req: np.ndarray) -> np.ndarray:
    """min(E / R, 1) per metric; a metric with no requirement counts as covered."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(req > 0, np.minimum(capability / np.where(req > 0, req, 1.0), 1.0), 1.0)


def area_mean(world: World, per_metric: np.ndarray) -> np.ndarray:
    """Weighted mean over each area's metrics; the metric axis is the last one."""
    return per_metric @ world.metric_to_area()


def targets(world: World, scenario: Scenario) -> np.ndarray:
    """(area,) target share of the requirement Europe must cover."""
    return np.array(
        [scenario.target_share_by_area.get(a, scenario.target_share) for a in world.areas]
    )


def us_path(params: Params, years: np.ndarray) -> np.ndarray:
    """(batch, area, year) share of today's US contribution still committed."""
    start = params.drawdown_start[:, :, None]
    end = params.drawdown_end[:, :, None]
    floor = params.us_floor_share[:, :, None]
    t = years[None, None, :]
    span = np.maximum(end - start + 1, 1)
    progress = np.clip((t - start + 1) / span, 0.0, 1.0)
    return 1.0 - (1.0 - floor) * progress


def integration_factor(
    world: World, params: Params, year: int, c2_coverage: np.ndarray
) -> np.ndarray:
    """(batch, area) share of European capability that counts after the US leaves coordination.

    1 − p[a] · max(0, 1 − coverage of C2) once the withdrawal year has come; 1 before.
    """
    left = (year >= params.coordination_year)[:, None]
    loss = world.integration_penalty[None, :] * np.maximum(0.0, 1.0 - c2_coverage)[:, None]
    return np.where(left, 1.0 - loss, 1.0)


def defence_pct_path(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(ally, year) defence spending in % of GDP.

    `latest` holds today's figure; `pledge` moves in a straight line to the 2035 core pledge
    (3.5 %) and stays there; explicit points override from the first point on, linear in between.
    """
    base = world.base_year
    now = world.defence_pct_gdp[:, None]
    if scenario.budget.path == "pledge":
        goal = np.maximum(world.core_pct_gdp_2035, world.defence_pct_gdp)[:, None]
        frac = np.clip((years[None, :] - base) / max(2035 - base, 1), 0.0, 1.0)
        path = now + (goal - now) * frac
    else:
        path = np.repeat(now, len(years), axis=1)
    for i, ally in enumerate(world.allies):
        points = scenario.budget.by_ally.get(ally) or scenario.budget.pct_gdp
        if points:
            xs = [base, *sorted(points)]
            ys = [float(world.defence_pct_gdp[i]), *(points[y] for y in sorted(points))]
            path[i] = np.interp(years, xs, ys)
    return path


def procurement_money(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(ally, year) money for the modelled systems, USD_m: GDP · defence % · equipment share ·
    available share, GDP growing at the real growth rate."""
    gdp = world.gdp_usd_bn[:, None] * (1.0 + world.gdp_real_growth) ** (
        years[None, :] - world.base_year
    )
    pct = defence_pct_path(world, scenario, years)
    return gdp * 1000.0 * pct / 100.0 * world.equipment_share[:, None] * world.available_share


CLOSED, OPEN, LICENSED = 0, 1, 2
"""Route codes: closed; open; open as far as US licences allow."""


def route_codes(world: World, scenario: Scenario, year: int) -> np.ndarray:
    """(line, ally) route codes this year, the same for every parameter set.

    US lines sell through FMS only as far as licences allow; a European line with US-controlled
    content needs a licence to deliver to any ally but its own country; the US buys nothing
    here; the scenario's closed routes are closed.
    """
    n_ally = len(world.allies)
    own = world.line_country[:, None] == np.arange(n_ally)[None, :]
    licensable = (world.line_is_us | (world.us_content_share > 0))[:, None] & ~own
    codes = np.where(licensable, LICENSED, OPEN)
    codes[:, world.us_index] = CLOSED
    for rule in scenario.export.closed_routes:
        if rule.until is not None and year >= rule.until:
            continue
        if rule.line is not None:
            line_mask = np.array([lid == rule.line for lid in world.lines])
        else:
            line_mask = world.line_country == world.allies.index(rule.from_country or "")
        to = (
            np.ones(n_ally, dtype=bool)
            if rule.to == "all"
            else np.isin(np.array(world.allies), rule.to)
        )
        codes[line_mask[:, None] & to[None, :]] = CLOSED
    return codes


def access_from_codes(codes: np.ndarray, licence_level: np.ndarray) -> np.ndarray:
    """(batch or 1, …codes' shape) share of orders on each route that may be delivered."""
    levels = np.unique(licence_level)
    lic = levels if levels.size == 1 else licence_level
    lic = lic.reshape((-1,) + (1,) * codes.ndim)
    return np.where(codes == LICENSED, lic, (codes == OPEN).astype(float))


def route_access(world: World, scenario: Scenario, params: Params, year: int) -> np.ndarray:
    """(batch or 1, line, ally) share of orders on each route that may be delivered this year."""
    return access_from_codes(route_codes(world, scenario, year), params.licence_level)


def financed_capacity(world: World) -> np.ndarray:
    """(line,) capacity once the expansions already financed and under way have arrived."""
    cap0 = world.capacity_per_year
    planned = world.planned_capacity_year > 0
    return np.where(planned, np.maximum(cap0, world.planned_capacity_per_year), cap0)


def committed_capacity(world: World, years: np.ndarray) -> np.ndarray:
    """(line, year) capacity with no new orders: today's, stepping up to the financed capacity in
    its year."""
    due = (world.planned_capacity_year[:, None] > 0) & (
        years[None, :] >= world.planned_capacity_year[:, None]
    )
    return np.where(due, financed_capacity(world)[:, None], world.capacity_per_year[:, None])


WEAK_THRESHOLD = 0.5
"""An area is flagged when more than this share of its capability rests on weak figures."""


def weak_share(world: World, europe: np.ndarray) -> np.ndarray:
    """(area,) share of today's capability (Europe + US) resting on low-confidence or assumed
    holdings or values per unit."""
    s2m = world.system_to_metric()
    held = (world.holdings * europe[:, None]).sum(0)
    weak_held = (world.holdings * world.holdings_weak * europe[:, None]).sum(0)
    total = held @ s2m + world.us_contribution @ s2m
    weak = weak_held @ s2m + (world.us_contribution * world.us_weak) @ s2m
    per_metric = np.divide(weak, total, out=np.ones_like(total), where=total > 0)
    return area_mean(world, per_metric)


def pooled_price_factor(world: World, europe: np.ndarray) -> np.ndarray:
    """(line,) price factor of pooled buying: one variant from one longer run instead of one
    per European operator — Wright's law on the number of operators, operators^log2(LR)."""
    operators = np.maximum((world.holdings[europe] > 0).sum(0), 1)[world.line_system]
    return operators ** np.log2(world.learning_rate)
