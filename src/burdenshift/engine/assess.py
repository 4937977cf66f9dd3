"""`assess`: closed-form answers per area — where Europe stands, and how far today's lines or
their fastest ramp can take it by the deadline.

All of Europe's accessible output is counted as bought (no allocation between areas), unless the
European procurement budget cannot pay for it: then every line's deliveries are scaled by the
same factor. The binding reason is found by relaxing one limit at a time and keeping the one
that raises the area's share at the deadline most.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.params import Params, from_scenario
from burdenshift.scenario.schema import Scenario

RELAXATIONS = {
    "lead time": "lead_time",
    "capacity (ramp rate)": "ramp",
    "capacity (ceiling)": "ceiling",
    "budget": "budget",
    "critical input": "inputs",
    "export licences": "licences",
}


@dataclass(frozen=True)
class AreaAssessment:
    area: str
    name: str
    europe: float
    """European capability today as a share of the requirement (metric-weighted, not capped)."""
    us: float
    europe_share_now: float
    share_at_deadline_current_rates: float
    share_at_deadline_max_ramp: float
    year_target_current_rates: int | None
    year_target_max_ramp: int | None
    binding: str
    verdict: str
    target: float
    european_producer: bool
    weak_share: float
    """Share of today's capability resting on low-confidence or assumed figures."""
    force_share_now: float | None
    """Europe's share of the allied force today, E / (E + U): not coverage (see docs/method.md)."""
    force_share_at_deadline: float | None
    """The same in the deadline year, at the fastest ramp, with the US on its drawdown path."""
    us_made_share: float
    """Share of Europe's capability today that is US-made (US spares, software, munitions)."""
    metrics: tuple[dict[str, float | str | None], ...]


@dataclass(frozen=True)
class AllyBurden:
    ally: str
    name: str
    gdp_usd_bn: float
    defence_pct_gdp: float
    defence_spending_usd_bn: float
    spending_share: float
    gdp_share: float
    gdp_proportional_usd_bn: float
    """What the ally would spend if Europe's total were shared by GDP."""
    burden_ratio: float
    """Spending share / GDP share: above 1 carries more than its GDP share."""
    contribution: dict[str, float]
    """Share of Europe's capability in each area held by this ally."""


@dataclass(frozen=True)
class Assessment:
    requirement: str
    """The requirement set measured against, in words."""
    requirement_set: str
    campaign_days: float
    deadline: int
    target_share: float
    years: tuple[int, ...]
    areas: tuple[AreaAssessment, ...]
    allies: tuple[AllyBurden, ...]
    share_current: np.ndarray
    """(area, year) coverage at today's production rates."""
    share_max_ramp: np.ndarray
    """(area, year) coverage at the fastest feasible ramp."""
    us_share_of_requirement: np.ndarray
    """(area, year) US contribution as a share of the requirement on the drawdown path."""
    days_of_war: dict[str, dict[int, float]]
    """Per munition metric and year: days Europe's stock lasts at high-intensity use (fastest
    ramp)."""

    def to_frame(self) -> Any:
        """One row per area (pandas); shares are fractions of the requirement."""
        import pandas as pd

        rows = [{k: v for k, v in asdict(a).items() if k != "metrics"} for a in self.areas]
        return pd.DataFrame(rows).set_index("area")

    def allies_frame(self) -> Any:
        import pandas as pd

        rows = []
        for b in self.allies:
            row = {k: v for k, v in asdict(b).items() if k != "contribution"}
            row.update({f"contribution_{k}": v for k, v in b.contribution.items()})
            rows.append(row)
        return pd.DataFrame(rows).set_index("ally")


