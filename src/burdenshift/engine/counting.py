"""How capability, requirement, coverage, the US contribution and budgets are counted.

One place for the definitions of docs/method.md, so every engine means the same by the same word.
Arrays may carry a leading batch axis; functions broadcast over it.
"""

from __future__ import annotations

import numpy as np

from burdenshift.domain.reader import FILE_SET
from burdenshift.domain.world import NATO_CAMPAIGN_DAYS, RATIO_TO_RUSSIA, TODAY, World
from burdenshift.engine.params import LICENCE_LEVEL, Params
from burdenshift.scenario.schema import Scenario


def requirement_set(world: World, scenario: Scenario) -> str:
    """The id of the requirement set a run measures against."""
    if scenario.requirement_is_file:
        return FILE_SET
    return scenario.requirement or world.requirement_default


def requirement_label(world: World, scenario: Scenario) -> str:
    """The set's name in words, for every output."""
    sid = requirement_set(world, scenario)
    if sid == TODAY:
        return "today (comparator: today's European holdings plus the US contribution)"
    if sid == RATIO_TO_RUSSIA:
        return "ratio-to-russia (a stated force ratio to Russia's projected holdings)"
    return f"{sid} ({world.requirement_set_names[world.requirement_sets.index(sid)]})"


def campaign_days(world: World, scenario: Scenario) -> float:
    """Days of high-intensity war the munition stocks must last."""
    if scenario.campaign_days is not None:
        return float(scenario.campaign_days)
    sid = requirement_set(world, scenario)
    if sid in world.requirement_sets:
        return float(world.campaign_days[world.requirement_sets.index(sid)])
    default = world.requirement_default
    if default in world.requirement_sets:
        return float(world.campaign_days[world.requirement_sets.index(default)])
    return NATO_CAMPAIGN_DAYS


