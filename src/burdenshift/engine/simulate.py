"""`simulate`: a rules-based, year-by-year run of budgets, orders, lines, deliveries and stocks.

Vectorised over a leading batch axis: one call evaluates every parameter set at once; the only
Python loop is over the years of the horizon. The allocation rule (docs/method.md):

1. Each European ally's procurement money for the year goes to the metrics it can buy, in
   proportion to metric weight × the metric's shortfall against the target in the baseline
   without new deliveries (today's stocks less retirements); when no metric it can buy falls
   short of the target, against the full requirement. The baseline does not depend on the run,
   so more money never lowers a share.
2. Within a metric, money goes to the lines the ally may buy from, in proportion to the capability
   each line can deliver this year.
3. Lines deliver up to their capacity (after critical inputs are rationed pro rata); when demand
   exceeds capacity, all buyers are filled pro rata and unspent money lapses.
4. Unmet demand pays for new capacity (within the ramp limit and the ceiling), online after the
   lead time; buyers pay it in proportion to their unmet orders.
5. Stocks retire at 1 / service life per year; deliveries add to them.

In pooled mode the allies buy as one: one budget, the union of their routes, prices lowered by
the learning of one longer run (as in `plan`), deliveries and costs shared in proportion to each
ally's contribution.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.data_draws import DataDraws
from burdenshift.engine.params import Params, from_scenario
from burdenshift.scenario.schema import Scenario

if TYPE_CHECKING:
    from burdenshift.engine.orders import Routes


@dataclass(frozen=True, eq=False)
class Simulation:
    """Arrays over (batch, …, year); money in USD_m, capability in each metric's unit."""

    years: np.ndarray
    areas: tuple[str, ...]
    metrics: tuple[str, ...]
    allies: tuple[str, ...]
    systems: tuple[str, ...]
    lines: tuple[str, ...]
    europe_share: np.ndarray
    """(batch, area, year) coverage: share of the requirement Europe alone covers."""
    gap: np.ndarray
    """(batch, area, year) deterrence gap: share of the requirement nobody covers."""
    us_share: np.ndarray
    """(batch, area, year) the US contribution on its drawdown path, as coverage of the
    requirement."""
    force_share: np.ndarray
    """(batch, area, year) Europe's share of the allied force, E / (E + U) (not coverage)."""
    europe_capability: np.ndarray
    """(batch, metric, year) effective European capability (after the integration penalty)."""
    us_capability: np.ndarray
    requirement: np.ndarray
    """(metric, year) the requirement of the run's set."""
    daily_use: np.ndarray
    """(metric,) munition use a day in high-intensity war; NaN for other metrics."""
    campaign_days: float
    """Days of high-intensity war the munition requirement asks for."""
    stock: np.ndarray
    """(batch, system, year) European stock, items."""
    deliveries: np.ndarray
    """(batch, system, year) items delivered into European stocks (after the delivery lag)."""
    retirements: np.ndarray
    """(batch, system, year) items retired."""
    transfers: np.ndarray
    """(batch, system, year) items sent to Ukraine or fired in training (as far as the stock
    allows)."""
    line_output: np.ndarray
    """(batch, line, year) items made for Europe on the year's orders (they arrive after the
    line's delivery lag)."""
    line_is_us: np.ndarray
    """(line,) True for a US line: its money goes to US industry."""
    line_purchases_musd: np.ndarray
    """(batch, line, year) paid for each line's output on the year's orders, USD_m: the money
    that goes to the line's country's industry."""
    backlog: np.ndarray
    """(batch, line, year) items ordered and not yet delivered at the end of the year."""
    line_capacity: np.ndarray
    """(batch, line, year) items per year."""
    budget_musd: np.ndarray
    """(batch, ally, year) procurement money available."""
    purchases_musd: np.ndarray
    """(batch, ally, year) spent on deliveries."""
    capex_musd: np.ndarray
    """(batch, ally, year) spent on new production capacity."""
    target: np.ndarray
    """(area,) target share."""
    weak_share: np.ndarray
    """(area,) share of today's capability resting on low-confidence or assumed figures."""
    us_made_share: np.ndarray
    """(area,) share of Europe's capability today that is US-made."""

    @property
    def cost_musd(self) -> np.ndarray:
        return self.purchases_musd + self.capex_musd

    def to_xarray(self) -> Any:
        """A labelled xarray Dataset; units in each variable's attrs."""
        import xarray as xr

        batch = np.arange(self.europe_share.shape[0])
        c = {"batch": batch, "year": self.years}
        share = {"unit": "share of requirement"}
        musd = {"unit": "USD_m (constant 2025)"}
        return xr.Dataset(
            {
                "europe_share": (("batch", "area", "year"), self.europe_share, share),
                "gap": (("batch", "area", "year"), self.gap, share),
                "force_share": (
                    ("batch", "area", "year"),
                    self.force_share,
                    {"unit": "share of the allied force"},
                ),
                "europe_capability": (("batch", "metric", "year"), self.europe_capability),
                "us_capability": (("batch", "metric", "year"), self.us_capability),
                "requirement": (("metric", "year"), self.requirement),
                "stock": (("batch", "system", "year"), self.stock, {"unit": "items"}),
                "deliveries": (("batch", "system", "year"), self.deliveries, {"unit": "items"}),
                "transfers": (("batch", "system", "year"), self.transfers, {"unit": "items"}),
                "line_output": (("batch", "line", "year"), self.line_output, {"unit": "items"}),
                "line_purchases_musd": (("batch", "line", "year"), self.line_purchases_musd, musd),
                "backlog": (("batch", "line", "year"), self.backlog, {"unit": "items"}),
                "line_capacity": (
                    ("batch", "line", "year"),
                    self.line_capacity,
                    {"unit": "items_per_year"},
                ),
                "budget_musd": (("batch", "ally", "year"), self.budget_musd, musd),
                "purchases_musd": (("batch", "ally", "year"), self.purchases_musd, musd),
                "capex_musd": (("batch", "ally", "year"), self.capex_musd, musd),
                "target": (("area",), self.target, share),
            },
            coords={
                **c,
                "area": list(self.areas),
                "metric": list(self.metrics),
                "system": list(self.systems),
                "line": list(self.lines),
                "ally": list(self.allies),
            },
        )