def assess(world: World, scenario: Scenario) -> Assessment:
    p = from_scenario(world, scenario)
    years = np.array(scenario.years)
    europe = world.europe_mask(scenario.europe_includes_canada)
    s2m = world.system_to_metric()
    stock0 = (world.holdings * europe[:, None]).sum(0)
    ready = counting.europe_readiness(world, scenario, years, p.licence_level[:1])[0]
    e_now = (stock0 * ready[:, 0]) @ s2m
    req = counting.requirement(world, scenario, years)
    u_now = (world.us_contribution * world.us_availability) @ s2m
    target = counting.targets(world, scenario)
    dl = list(years).index(scenario.deadline)

    current, _ = project_capability(world, scenario, p, years, europe, req, ready, ramping=False)
    fastest, cap_fast = project_capability(
        world, scenario, p, years, europe, req, ready, ramping=True
    )
    relaxed = {
        reason: project_capability(
            world, scenario, p, years, europe, req, ready, ramping=True, relax=key
        )[0]
        for reason, key in RELAXATIONS.items()
    }
    us_path = counting.us_path(p, years)[0][world.metric_area, :]  # (metric, year)
    cap_us = u_now[:, None] * us_path
    us_area = world.metric_to_area().T @ counting.coverage(cap_us, req)
    force_now = counting.force_share(world, e_now, u_now)
    force_dl = counting.force_share(world, cap_fast[:, dl], cap_us[:, dl])
    days = counting.days_of_war(world, cap_fast.T).T  # (metric, year)
    us_made = counting.us_made_share(world, scenario)

    european_line = ~world.line_is_us
    area_has_line = np.zeros(len(world.areas), dtype=bool)
    area_has_line[world.system_area[world.line_system[european_line]]] = True
    weak = counting.weak_share(world, europe)

    cov_now_metric = counting.coverage(e_now, req[:, 0])
    areas = []
    for a, area in enumerate(world.areas):
        now = float(fastest[a, 0])
        y_cur = _first_year(current[a], target[a], years)
        y_max = _first_year(fastest[a], target[a], years)
        binding = _binding(a, fastest, relaxed, dl, target[a], bool(area_has_line[a]))
        ms = np.flatnonzero(world.metric_area == a)
        metrics = tuple(
            {
                "metric": world.metrics[m],
                "name": world.metric_names[m],
                "unit": world.metric_units[m],
                "europe": float(e_now[m]),
                "us": float(u_now[m]),
                "requirement": float(req[m, 0]),
                "requirement_at_deadline": float(req[m, dl]),
                "weight": float(world.metric_weight[m]),
                "europe_share_now": float(cov_now_metric[m]),
                "force_share_now": _maybe(counting.force_share_metric(e_now[m], u_now[m])),
                "days_of_war_now": _maybe(days[m, 0]),
                "days_of_war_at_deadline": _maybe(days[m, dl]),
            }
            for m in ms
        )
        areas.append(
            AreaAssessment(
                area=area,
                name=world.area_names[a],
                europe=_index(e_now, req[:, 0], world.metric_weight, ms),
                us=_index(u_now, req[:, 0], world.metric_weight, ms),
                europe_share_now=now,
                share_at_deadline_current_rates=float(current[a, dl]),
                share_at_deadline_max_ramp=float(fastest[a, dl]),
                year_target_current_rates=y_cur,
                year_target_max_ramp=y_max,
                binding=binding,
                verdict=_verdict(
                    scenario.deadline, target[a], float(fastest[a, dl]), y_max, binding
                ),
                target=float(target[a]),
                european_producer=bool(area_has_line[a]),
                weak_share=float(weak[a]),
                force_share_now=_maybe(force_now[a]),
                force_share_at_deadline=_maybe(force_dl[a]),
                us_made_share=float(us_made[a]),
                metrics=metrics,
            )
        )
    munitions = np.flatnonzero(~np.isnan(world.daily_use))
    return Assessment(
        requirement=counting.requirement_label(world, scenario),
        requirement_set=counting.requirement_set(world, scenario),
        campaign_days=counting.campaign_days(world, scenario),
        deadline=scenario.deadline,
        target_share=scenario.target_share,
        years=tuple(int(y) for y in years),
        areas=tuple(areas),
        allies=_burden(world, europe),
        share_current=current,
        share_max_ramp=fastest,
        us_share_of_requirement=us_area,
        days_of_war={
            world.metrics[m]: {int(y): float(days[m, t]) for t, y in enumerate(years)}
            for m in munitions
        },
    )


