"""Results as the JSON objects and long tables the CLI prints and writes (shapes in README.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.assess import Assessment, first_year_held
from burdenshift.engine.counting import WEAK_THRESHOLD
from burdenshift.engine.runinfo import RunInfo
from burdenshift.engine.threat import Race
from burdenshift.scenario.schema import Scenario

if TYPE_CHECKING:
    from burdenshift.domain.figures import Figure
    from burdenshift.engine.simulate import Simulation

SCOPE = "Conventional forces only: nuclear forces are out of scope."
SIMULATE_POLICY = (
    "The simulated policy orders first where a capability falls short of the target; money those "
    "lines cannot absorb then buys the output other lines have spare this year, toward the full "
    "requirement, and only what is left after that lapses."
)


USD_BN = "USD bn (constant 2025)"
"""The one unit every money figure is shown in."""

COSTS: dict[str, tuple[str, str]] = {
    "spending": (
        "spending",
        "money paid out over the years, undiscounted, in USD bn at constant 2025 prices",
    ),
    "discounted_cost": (
        "discounted cost",
        "the plan's objective: each year's spending discounted to the base year at the data's "
        "discount rate, plus the one-off variant costs, USD bn",
    ),
    "capital_for_new_capacity": (
        "capital for new capacity",
        "the part of spending that pays for new production capacity (only European lines "
        "can be expanded), USD bn",
    ),
    "money_to_european_industry": (
        "money to European industry",
        "spending on items from European lines plus capital for new capacity, USD bn",
    ),
    "money_to_us_industry": (
        "money to US industry",
        "spending on items from US lines (sales through FMS and direct commercial sales), USD bn",
    ),
    "one_off_variant_costs": (
        "one-off variant costs",
        "the plan's cost of adopting a system new to a buyer, part of spending, not split "
        "between industries, USD bn",
    ),
}
"""The cost vocabulary, said once: key -> (label, meaning). JSON carries `<key>_usd_bn`;
tables, the report and the page print the label beside every money figure."""


def money_key(term: str) -> str:
    """The JSON key of a cost term: `spending` -> `spending_usd_bn`."""
    return f"{term}_usd_bn"


URL = re.compile(r"(https?://[^\s;,<>\"')]+)")
"""An address in a source or note, as every report, table and link shows it (one group, so
`URL.split` keeps the addresses)."""


def source_rows(world: World, figures: Iterable[Figure]) -> list[dict[str, Any]]:
    """Figures as `data sources --json` lists them, each marked `drawn`: whether `risk` and
    `sensitivity` draw it under the default scenario (a figure of 0, a `high` one, the money
    and the capital costs are not drawn; docs/method.md)."""
    from burdenshift.engine.data_draws import data_space
    from burdenshift.scenario.loader import DEFAULT, shipped_scenario

    space = data_space(world, shipped_scenario(DEFAULT))
    drawn = {(d.figure.table, d.figure.key, d.figure.field) for d in space.figures}
    return [{**f.as_dict(), "drawn": (f.table, f.key, f.field) in drawn} for f in figures]


def range_text(figure: dict[str, Any]) -> str:
    """A figure's range as `data sources`, reports and the page show it: the row's own
    ("300,000–2,000,000"), or a `medium` figure's default ("85–115, default ±15 %"), with
    ", not drawn" for a figure `risk` leaves as stated; blank without a range."""
    lo, hi = figure.get("low"), figure.get("high")
    if lo is None or hi is None:
        lo, hi = figure.get("range_low"), figure.get("range_high")
    if lo is None or hi is None:
        return ""
    basis = figure.get("range_basis")
    text = f"{num_text(lo)}–{num_text(hi)}" + ("" if basis in (None, "stated") else f", {basis}")
    return text + (", not drawn" if figure.get("drawn") is False else "")


def num_text(x: float) -> str:
    """A figure's number as every table shows it: thousands grouped, at most four significant
    digits below 10,000 ("1,000,000", "0.271", "45.6")."""
    return f"{x:,.0f}" if abs(x) >= 10_000 or float(x).is_integer() else f"{x:.4g}"


def money_text(term: str, musd: float | None) -> str:
    """A money figure with its label, in USD bn: "spending 456.3 USD bn"."""
    label = COSTS[term][0]
    return f"{label} —" if musd is None else f"{label} {musd / 1000:,.1f} USD bn"


def money_block(values_musd: dict[str, float | None]) -> dict[str, Any]:
    """{`<term>_usd_bn`: value, …, "unit", "terms": {key: "label: meaning"}} from USD m."""
    out: dict[str, Any] = {"unit": USD_BN}
    for term, v in values_musd.items():
        out[money_key(term)] = None if v is None else round(float(v) / 1000, 6)
    out["terms"] = {money_key(t): f"{COSTS[t][0]}: {COSTS[t][1]}" for t in values_musd}
    return out


def plan_money(payload: dict[str, Any], world: World, scenario: Scenario) -> dict[str, Any]:
    """A plan's money in the cost vocabulary (USD bn), from its JSON: spending and discounted
    cost as the plan reports them, and the split the plan does not report, from its
    `plan.deliveries` (items per line, at the plan's prices: unit cost, pooled learning
    included) and `plan.expansions` (capacity per line at its capital cost), by the country
    of each line. `world` must be the world the plan ran on (the scenario applied)."""
    europe = world.europe_mask(scenario.europe_includes_canada)
    price = world.unit_cost_musd[world.line_system].astype(float)
    if payload.get("mode") == "pooled":
        price = price * counting.pooled_price_factor(world, europe)
    index = {line: i for i, line in enumerate(world.lines)}
    tables = payload.get("plan") or {}
    to_europe = to_us = 0.0
    for row in tables.get("deliveries", []):
        i = index[row["line"]]
        if world.line_is_us[i]:
            to_us += row["items"] * price[i]
        else:
            to_europe += row["items"] * price[i]
    capital = sum(
        r["items_per_year"] * world.capex_musd_per_unit_capacity[index[r["line"]]]
        for r in tables.get("expansions", [])
    )
    spending = payload["cost_musd"]["total"]
    return money_block(
        {
            "spending": spending,
            "discounted_cost": payload["objective"]["cost_musd"],
            "capital_for_new_capacity": capital,
            "money_to_european_industry": to_europe + capital,
            "money_to_us_industry": to_us,
            "one_off_variant_costs": max(0.0, spending - to_europe - to_us - capital),
        }
    )


def with_plan_money(payload: dict[str, Any], world: World, scenario: Scenario) -> dict[str, Any]:
    """The plan's JSON with its `money` block (see `plan_money`)."""
    return {**payload, "money": plan_money(payload, world, scenario)}