CHUNK = 2_500
"""Batch rows simulated at once: a large batch runs in chunks, so its working arrays stay at
a chunk's size whatever the batch, and come back from the allocator's heap instead of being
mapped afresh (docs/performance.md); only the results grow with the batch."""

BATCHED = (
    "europe_share", "gap", "us_share", "force_share", "europe_capability", "us_capability",
    "stock", "deliveries", "retirements", "transfers", "line_output", "line_purchases_musd",
    "backlog", "line_capacity", "budget_musd", "purchases_musd", "capex_musd",
)  # fmt: skip
"""The fields of a Simulation with a batch axis."""


def simulate(
    world: World,
    scenario: Scenario,
    params: Params | None = None,
    detail: bool = True,
    data: DataDraws | None = None,
    routes: Routes | None = None,
) -> Simulation:
    """`detail=False` leaves the histories per metric, system and line, the US and force
    shares and the budget, empty (zero-width): `risk` and `sensitivity` need only shares, gaps
    and costs, and skip copying the rest.
    `data`: figures drawn within their ranges (`engine.data_draws`), one row per batch row.
    `routes`: the scenario's route patterns (`route_patterns`), the same for every batch row: calls
    that share a scenario can compute them once."""
    p = params if params is not None else from_scenario(world, scenario)
    routes = routes if routes is not None else route_patterns(world, scenario)
    if p.size <= CHUNK:
        return _simulate(world, scenario, p, detail, data, routes)
    # each chunk's rows go straight into the whole batch's arrays: joining the parts at the end
    # would hold the batch twice
    joined: dict[str, np.ndarray] = {}
    for start in range(0, p.size, CHUNK):
        stop = min(start + CHUNK, p.size)
        part = _simulate(
            world,
            scenario,
            p.rows(start, stop),
            detail,
            data.rows(start, stop) if data is not None else None,
            routes,
        )
        if not joined:
            first = part
            for k in BATCHED:
                x = getattr(part, k)
                # a history left out entirely (no batch axis either) stays as it is
                rows = p.size if x.shape[0] else 0
                joined[k] = np.empty((rows, *x.shape[1:]), dtype=x.dtype)
        for k in BATCHED:
            if joined[k].shape[0]:
                joined[k][start:stop] = getattr(part, k)
    return replace(first, **joined)