def requirement(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(metric, year) what defending Europe needs in each metric: data, never a sum of holdings
    (except the `today` comparator), times the scenario's growth factor.

    A munition's requirement is its campaign stock: daily use in high-intensity war × campaign
    days. `ratio-to-russia` asks a force ratio times Russia's projected holdings where they are
    estimated, and the data's default set elsewhere.
    """
    sid = requirement_set(world, scenario)
    n_t = len(years)
    if sid == TODAY:
        ready = europe_readiness(world, scenario, years[:1])[0, :, 0]
        europe = world.europe_mask(scenario.europe_includes_canada)
        held = (world.holdings * europe[:, None]).sum(0) * ready
        per_metric = (
            held + world.us_contribution * world.us_availability
        ) @ world.system_to_metric()
        base = np.repeat(per_metric[:, None], n_t, axis=1)
    else:
        fallback = sid if sid in world.requirement_sets else world.requirement_default
        if fallback in world.requirement_sets:
            row = world.requirement_quantity[world.requirement_sets.index(fallback)]
        else:
            row = np.full(len(world.metrics), np.nan)
        base = np.repeat(np.nan_to_num(row, nan=0.0)[:, None], n_t, axis=1)
        if sid == RATIO_TO_RUSSIA:
            ratio = np.array(
                [scenario.force_ratio_by_metric.get(m, scenario.force_ratio) for m in world.metrics]
            )
            known = ~np.isnan(world.threat_stock)
            base[known] = ratio[known, None] * threat_stock_path(world, scenario, years)[known]
    campaign = ~np.isnan(world.daily_use)
    base[campaign] = (world.daily_use[campaign] * campaign_days(world, scenario))[:, None]
    growth = np.array(
        [
            scenario.requirement_growth_by_area.get(a, scenario.requirement_growth)
            for a in world.areas
        ]
    )
    return base * growth[world.metric_area][:, None]


def threat_stock_path(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(metric, year) Russia's projected holdings: the latest estimate as the base year's level
    (an older estimate is not projected forward to it), then each year plus its output, less
    what the war against Ukraine uses until `russia_war_ends`; never below zero, so a stock used
    up stays at zero until output refills it. An output or use not estimated counts as zero."""
    level = np.nan_to_num(world.threat_stock, nan=0.0)
    output = np.nan_to_num(world.threat_output, nan=0.0)
    use = np.nan_to_num(world.threat_use, nan=0.0)
    start = np.maximum(world.threat_year, world.base_year)
    path = np.zeros((len(world.metrics), len(years)))
    ends = scenario.russia_war_ends
    for t, y in enumerate(years):
        grows = y > start
        war = grows & (ends is None or y <= ends)
        level = np.maximum(level + grows * output - war * use, 0.0)
        path[:, t] = level
    return np.where(np.isnan(world.threat_stock)[:, None], np.nan, path)


def europe_readiness(
    world: World, scenario: Scenario, years: np.ndarray, licence: np.ndarray | None = None
) -> np.ndarray:
    """(batch, system, year) share of Europe's holdings ready for war.

    Availability (serviceability, crews) of the European fleet, weighted by who holds it, times
    the dependence factor of systems with US-made parts: with licences capped or refused their
    availability falls in a straight line to an assumed floor over `dependence_years`, in
    proportion to the share of licences refused (`licence` per batch row: 1 granted, 0 refused).
    The floor is the whole fleet's factor: it already allows for the share that is US-made.
    """
    if licence is None:
        licence = np.array(
            [LICENCE_LEVEL.get(scenario.export.us_licences, scenario.export.licence_cap_share)]
        )
    europe = world.europe_mask(scenario.europe_includes_canada)
    held = world.holdings * europe[:, None]
    total = held.sum(0)
    fleet = np.divide(
        (held * world.availability).sum(0),
        total,
        out=world.availability[europe].mean(0) if europe.any() else np.ones(len(world.systems)),
        where=total > 0,
    )
    elapsed = np.clip(
        (years[None, :] - world.base_year) / np.maximum(world.dependence_years, 1e-9)[:, None],
        0.0,
        1.0,
    )
    loss = (1.0 - world.dependence_floor)[:, None] * elapsed  # (system, year) when refused
    refused = 1.0 - np.asarray(licence, dtype=float)
    dependent = (world.us_made > 0)[:, None]
    # 1 - refused x loss on dependent systems, times the fleet's availability, built in one
    # (batch, system, year) array: the batch is thousands of rows in `risk`
    out = np.multiply.outer(refused, np.where(dependent, loss, 0.0))
    np.subtract(1.0, out, out=out)
    out *= fleet[None, :, None]
    return out


def ukraine_transfers(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(system, year) items Europe sends Ukraine each year after the base year (the data's
    yearly figures, scaled, replaced per system, and ending after `until`)."""
    support = scenario.ukraine_support
    per_year = world.ukraine_per_year * support.multiplier
    for name, items in support.by_system.items():
        per_year[world.systems.index(name)] = items
    on = years > world.base_year
    if support.until is not None:
        on &= years <= support.until
    return per_year[:, None] * on[None, :]


def training_use(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(system, year) munitions fired in training each year after the base year: a metric's
    yearly use (expenditure.csv), shared over its systems by their part of Europe's stock."""
    europe = world.europe_mask(scenario.europe_includes_canada)
    capability = (world.holdings * europe[:, None]).sum(0) * world.value_per_unit
    per_metric = np.zeros(len(world.metrics))
    np.add.at(per_metric, world.system_metric, capability)
    share = np.divide(
        capability,
        per_metric[world.system_metric],
        out=np.zeros_like(capability),
        where=per_metric[world.system_metric] > 0,
    )
    items = np.divide(
        world.training_use_per_year[world.system_metric] * share,
        world.value_per_unit,
        out=np.zeros_like(share),
        where=world.value_per_unit > 0,
    )
    return items[:, None] * (years > world.base_year)[None, :]


def yearly_draw(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(system, year) items leaving Europe's stocks each year other than by retirement:
    transfers to Ukraine and training use."""
    return ukraine_transfers(world, scenario, years) + training_use(world, scenario, years)


def arrivals(world: World, ordered: np.ndarray) -> np.ndarray:
    """(line, year) items arriving in Europe's stocks from items ordered (line, year; the base
    year first): each line's orders arrive after its delivery lag, and in the first `lag` years
    today's output arrives on orders placed before the base year."""
    out = np.zeros_like(ordered)
    n_t = ordered.shape[1]
    prior = world.capacity_per_year * world.europe_share
    for lag in np.unique(world.line_lag_years):
        k = int(lag)
        lines = world.line_lag_years == lag
        if k < n_t:
            out[lines, k:] += ordered[lines, : n_t - k]
        out[lines, 1 : k + 1] += prior[lines, None]
    return out


def baseline_stock(
    world: World, scenario: Scenario, years: np.ndarray, stock0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(system, year) Europe's stock with no new orders — today's, retiring, receiving what was
    ordered before the base year, less the transfers to Ukraine and training use it can give —
    and (system, year) what it gives them."""
    keep = 1.0 - 1.0 / world.service_life_years
    asked = yearly_draw(world, scenario, years)
    prior = np.zeros((len(world.systems), len(years)))
    np.add.at(prior, world.line_system, arrivals(world, np.zeros((len(world.lines), len(years)))))
    out, given = np.zeros_like(prior), np.zeros_like(prior)
    level = stock0.astype(float)
    for t in range(len(years)):
        if t:
            level = level * keep + prior[:, t]
            given[:, t] = np.minimum(asked[:, t], level)
            level = level - given[:, t]
        out[:, t] = level
    return out, given


def us_made_share(world: World, scenario: Scenario) -> np.ndarray:
    """(area,) share of Europe's capability today that is US-made."""
    europe = world.europe_mask(scenario.europe_includes_canada)
    s2m = world.system_to_metric()
    held = (world.holdings * world.availability * europe[:, None]).sum(0)
    total = held @ s2m
    us = (held * world.us_made) @ s2m
    per_metric = np.divide(us, total, out=np.zeros_like(total), where=total > 0)
    return area_mean(world, per_metric)


def force_share(world: World, europe: np.ndarray, us: np.ndarray) -> np.ndarray:
    """(…, area) Europe's share of the allied force, E / (E + U), per metric then weighted;
    metrics where neither side holds anything are left out of the area's mean (NaN if all are).

    Not the headline: it rises when the US leaves even if Europe builds nothing.
    """
    total = europe + us
    per_metric = np.divide(europe, total, out=np.zeros_like(total), where=total > 0)
    has = (total > 0).astype(float)
    m2a = world.metric_to_area()
    weight = has @ m2a
    return np.divide(per_metric @ m2a, weight, out=np.full_like(weight, np.nan), where=weight > 0)


def force_share_metric(europe: float, us: float) -> float:
    """E / (E + U) for one metric; NaN when neither side holds anything."""
    return europe / (europe + us) if europe + us > 0 else float("nan")


def days_of_war(world: World, stock: np.ndarray) -> np.ndarray:
    """(…, metric) days a munition stock lasts at high-intensity use; NaN for other metrics."""
    use = world.daily_use
    return np.where(np.isnan(use), np.nan, stock / np.where(np.isnan(use), 1.0, use))


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
    world: World,
    params: Params,
    year: int,
    c2_coverage: np.ndarray,
    penalty_factor: np.ndarray | None = None,
) -> np.ndarray:
    """(batch, area) share of European capability that counts after the US leaves coordination.

    1 − p[a] · max(0, 1 − coverage of C2) once the withdrawal year has come; 1 before.
    `penalty_factor` (batch, area): drawn penalties as factors on the stated ones.
    """
    left = (year >= params.coordination_year)[:, None]
    penalty = world.integration_penalty[None, :]
    if penalty_factor is not None:
        penalty = penalty * penalty_factor
    loss = penalty * np.maximum(0.0, 1.0 - c2_coverage)[:, None]
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