MEASURES = {
    "coverage": "europe_share_*: Europe's capability ready for war as a share of the requirement "
    "(E / R, capped at 100 %): how much of what defending Europe needs Europe alone could carry.",
    "force_share": "force_share_*: Europe's share of the allied force, E / (E + U): it rises when "
    "the US leaves even if Europe builds nothing, so it is never the headline.",
    "days_of_war": "days Europe's munition stock lasts at the daily use of high-intensity war.",
    "us_made": "us_made_share: the share of Europe's capability that is US-made (US spares, "
    "software and munitions); with US licences refused it loses availability over the years.",
}
"""What each measure answers, in words every output carries (docs/method.md explains them)."""


def assessment_json(result: Assessment, info: RunInfo) -> dict[str, Any]:
    areas = []
    for a in result.areas:
        row = asdict(a)
        row["metrics"] = list(row["metrics"])
        row["low_confidence"] = a.weak_share > WEAK_THRESHOLD
        areas.append(row)
    years = list(result.years)
    paths = {
        a.area: {
            "current_rates": _floats(result.share_current[i]),
            "max_ramp": _floats(result.share_max_ramp[i]),
            "us": _floats(result.us_share_of_requirement[i]),
        }
        for i, a in enumerate(result.areas)
    }
    return {
        "requirement": result.requirement,
        "requirement_set": result.requirement_set,
        "campaign_days": result.campaign_days,
        "measures": MEASURES,
        "deadline": result.deadline,
        "target_share": result.target_share,
        "years": years,
        "paths": paths,
        "days_of_war": result.days_of_war,
        "areas": areas,
        "allies": [asdict(b) for b in result.allies],
        "scope": SCOPE,
        "run": info.as_dict(),
    }


def race_json(result: Race, info: RunInfo) -> dict[str, Any]:
    return {
        "years": list(result.years),
        "metrics": [asdict(m) for m in result.metrics],
        "measures": {
            "stock_ratio": "Europe's stock over Russia's projected stock (both gross holdings).",
            "overtakes": "the first year from which Europe's yearly output stays at or above "
            "Russia's (null: not within the horizon).",
        },
        "scope": SCOPE,
        "run": info.as_dict(),
    }


def _simulation_money(sim: Simulation, draw: int) -> dict[str, float | None]:
    """Spending, capital, and the money to European and to US industry by the country of each
    line the rule bought from (None without the per-line detail)."""
    capital = float(sim.capex_musd[draw].sum())
    out: dict[str, float | None] = {
        "spending": float(sim.cost_musd[draw].sum()),
        "capital_for_new_capacity": capital,
        "money_to_european_industry": None,
        "money_to_us_industry": None,
    }
    if sim.line_purchases_musd.shape[1] == len(sim.lines):
        per_line = sim.line_purchases_musd[draw].sum(-1)
        out["money_to_us_industry"] = float(per_line[sim.line_is_us].sum())
        out["money_to_european_industry"] = float(per_line[~sim.line_is_us].sum()) + capital
    return out