def _simulate(
    world: World,
    scenario: Scenario,
    p: Params,
    detail: bool,
    data: DataDraws | None,
    routes: Routes,
) -> Simulation:
    """One chunk of the batch: the buying rule year by year (`_buy`), then what the stocks
    cover (`_count`)."""
    years = np.array(scenario.years)
    europe = world.europe_mask(scenario.europe_includes_canada)
    stock0 = world.holdings * europe[:, None]
    req = counting.requirement(world, scenario, years)  # (metric, year)
    money = (
        counting.procurement_money(world, scenario, years)[None]
        * p.budget_multiplier[:, :, None]
        * europe[None, :, None]
    )
    bought = _buy(world, scenario, p, detail, data, routes, years, europe, stock0, req, money)
    counted = _count(world, scenario, p, detail, data, years, stock0, req, bought.added)
    output = bought.delivered
    return Simulation(
        years=years,
        areas=world.areas,
        metrics=world.metrics,
        allies=world.allies,
        systems=world.systems,
        lines=world.lines,
        europe_share=_batch_first(counted.share),
        gap=_batch_first(counted.gap),
        us_share=_batch_first(counted.us),
        force_share=_batch_first(counted.force),
        europe_capability=_batch_first(counted.cap_e),
        us_capability=_batch_first(counted.cap_u),
        requirement=req,
        daily_use=world.daily_use,
        campaign_days=counting.campaign_days(world, scenario),
        stock=_batch_first(counted.stock),
        deliveries=_batch_first(counted.deliveries),
        retirements=_batch_first(counted.retired),
        transfers=_batch_first(counted.sent),
        line_output=_batch_first(output),
        line_is_us=np.asarray(world.line_is_us, dtype=bool),
        line_purchases_musd=_batch_first(output * bought.price[None] if detail else output),
        backlog=_batch_first(bought.backlog),
        line_capacity=_batch_first(bought.capacity),
        budget_musd=money if detail else money[:, :0],
        purchases_musd=_batch_first(bought.purchases),
        capex_musd=_batch_first(bought.capex),
        target=counting.targets(world, scenario),
        weak_share=counting.weak_share(world, europe),
        us_made_share=counting.us_made_share(world, scenario),
    )


@dataclass(frozen=True, eq=False)
class _Bought:
    """What the buying rule did, year-major: (year, batch, …)."""

    added: np.ndarray
    """(year, batch, system) what arrives in Europe's stocks."""
    delivered: np.ndarray
    """(year, batch, line) each line's output bought."""
    capacity: np.ndarray
    price: np.ndarray
    """(batch, line) the unit price paid."""
    purchases: np.ndarray
    """(year, batch, ally) money spent on output."""
    capex: np.ndarray
    """(year, batch, ally) money spent on new capacity."""
    backlog: np.ndarray