def _maybe(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def project_capability(
    world: World,
    scenario: Scenario,
    p: Params,
    years: np.ndarray,
    europe: np.ndarray,
    req: np.ndarray,
    ready: np.ndarray,
    *,
    ramping: bool,
    relax: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(area, year) European coverage if Europe buys all it can get from its lines, and the
    (metric, year) capability ready for war behind it."""
    base = world.base_year
    cap0 = world.capacity_per_year
    committed = counting.committed_capacity(world, years)  # (line, year), already financed
    ceiling = world.capacity_ceiling_per_year * (2.0 if relax == "ceiling" else 1.0)
    ramp_share = np.ones_like(cap0) if relax == "ramp" else world.max_ramp_share_per_year
    lead = np.zeros_like(world.lead_time_years) if relax == "lead_time" else world.lead_time_years
    steps = np.maximum(0, years[None, :] - base - lead[:, None] + 1)
    if ramping:
        cap = np.minimum(
            ceiling[:, None],
            committed + ramp_share[:, None] * world.capacity_ceiling_per_year[:, None] * steps,
        )
        cap = np.maximum(cap, committed)
    else:
        cap = committed.astype(float)
    # Europe as a whole may receive what any European ally may receive
    access = counting.route_access(world, scenario, p, int(years[min(1, len(years) - 1)]))[0]
    line_access = (
        np.ones(len(world.lines)) if relax == "licences" else access[:, europe].max(axis=1)
    )

    def available(capacity: np.ndarray) -> np.ndarray:
        """(line, year) items Europe may receive from a capacity path, inputs rationed."""
        out = capacity * (world.europe_share * line_access)[:, None]
        if relax != "inputs":
            uses = world.input_use * (~world.line_is_us)[:, None]
            need = uses.T @ out  # (input, year)
            supply = (
                world.input_supply_per_year[:, None]
                * (1 + world.input_max_growth_share[:, None]) ** (years - base)[None, :]
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                scale_k = np.where(need > 0, np.minimum(1.0, supply / need), 1.0)
            line_scale = np.where(uses[:, :, None] > 0, scale_k[None, :, :], 1.0).min(axis=1)
            out = out * line_scale
        out[:, 0] = 0.0  # holdings are counted in the base year; deliveries start the year after
        return out

    avail = available(cap)
    if relax != "budget":
        price = world.unit_cost_musd[world.line_system]
        money = counting.procurement_money(world, scenario, years) * p.budget_multiplier[0][:, None]
        money = (money * europe[:, None]).sum(0)
        # money buys today's output first, then the ramp (only capacity beyond what is already
        # financed is paid for): the fastest ramp never delivers less than today's rates
        floor = available(committed.astype(float))
        floor_cost = price @ floor
        extra = cap - committed
        added = np.diff(extra, axis=1, prepend=extra[:, :1])
        ramp_cost = price @ (avail - floor) + world.capex_musd_per_unit_capacity @ np.maximum(
            added, 0
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            floor_share = np.where(floor_cost > 0, np.minimum(1.0, money / floor_cost), 1.0)
            left = np.maximum(0.0, money - floor_cost)
            ramp_share = np.where(ramp_cost > 0, np.minimum(1.0, left / ramp_cost), 1.0)
        avail = floor * floor_share[None, :] + (avail - floor) * ramp_share[None, :]
    deliveries = np.zeros((len(world.systems), len(years)))
    np.add.at(deliveries, world.line_system, counting.arrivals(world, avail))
    keep = 1.0 - 1.0 / world.service_life_years
    sent = counting.yearly_draw(world, scenario, years)
    stock = np.zeros_like(deliveries)
    stock[:, 0] = (world.holdings * europe[:, None]).sum(0)
    for t in range(1, len(years)):
        stock[:, t] = np.maximum(stock[:, t - 1] * keep + deliveries[:, t] - sent[:, t], 0.0)
    cap_e = world.system_to_metric().T @ (stock * ready)  # (metric, year)
    cov = counting.coverage(cap_e, req)
    c2 = world.areas.index("c2") if "c2" in world.areas else None
    shares = np.zeros((len(world.areas), len(years)))
    m2a = world.metric_to_area()
    for t, year in enumerate(years):
        c2_cov = np.array([m2a[:, c2] @ cov[:, t]]) if c2 is not None else np.ones(1)
        factor = counting.integration_factor(world, p, int(year), c2_cov)[0][world.metric_area]
        shares[:, t] = m2a.T @ counting.coverage(cap_e[:, t] * factor, req[:, t])
    return shares, cap_e


def _index(cap: np.ndarray, req: np.ndarray, weight: np.ndarray, ms: np.ndarray) -> float:
    """Capability as a weighted share of the requirement, not capped at 1."""
    r = req[ms]
    return float((np.where(r > 0, cap[ms] / np.where(r > 0, r, 1), 0) * weight[ms]).sum())


def _first_year(share: np.ndarray, target: float, years: np.ndarray) -> int | None:
    """The first year from which the share stays at or above the target to the horizon's end."""
    return first_year_held(share[None, :], target, years)[0]


def first_year_held(
    share: np.ndarray, target: float | np.ndarray, years: np.ndarray
) -> list[int | None]:
    """Per row of (rows, year): the first year from which share >= target to the end, or None."""
    ok = (
        share >= np.asarray(target)[..., None] - 1e-9 if np.ndim(target) else share >= target - 1e-9
    )
    held = np.flip(np.logical_and.accumulate(np.flip(ok, axis=-1), axis=-1), axis=-1)
    first = np.argmax(held, axis=-1)
    return [int(years[f]) if held[i, f] else None for i, f in enumerate(first)]


def _binding(
    a: int,
    fastest: np.ndarray,
    relaxed: dict[str, np.ndarray],
    dl: int,
    target: float,
    has_line: bool,
) -> str:
    if fastest[a, dl] >= target - 1e-9:
        return "none (target met)"
    if not has_line:
        return "no European producer"
    gains = {reason: share[a, dl] - fastest[a, dl] for reason, share in relaxed.items()}
    reason, gain = max(gains.items(), key=lambda kv: kv[1])
    return reason if gain > 1e-6 else "capacity (ceiling)"


def _verdict(
    deadline: int, target: float, at_deadline: float, year: int | None, binding: str
) -> str:
    if at_deadline >= target - 1e-9:
        return f"Can hold {target:.0%} by {deadline} at the fastest ramp ({at_deadline:.0%})."
    later = f"reaches {target:.0%} in {year}" if year else "does not reach it within the horizon"
    return (
        f"Misses {deadline}: {at_deadline:.0%} at the fastest ramp; {later}; "
        f"held back by {binding}."
    )


def _burden(world: World, europe: np.ndarray) -> tuple[AllyBurden, ...]:
    spending = world.defence_budget_musd() / 1000.0
    total_spend = spending[europe].sum()
    total_gdp = world.gdp_usd_bn[europe].sum()
    s2m = world.system_to_metric()
    per_ally = world.holdings @ s2m  # (ally, metric)
    europe_total = (per_ally * europe[:, None]).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        metric_share = np.where(
            europe_total > 0, per_ally / np.where(europe_total > 0, europe_total, 1), 0
        )
    area_share = counting.area_mean(world, metric_share)
    out = []
    for i in np.flatnonzero(europe):
        gdp_share = world.gdp_usd_bn[i] / total_gdp
        share = spending[i] / total_spend
        out.append(
            AllyBurden(
                ally=world.allies[i],
                name=world.ally_names[i],
                gdp_usd_bn=float(world.gdp_usd_bn[i]),
                defence_pct_gdp=float(world.defence_pct_gdp[i]),
                defence_spending_usd_bn=float(spending[i]),
                spending_share=float(share),
                gdp_share=float(gdp_share),
                gdp_proportional_usd_bn=float(gdp_share * total_spend),
                burden_ratio=float(share / gdp_share) if gdp_share > 0 else 0.0,
                contribution={a: float(area_share[i, k]) for k, a in enumerate(world.areas)},
            )
        )
    return tuple(out)