def simulation_json(sim: Simulation, info: RunInfo, draw: int = 0) -> dict[str, Any]:
    years = [int(y) for y in sim.years]
    cost = sim.cost_musd[draw]
    europe = sim.budget_musd[draw].sum(1) > 0
    held = first_year_held(sim.europe_share[draw], sim.target, sim.years)
    return {
        "years": years,
        "areas": {
            area: {
                "europe_share": _floats(sim.europe_share[draw, a]),
                "gap": _floats(sim.gap[draw, a]),
                "us_share": _floats(sim.us_share[draw, a]),
                "force_share": _floats(sim.force_share[draw, a]),
                "target": float(sim.target[a]),
                "year_target": held[a],
                "deterrence_gap_total": float(sim.gap[draw, a].sum()),
                "low_confidence": bool(sim.weak_share[a] > WEAK_THRESHOLD),
                "us_made_share": float(sim.us_made_share[a]),
            }
            for a, area in enumerate(sim.areas)
        },
        "cost_musd": {
            "total": _floats(cost.sum(0)),
            "purchases": _floats(sim.purchases_musd[draw].sum(0)),
            "capacity": _floats(sim.capex_musd[draw].sum(0)),
            "budget": _floats(sim.budget_musd[draw].sum(0)),
            "by_ally": {sim.allies[i]: _floats(cost[i]) for i in np.flatnonzero(europe)},
        },
        "money": money_block(_simulation_money(sim, draw))
        | {"budget_usd_bn": round(float(sim.budget_musd[draw].sum()) / 1000, 6)},
        "days_of_war": _sim_days(sim, draw),
        "backlog": _backlog(sim, draw),
        "campaign_days": sim.campaign_days,
        "requirement": info.requirement,
        "measures": MEASURES,
        "scope": SCOPE,
        "policy": SIMULATE_POLICY,
        "run": info.as_dict(),
    }


LongRow = tuple[str | None, str | None, str | None, str | None, int, str, float, str]
"""(area, ally, system, line, year, metric, value, unit): the store's long results columns."""


def simulation_rows(sim: Simulation, metric_area: list[str], draw: int = 0) -> list[LongRow]:
    """One parameter set as long rows in the store's columns (`runs export` reads the same).
    A capability metric's rows sit under its area (`metric_area`, one per metric), named
    `europe_capability:<metric>` and `us_capability:<metric>`."""
    rows: list[LongRow] = []
    for t, year in enumerate(int(y) for y in sim.years):
        for a, area in enumerate(sim.areas):
            share, gap = float(sim.europe_share[draw, a, t]), float(sim.gap[draw, a, t])
            rows.append((area, None, None, None, year, "europe_share", share, "share"))
            rows.append((area, None, None, None, year, "gap", gap, "share"))
        for m, metric in enumerate(sim.metrics):
            area = metric_area[m]
            for side, values in (("europe", sim.europe_capability), ("us", sim.us_capability)):
                value = float(values[draw, m, t])
                rows.append(
                    (area, None, None, None, year, f"{side}_capability:{metric}", value, "cu")
                )
        for s, system in enumerate(sim.systems):
            rows.append(
                (None, None, system, None, year, "stock", float(sim.stock[draw, s, t]), "items")
            )
            delivered = float(sim.deliveries[draw, s, t])
            rows.append((None, None, system, None, year, "deliveries", delivered, "items"))
        for i, ally in enumerate(sim.allies):
            if sim.budget_musd[draw, i].sum() > 0:
                budget, cost = float(sim.budget_musd[draw, i, t]), float(sim.cost_musd[draw, i, t])
                rows.append((None, ally, None, None, year, "budget", budget, "USD_m"))
                rows.append((None, ally, None, None, year, "cost", cost, "USD_m"))
        for k, line in enumerate(sim.lines):
            cap, out = float(sim.line_capacity[draw, k, t]), float(sim.line_output[draw, k, t])
            rows.append((None, None, None, line, year, "capacity", cap, "items_per_year"))
            rows.append((None, None, None, line, year, "output_to_europe", out, "items"))
    return rows


def _backlog(sim: Simulation, draw: int) -> dict[str, list[float]]:
    """Per line with any: items ordered and not yet delivered at the end of each year."""
    if sim.backlog.shape[1] == 0:
        return {}
    return {
        line: _floats(sim.backlog[draw, i])
        for i, line in enumerate(sim.lines)
        if sim.backlog[draw, i].max() > 1e-9
    }


def _sim_days(sim: Simulation, draw: int) -> dict[str, list[float]]:
    """Per munition metric and year: days Europe's stock lasts (needs the detailed run)."""
    use = sim.daily_use
    if sim.europe_capability.shape[1] == 0:
        return {}
    return {
        m: _floats(sim.europe_capability[draw, i] / use[i])
        for i, m in enumerate(sim.metrics)
        if not np.isnan(use[i])
    }


def _floats(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in values]