def _buy(
    world: World,
    scenario: Scenario,
    p: Params,
    detail: bool,
    data: DataDraws | None,
    routes: Routes,
    years: np.ndarray,
    europe: np.ndarray,
    stock0: np.ndarray,
    req: np.ndarray,
    money: np.ndarray,
) -> _Bought:
    """Steps 1–4 of the rule (module docstring): each year's money, orders, output and new
    capacity, in the compiled loop."""
    # compiled on first use (numba): commands that never simulate skip its import
    from burdenshift.engine import orders

    n_b, n_t = p.size, len(years)
    n_ally, n_sys, n_line = len(world.allies), len(world.systems), len(world.lines)
    s2m = world.system_to_metric()
    ceiling = world.capacity_ceiling_per_year[None, :] * (data.ceiling if data is not None else 1.0)
    metric_target = counting.targets(world, scenario)[world.metric_area]
    price = world.unit_cost_musd[world.line_system][None, :] * p.cost_overrun[:, None]
    if data is not None:
        price = price * data.price[:, world.line_system]
    if scenario.procurement == "pooled":
        price = price * counting.pooled_price_factor(world, europe)[None, :]
    capex_unit = world.capex_musd_per_unit_capacity[None, :] * p.cost_overrun[:, None]
    lead_time = world.lead_time_years[None, :]
    ramp = world.max_ramp_share_per_year[None, :] * p.ramp_realisation[:, None] * ceiling
    if data is not None:
        lead_time = np.rint(lead_time * data.lead).astype(int)
        ramp = ramp * data.ramp
    lead = np.maximum(lead_time + p.lead_delay_years[:, None], 1)
    european_line = ~world.line_is_us
    growth_in = (1.0 + world.input_max_growth_share)[None, :] ** (years - world.base_year)[:, None]
    inputs = orders.inputs_of(
        world.input_use * european_line[:, None], world.input_supply_per_year[None, :] * growth_in
    )
    buyers = np.flatnonzero(europe)
    budget = np.moveaxis(money[:, buyers, :], -1, 0)  # (year, batch, buyer)
    contribution = None
    if scenario.procurement == "pooled":
        contribution = budget / np.maximum(budget.sum(2, keepdims=True), 1e-12)
        budget = budget.sum(2, keepdims=True)
    cap = np.broadcast_to(world.capacity_per_year, (n_b, n_line)).astype(float)
    if data is not None:
        cap = cap * data.capacity
    # capacity already financed arrives in its year without new orders, and counts against the
    # ceiling until then
    planned = counting.financed_capacity(world) - world.capacity_per_year
    arrivals = np.zeros((n_t + int(lead.max()) + 1, n_line))
    for line_i in np.flatnonzero(planned):
        due = world.planned_capacity_year[line_i] - years[0]
        if due < n_t:
            arrivals[due, line_i] += planned[line_i]
    # what buyers can pay without exceeding their orders, counting the extra output new
    # capacity delivers at once (lead 1)
    per_unit = capex_unit + np.where(lead == 1, price * world.europe_share[None, :], 0.0)
    # the baseline without new deliveries: what a planner sees falling short, year by year
    baseline, _ = counting.baseline_stock(world, scenario, years, stock0.sum(0))
    # (at the scenario's own licence level, not a draw's: the same for every batch row)
    ready0 = counting.europe_readiness(world, scenario, years)[0]
    baseline_cov = counting.coverage((baseline * ready0).T @ s2m, req.T)  # (year, metric)
    weight = world.metric_weight[None, :]
    yearly = orders.run(
        routes,
        budget,
        p.licence_level,
        weight * np.maximum(0.0, metric_target[None, :] - baseline_cov),
        weight * np.maximum(0.0, 1.0 - baseline_cov),
        orders.Lines(
            capacity=cap,
            ceiling=ceiling,
            ramp=ramp,
            growth=np.minimum(ramp, ceiling),
            price=price,
            capex_unit=capex_unit,
            afford=price / np.where(per_unit > 0, per_unit, 1e-12),
            lead=lead,
            value=world.value_per_unit[world.line_system],
            europe_share=world.europe_share,
            metric=world.system_metric[world.line_system],
            system=world.line_system,
            lag=world.line_lag_years,
            pipeline=planned,
            arrivals=arrivals,
            prior=_prior_arrivals(world, n_t),
        ),
        inputs,
        n_sys,
        buyers if contribution is None else np.zeros(1, dtype=int),
        n_ally if contribution is None else 1,
        detail,
    )
    purchases, capex = yearly.spent, yearly.capex
    if contribution is not None:  # the pool's bill, shared by the members' contributions
        purchases, capex = np.zeros((n_t, n_b, n_ally)), np.zeros((n_t, n_b, n_ally))
        purchases[:, :, buyers] = yearly.spent * contribution
        capex[:, :, buyers] = yearly.capex * contribution
    return _Bought(
        added=yearly.added,
        delivered=yearly.delivered,
        capacity=yearly.capacity,
        price=price,
        purchases=purchases,
        capex=capex,
        backlog=_backlog(world, yearly.delivered) if detail else np.zeros((n_t, n_b, 0)),
    )


@dataclass(frozen=True, eq=False)
class _Counted:
    """What the stocks cover, year-major: (year, batch, …); the histories per system and metric
    and the US and force shares are zero-width without `detail`."""

    share: np.ndarray
    gap: np.ndarray
    us: np.ndarray
    force: np.ndarray
    cap_e: np.ndarray
    cap_u: np.ndarray
    stock: np.ndarray
    deliveries: np.ndarray
    retired: np.ndarray
    sent: np.ndarray


def _count(
    world: World,
    scenario: Scenario,
    p: Params,
    detail: bool,
    data: DataDraws | None,
    years: np.ndarray,
    stock0: np.ndarray,
    req: np.ndarray,
    added: np.ndarray,
) -> _Counted:
    """Step 5 and the count: stocks retire, deliveries and transfers move them, and what is
    ready for war covers each metric's requirement, in the compiled loop."""
    from burdenshift.engine import outcome

    n_b, n_t = p.size, len(years)
    n_sys, n_area, n_metric = len(world.systems), len(world.areas), len(world.metrics)
    s2m = world.system_to_metric()
    ready = counting.europe_readiness(world, scenario, years, p.licence_level)
    if data is not None:  # capability per item folds into readiness: stock × ready × value
        ready *= (data.availability * data.value)[:, :, None]  # a fresh array
    sent = counting.yearly_draw(world, scenario, years)
    us_now = ((world.us_contribution * world.us_availability) @ s2m)[None, :]
    req_run = req  # (metric, year), or (batch, metric, year) with drawn figures
    if data is not None:
        us_now = (
            world.us_contribution
            * world.us_availability
            * data.us
            * data.us_availability
            * data.value
        ) @ s2m
        req_run = req[None, :, :] * data.requirement[:, :, None]
    us_share = counting.us_path(p, years)[:, world.metric_area, :]
    retire = 1.0 / world.service_life_years[None, :]
    penalty = None
    if data is not None:
        retire = retire / data.life
        penalty = data.penalty
    # a metric's weight within its area, renormalised when the weights are drawn
    weights = data.weight if data is not None and (data.weight != 1.0).any() else None
    c2 = world.areas.index("c2") if "c2" in world.areas else None
    stock = np.broadcast_to(stock0.sum(0), (n_b, n_sys)).copy()
    if data is not None:
        stock *= data.stock

    # the detailed histories are zero-width without `detail`
    n_sys_out, n_metric_out, n_area_out = (n_sys, n_metric, n_area) if detail else (0, 0, 0)
    out_share, out_gap = np.zeros((n_t, n_b, n_area)), np.zeros((n_t, n_b, n_area))
    out_stock, out_deliv, out_retired, out_sent = (np.zeros((n_t, n_b, n_sys_out)) for _ in "1234")
    out_cap_e = np.zeros((n_t, n_b, n_metric_out))
    # C order here, so the compiled kernel's contiguous inputs below are not copies
    req_t = np.ascontiguousarray(
        req_run.T[:, None, :] if req_run.ndim == 2 else np.moveaxis(req_run, -1, 0)
    )
    # a metric with no requirement counts as covered
    inv_req = np.divide(1.0, req_t, out=np.zeros_like(req_t), where=req_t > 0)
    no_req = (req_t <= 0).astype(float)
    cap_u = np.multiply(us_now, np.moveaxis(us_share, -1, 0), order="C")
    pen = world.integration_penalty[None, :] * (penalty if penalty is not None else 1.0)

    def c(x: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        return np.require(x, dtype, ["C", "W"])

    # stocks retire in proportion, so Europe's total per system is all the run needs
    outcome.run(
        (c(stock), c(retire), added, c(sent)),
        c(ready),
        (c(world.value_per_unit), c(world.system_metric, np.int64)),
        (c(req_t), c(inv_req), c(no_req)),
        c(cap_u),
        (
            c(world.metric_area, np.int64),
            c(world.metric_weight),
            c(weights) if weights is not None else np.zeros((0, n_metric)),
            c2 if c2 is not None else -1,
        ),
        (c(p.coordination_year), c(years), c(pen)),
        (out_share, out_gap),
        (out_stock, out_deliv, out_retired, out_sent, out_cap_e),
    )
    out_us, out_force = np.zeros((n_t, n_b, n_area_out)), np.zeros((n_t, n_b, n_area_out))
    out_cap_u = np.zeros((n_t, n_b, n_metric_out))
    if detail:
        cov_u = np.minimum(cap_u * inv_req + no_req, 1.0)
        out_us = counting.area_mean(world, cov_u)
        out_force = counting.force_share(world, out_cap_e, cap_u)
        out_cap_u = cap_u
    return _Counted(
        out_share, out_gap, out_us, out_force, out_cap_e, out_cap_u,
        out_stock, out_deliv, out_retired, out_sent,
    )  # fmt: skip


def route_patterns(world: World, scenario: Scenario) -> Routes:
    """Each year's route patterns of the buyers (European allies: the US buys nothing here). A
    pool buys as one: a route open to any member stays open to it (the host buys its own line
    without a licence); otherwise the most open code."""
    years = scenario.years
    buyers = np.flatnonzero(world.europe_mask(scenario.europe_includes_canada))
    per_year = []
    for year in years:
        codes = counting.route_codes(world, scenario, int(year)).T[buyers]  # (buyer, line)
        if scenario.procurement == "pooled":
            codes = np.where((codes == counting.OPEN).any(0), counting.OPEN, codes.max(0))[None]
        per_year.append(np.unique(codes, axis=0, return_inverse=True))
    from burdenshift.engine import orders

    return orders.routes_of(per_year, world.system_metric[world.line_system])


def _prior_arrivals(world: World, n_t: int) -> np.ndarray:
    """(year, system) today's output arriving on orders placed before the base year: a backlog
    of `lag` years at today's capacity."""
    prior = world.capacity_per_year * world.europe_share
    years_due = np.minimum(world.line_lag_years, n_t - 1)
    due = (np.arange(n_t)[:, None] >= 1) & (np.arange(n_t)[:, None] <= years_due[None, :])
    out = np.zeros((n_t, len(world.systems)))
    np.add.at(out.T, world.line_system, (due * prior).T)
    return out


def _backlog(world: World, delivered: np.ndarray) -> np.ndarray:
    """(year, batch, line) what is paid and still on its way at each year's end: orders arrive
    `lag` years after they are paid, and today's output on orders placed before the base year
    keeps arriving for `lag` years."""
    n_t = delivered.shape[0]
    prior = world.capacity_per_year * world.europe_share
    backlog = np.zeros_like(delivered)
    lags = world.line_lag_years
    for k in np.unique(lags[lags > 0]):
        lines, k = np.flatnonzero(lags == k), int(k)
        run = np.cumsum(delivered[:, :, lines], axis=0)
        run[k:] -= run[: n_t - k].copy()
        left = np.maximum(0, min(k, n_t - 1) - np.arange(n_t))[:, None, None] * prior[lines]
        backlog[1:, :, lines] = (run + left)[1:]
    return backlog


def _batch_first(arr: np.ndarray) -> np.ndarray:
    """(year, batch, …) -> (batch, …, year)."""
    return np.moveaxis(arr, 0, -1)
