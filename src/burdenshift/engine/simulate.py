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

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse

from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.data_draws import DataDraws
from burdenshift.engine.params import Params, from_scenario
from burdenshift.scenario.schema import Scenario


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


def simulate(
    world: World,
    scenario: Scenario,
    params: Params | None = None,
    detail: bool = True,
    data: DataDraws | None = None,
) -> Simulation:
    """`detail=False` leaves the histories per metric, system and line, and the US and force
    shares, empty (zero-width):
    `risk` and `sensitivity` need only shares, gaps and costs, and skip copying the rest.
    `data`: figures drawn within their ranges (`engine.data_draws`), one row per batch row."""
    p = params if params is not None else from_scenario(world, scenario)
    years = np.array(scenario.years)
    n_b, n_t = p.size, len(years)
    n_ally, n_sys, n_line = len(world.allies), len(world.systems), len(world.lines)
    europe = world.europe_mask(scenario.europe_includes_canada)
    s2m = world.system_to_metric()
    # a line's output is summed per system through a sparse line -> system indicator (one
    # non-zero per line): linear in the lines, never a dense line × system product, and
    # several times faster than `reduceat` over groups of columns
    to_system = sparse.csr_array(
        (np.ones(n_line), (np.arange(n_line), world.line_system)), shape=(n_line, n_sys)
    )

    def per_system(per_line: np.ndarray) -> np.ndarray:
        return np.asarray(per_line @ to_system)

    line_metric = world.system_metric[world.line_system]
    l2m = (line_metric[:, None] == np.arange(len(world.metrics))[None, :]).astype(float)

    stock0 = world.holdings * europe[:, None]
    req = counting.requirement(world, scenario, years)  # (metric, year)
    ready = counting.europe_readiness(world, scenario, years, p.licence_level)
    if data is not None:
        ready = ready * data.availability[:, :, None]
    sent = counting.yearly_draw(world, scenario, years)
    us_now = ((world.us_contribution * world.us_availability) @ s2m)[None, :]
    req_run = req  # (metric, year), or (batch, metric, year) with drawn figures
    if data is not None:
        us_now = (
            world.us_contribution * world.us_availability * data.us * data.us_availability
        ) @ s2m
        req_run = req[None, :, :] * data.requirement[:, :, None]
    ceiling = world.capacity_ceiling_per_year[None, :] * (data.ceiling if data is not None else 1.0)
    us_share = counting.us_path(p, years)[:, world.metric_area, :]
    target = counting.targets(world, scenario)
    metric_target = target[world.metric_area]
    money = (
        counting.procurement_money(world, scenario, years)[None]
        * p.budget_multiplier[:, :, None]
        * europe[None, :, None]
    )
    price = world.unit_cost_musd[world.line_system][None, :] * p.cost_overrun[:, None]
    if data is not None:
        price = price * data.price[:, world.line_system]
    if scenario.procurement == "pooled":
        price = price * counting.pooled_price_factor(world, europe)[None, :]
    capex_unit = world.capex_musd_per_unit_capacity[None, :] * p.cost_overrun[:, None]
    line_value = world.value_per_unit[world.line_system]
    retire = 1.0 / world.service_life_years[None, :]
    lead_time = world.lead_time_years[None, :]
    ramp = world.max_ramp_share_per_year[None, :] * p.ramp_realisation[:, None] * ceiling
    penalty = None
    if data is not None:
        retire = retire / data.life
        lead_time = np.rint(lead_time * data.lead).astype(int)
        ramp = ramp * data.ramp
        penalty = data.penalty
    lead = np.maximum(lead_time + p.lead_delay_years[:, None], 1)
    # a metric's weight within its area, renormalised when the weights are drawn
    weights = data.weight if data is not None and (data.weight != 1.0).any() else None
    m2a = world.metric_to_area()

    def area_mean(per_metric: np.ndarray) -> np.ndarray:
        if weights is None:
            return per_metric @ m2a
        total = weights @ m2a
        # an area whose drawn weights all fall to zero keeps its stated weights
        return np.divide(
            (per_metric * weights) @ m2a, total, out=per_metric @ m2a, where=total > 1e-12
        )

    european_line = ~world.line_is_us
    uses = world.input_use * european_line[:, None]
    growth = (1.0 + world.input_max_growth_share)[None, :] ** (years - world.base_year)[:, None]
    supply = world.input_supply_per_year[None, :] * growth
    c2 = world.areas.index("c2") if "c2" in world.areas else None
    pooled = scenario.procurement == "pooled"
    buyers = np.flatnonzero(europe)

    users = [(k, np.flatnonzero(uses[:, k] > 0)) for k in range(uses.shape[1])]
    full_target = np.ones_like(target[world.metric_area])

    def avail(cap: np.ndarray, supply_t: np.ndarray) -> np.ndarray:
        """Items each line can deliver to Europe this year, after rationing critical inputs."""
        out = cap * world.europe_share[None, :]
        ratio = np.minimum(1.0, supply_t[None, :] / np.maximum(out @ uses, 1e-300))  # (b, input)
        scale = np.ones_like(out)
        for k, lines in users:
            if lines.size:
                scale[:, lines] = np.minimum(scale[:, lines], ratio[:, k : k + 1])
        return out * scale

    # stocks retire in proportion, so Europe's total per system is all the run needs
    stock = np.broadcast_to(stock0.sum(0), (n_b, n_sys)).copy()
    cap = np.broadcast_to(world.capacity_per_year, (n_b, n_line)).copy().astype(float)
    if data is not None:
        stock *= data.stock
        cap *= data.capacity
    arrivals = np.zeros((n_t + int(lead.max()) + 1, n_b, n_line))
    pipeline = np.zeros((n_b, n_line))
    # new capacity ordered in year t arrives in year t - 1 + lead (lead >= 1): one flat index
    # per (b, line) into the arrivals, shifted each year; lead 1 produces the same year
    slots, first_slot = (
        arrivals.reshape(-1),
        (lead * n_b * n_line).ravel() + np.arange(n_b * n_line),
    )
    # capacity already financed arrives in its year without new orders, and counts against the
    # ceiling until then
    planned = counting.financed_capacity(world) - world.capacity_per_year
    pipeline += planned[None, :]
    for line_i in np.flatnonzero(planned):
        due = world.planned_capacity_year[line_i] - years[0]
        if due < n_t:
            arrivals[due, :, line_i] += planned[line_i]
    now = lead == 1
    # what a line could add in a year toward demand, and items per unit of money
    growth, per_price = np.minimum(ramp, ceiling), 1.0 / price
    # what buyers can pay without exceeding their orders, counting the extra output new
    # capacity delivers at once
    per_unit = capex_unit + np.where(now, price * world.europe_share[None, :], 0.0)
    afford = price / np.where(per_unit > 0, per_unit, 1e-12)

    # year-major while filling (contiguous writes); returned as (batch, …, year) views
    n_area, n_metric = len(world.areas), len(world.metrics)
    out_share, out_gap = np.zeros((n_t, n_b, n_area)), np.zeros((n_t, n_b, n_area))
    n_area_out = n_area if detail else 0
    out_us, out_force = np.zeros((n_t, n_b, n_area_out)), np.zeros((n_t, n_b, n_area_out))
    n_metric_out, n_sys_out, n_line_out = (n_metric, n_sys, n_line) if detail else (0, 0, 0)
    out_cap_e, out_cap_u = np.zeros((n_t, n_b, n_metric_out)), np.zeros((n_t, n_b, n_metric_out))
    out_stock, out_deliv = np.zeros((n_t, n_b, n_sys_out)), np.zeros((n_t, n_b, n_sys_out))
    out_retired = np.zeros((n_t, n_b, n_sys_out))
    out_sent = np.zeros((n_t, n_b, n_sys_out))
    out_output = np.zeros((n_t, n_b, n_line_out))
    out_line_money = np.zeros((n_t, n_b, n_line_out))
    out_backlog = np.zeros((n_t, n_b, n_line_out))
    # orders arrive `lag` years after they are paid: today's output keeps arriving on orders
    # placed before the base year (a backlog of `lag` years at today's capacity), then the
    # run's own orders arrive
    lags = world.line_lag_years
    lag_groups = [(int(k), np.flatnonzero(lags == k)) for k in np.unique(lags)]
    incoming = np.zeros((n_t + int(lags.max(initial=0)) + 1, n_b, n_line))
    prior = world.capacity_per_year * world.europe_share
    for k, lines in lag_groups:
        for t in range(1, min(k, n_t - 1) + 1):
            incoming[t][:, lines] += prior[lines]
    out_capacity = np.zeros((n_t, n_b, n_line_out))
    out_purchases, out_capex = np.zeros((n_t, n_b, n_ally)), np.zeros((n_t, n_b, n_ally))
    # the baseline without new deliveries: what a planner sees falling short, year by year
    baseline, _ = counting.baseline_stock(world, scenario, years, stock0.sum(0))
    # (at the scenario's own licence level, not a draw's: the same for every batch row)
    ready0 = counting.europe_readiness(world, scenario, years)[0]
    baseline_cov = counting.coverage((baseline * ready0).T @ s2m, req.T)

    for ti, year in enumerate(years):
        if ti > 0:
            cap += arrivals[ti]
            pipeline -= arrivals[ti]
            # the buyers: European allies (the US buys nothing here)
            codes = counting.route_codes(world, scenario, int(year)).T[buyers]  # (buyer, line)
            budget = money[:, buyers, ti]
            if pooled:
                contribution = budget / np.maximum(budget.sum(1, keepdims=True), 1e-12)
                budget = budget.sum(1, keepdims=True)
                # a route open to any member stays open to the pool (the host buys its own
                # line without a licence); otherwise the most open code
                codes = np.where((codes == counting.OPEN).any(0), counting.OPEN, codes.max(0))[
                    None, :
                ]
            # allies with the same routes face the same choice: work once per route pattern
            patterns, group = np.unique(codes, axis=0, return_inverse=True)
            routes = _Routes.build(patterns, l2m, line_metric, p.licence_level)
            before = avail(cap, supply[ti])
            orders = _orders(
                budget,
                group,
                routes,
                before,
                growth,
                per_price,
                line_value,
                world.metric_weight,
                baseline_cov[ti][None, :],
                metric_target,
            )
            # new capacity is ordered at the start of the year on the year's unmet orders and
            # paid from them
            unmet = np.maximum(0.0, orders.asked - before)
            headroom = ceiling - cap - pipeline
            x = np.minimum(unmet, ramp)
            np.minimum(x, headroom, out=x)
            np.minimum(x, unmet * afford, out=x)
            np.maximum(x, 0.0, out=x)
            slots[first_slot + (ti - 1) * x.size] += x.ravel()
            cap += np.where(now, x, 0.0)
            pipeline += np.where(now, 0.0, x)
            after = avail(cap, supply[ti])
            delivered = np.minimum(orders.asked, after)
            fill = _ratio(delivered, orders.asked)
            bill = _ratio(x * capex_unit, orders.asked)
            # each buyer pays its share of the deliveries and of the new capacity, in proportion
            # to its orders on each line
            spent = budget * orders.per_buyer(fill * price)[:, group]
            capex_paid = budget * orders.per_buyer(bill)[:, group]
            # money the short capabilities could not absorb buys today's spare output toward the
            # full requirement (no new capacity for it)
            left = np.maximum(0.0, budget - spent - capex_paid)
            spare = np.maximum(0.0, after - delivered)
            more = _orders(
                left,
                group,
                routes,
                spare,
                0.0,
                per_price,
                line_value,
                world.metric_weight,
                baseline_cov[ti][None, :],
                full_target,
            )
            extra = np.minimum(more.asked, spare)
            fill_more = _ratio(extra, more.asked)
            spent = spent + left * more.per_buyer(fill_more * price)[:, group]
            delivered = delivered + extra
            if pooled:
                spent = spent * contribution
                capex_paid = capex_paid * contribution
            retired = stock * retire
            # what was ordered this year arrives after the line's delivery lag
            for lag, lines in lag_groups:
                incoming[ti + lag][:, lines] += delivered[:, lines]
            arrived = incoming[ti]
            added = per_system(arrived)
            stock = stock - retired + added
            given = np.minimum(sent[None, :, ti], np.maximum(stock, 0.0))
            stock = stock - given
            if detail:
                out_deliv[ti], out_retired[ti], out_output[ti] = added, retired, delivered
                out_line_money[ti] = delivered * price
                out_backlog[ti] = incoming[ti + 1 :].sum(0)
                out_sent[ti] = given
            out_purchases[ti][:, buyers] = spent
            out_capex[ti][:, buyers] = capex_paid
        if detail:
            out_capacity[ti], out_stock[ti] = cap, stock
        cap_e = (stock * ready[:, :, ti]) @ s2m
        req_t = req_run[..., ti]
        raw_cov = counting.coverage(cap_e, req_t)
        c2_cov = area_mean(raw_cov)[:, c2] if c2 is not None else np.ones(n_b)
        factor = counting.integration_factor(world, p, int(year), c2_cov, penalty)
        factor = factor[:, world.metric_area]
        cap_e = cap_e * factor
        eff_cov = counting.coverage(cap_e, req_t)
        cap_u = us_now * us_share[:, :, ti]
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.where(
                req_t > 0,
                np.maximum(0.0, req_t - cap_e - cap_u) / np.where(req_t > 0, req_t, 1),
                0,
            )
        out_share[ti] = area_mean(eff_cov)
        out_gap[ti] = area_mean(gap)
        if detail:
            out_us[ti] = counting.area_mean(world, counting.coverage(cap_u, req_t))
            out_force[ti] = counting.force_share(world, cap_e, cap_u)
            out_cap_e[ti], out_cap_u[ti] = cap_e, cap_u

    return Simulation(
        years=years,
        areas=world.areas,
        metrics=world.metrics,
        allies=world.allies,
        systems=world.systems,
        lines=world.lines,
        europe_share=_batch_first(out_share),
        gap=_batch_first(out_gap),
        us_share=_batch_first(out_us),
        force_share=_batch_first(out_force),
        europe_capability=_batch_first(out_cap_e),
        us_capability=_batch_first(out_cap_u),
        requirement=req,
        daily_use=world.daily_use,
        campaign_days=counting.campaign_days(world, scenario),
        stock=_batch_first(out_stock),
        deliveries=_batch_first(out_deliv),
        retirements=_batch_first(out_retired),
        transfers=_batch_first(out_sent),
        line_output=_batch_first(out_output),
        line_is_us=np.asarray(world.line_is_us, dtype=bool),
        line_purchases_musd=_batch_first(out_line_money),
        backlog=_batch_first(out_backlog),
        line_capacity=_batch_first(out_capacity),
        budget_musd=money,
        purchases_musd=_batch_first(out_purchases),
        capex_musd=_batch_first(out_capex),
        target=target,
        weak_share=counting.weak_share(world, europe),
        us_made_share=counting.us_made_share(world, scenario),
    )


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b where b > 0, else 0 (as one division: 1 / b alone overflows for a denormal b)."""
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def _batch_first(arr: np.ndarray) -> np.ndarray:
    """(year, batch, …) -> (batch, …, year)."""
    return np.moveaxis(arr, 0, -1)


@dataclass(frozen=True)
class _Sum:
    """Sums (b, K) columns into the columns their keys name: a small 0/1 matrix product."""

    indicator: np.ndarray
    """(K, n) 1 where a column's key is the output column."""

    @classmethod
    def by(cls, keys: np.ndarray, n: int) -> _Sum:
        return cls((keys[:, None] == np.arange(n)[None, :]).astype(float))

    def add(self, out: np.ndarray, values: np.ndarray) -> None:
        """out[:, k] += the sum of the `values` columns keyed k."""
        out += values @ self.indicator


@dataclass(frozen=True)
class _Layout:
    """Where a year's route patterns differ from their common pattern: the same for every
    chunk of draws, so it is worked out once per distinct set of patterns."""

    common: np.ndarray
    group: np.ndarray
    line: np.ndarray
    cell: np.ndarray
    cell_group: np.ndarray
    cell_metric: np.ndarray
    sums: tuple[_Sum, ...]


@lru_cache(maxsize=256)
def _layout(patterns: bytes, shape: tuple[int, int], line_metric: bytes, n_m: int) -> _Layout:
    codes = np.frombuffer(patterns, dtype=np.int64).reshape(shape)
    metric = np.frombuffer(line_metric, dtype=np.int64)
    kinds = np.array([counting.CLOSED, counting.OPEN, counting.LICENSED])
    common = kinds[(codes[:, :, None] == kinds).sum(0).argmax(1)]  # each line's usual code
    group, line = np.nonzero(codes != common[None, :])
    cells, cell = np.unique(group * n_m + metric[line], return_inverse=True)
    cell_group, cell_metric = cells // n_m, cells % n_m
    n_g, n_l, n_c = shape[0], shape[1], cells.size
    sums = (
        _Sum.by(cell, n_c),
        _Sum.by(line, n_l),
        _Sum.by(group, n_g),
        _Sum.by(cell_group, n_g),
        _Sum.by(cell_metric, n_m),
    )
    return _Layout(common, group, line, cell, cell_group, cell_metric, sums)


@dataclass(frozen=True)
class _Routes:
    """The year's route patterns as one common pattern plus the few routes where a pattern
    differs from it (a producer's own lines, the US's closed ones). A pattern's view of a metric
    then differs from the common one only in the few (pattern, metric) cells those routes touch,
    and orders cost (batch × metric) work plus (batch × cell), never (batch × pattern × line)."""

    base: np.ndarray
    """(b or 1, line) share of orders delivered on the common pattern's route."""
    diff: np.ndarray
    """(b or 1, K) the change of that share on the K routes where a pattern differs."""
    group: np.ndarray
    """(K,) the pattern of each differing route."""
    line: np.ndarray
    """(K,) its line."""
    cell: np.ndarray
    """(K,) its (pattern, metric) cell, an index into cell_group and cell_metric."""
    cell_group: np.ndarray
    cell_metric: np.ndarray
    n_groups: int
    l2m: np.ndarray
    line_metric: np.ndarray
    to_cell: _Sum
    to_line: _Sum
    to_group: _Sum
    cell_to_group: _Sum
    cell_to_metric: _Sum

    @classmethod
    def build(
        cls, patterns: np.ndarray, l2m: np.ndarray, line_metric: np.ndarray, licence: np.ndarray
    ) -> _Routes:
        levels = np.unique(licence)
        lic = levels[:, None] if levels.size == 1 else licence[:, None]  # (b or 1, 1)
        codes = np.ascontiguousarray(patterns, dtype=np.int64)
        metric = np.ascontiguousarray(line_metric, dtype=np.int64)
        at = _layout(codes.tobytes(), codes.shape, metric.tobytes(), l2m.shape[1])

        def access(c: np.ndarray) -> np.ndarray:
            return (c == counting.OPEN) + lic * (c == counting.LICENSED)

        base = access(at.common[None, :])
        diff = access(codes[at.group, at.line][None, :]) - base[:, at.line]
        return cls(
            base,
            diff,
            at.group,
            at.line,
            at.cell,
            at.cell_group,
            at.cell_metric,
            codes.shape[0],
            l2m,
            line_metric,
            *at.sums,
        )

    def by_metric(self, x: np.ndarray) -> np.ndarray:
        """(b, line) -> (b, metric): Σ_l x · common access · [line makes metric]."""
        return (x * self.base) @ self.l2m

    def by_cell(self, x: np.ndarray) -> np.ndarray:
        """(b, line) -> (b, cell): what the differing routes change in a pattern's metric."""
        return (x[:, self.line] * self.diff) @ self.to_cell.indicator


@dataclass(frozen=True)
class _Orders:
    """A year's orders, and each pattern's money per unit of reachable capability: the common
    part (`share_*`, by the pattern's weighing and its `inv_total`), then the cells."""

    asked: np.ndarray
    """(b, line) items ordered by all buyers."""
    items_per_money: np.ndarray
    """(b, line) reachable capability per item bought, per unit of money."""
    share_short: np.ndarray
    """(b, metric) money share per unit of capability, for a pattern weighing by shortfall
    (before dividing by the pattern's total weight)."""
    share_full: np.ndarray
    """(b, metric) the same for a pattern weighing by the full requirement."""
    by_short: np.ndarray
    """(b, group) whether the pattern weighs by shortfall."""
    inv_total: np.ndarray
    """(b, group) 1 / the pattern's total weight (0 when it can buy nothing)."""
    at_cell: np.ndarray
    """(b, cell) money share per unit of capability in each differing cell."""
    cell_change: np.ndarray
    """(b, cell) at_cell less the common part there."""
    routes: _Routes

    def per_buyer(self, v: np.ndarray) -> np.ndarray:
        """(b, group) Σ_l (orders per unit of a buyer's money on line l) × v[l]."""
        r = self.routes
        w = self.items_per_money * v
        u = r.by_metric(w)
        common = np.where(
            self.by_short,
            (self.share_short * u).sum(1)[:, None],
            (self.share_full * u).sum(1)[:, None],
        )
        out = common * self.inv_total
        r.cell_to_group.add(out, self.cell_change * u[:, r.cell_metric])
        r.to_group.add(out, w[:, r.line] * r.diff * self.at_cell[:, r.cell])
        return out


def _orders(
    budget: np.ndarray,
    group: np.ndarray,
    routes: _Routes,
    avail: np.ndarray,
    growth: np.ndarray | float,
    per_price: np.ndarray,
    line_value: np.ndarray,
    metric_weight: np.ndarray,
    coverage: np.ndarray,
    metric_target: np.ndarray,
) -> _Orders:
    """One year's orders of the buyers (batch, buyer), who fall into route patterns `group`.

    Buyers with the same routes face the same choice, so their orders are proportional to their
    money: the work is done once per route pattern, not once per ally. Licences scale the
    orders on a licensable route (a capped licence approves that share of the requested
    transfers).
    """
    r = routes
    # what each line could deliver this year, in capability: today's output, or one year's ramp
    # for a line that could grow into demand
    reach = np.maximum(avail, growth)
    reach_value = reach * line_value[None, :]
    q = r.by_metric(reach_value)  # (b, metric): the common pattern's reachable capability
    q_cell = q[:, r.cell_metric] + r.by_cell(reach_value)  # (b, cell): a pattern's own
    buyable, buyable_cell = (q > 0).astype(float), (q_cell > 0).astype(float)
    short = (metric_weight * np.maximum(0.0, metric_target - coverage))[0]  # (metric,)
    full = (metric_weight * np.maximum(0.0, 1.0 - coverage))[0]
    # a buyer weighs the metrics it can buy by their shortfall, or by the full requirement
    # when none it can buy falls short
    sums = []
    for vec in (short, full):
        total = np.repeat((buyable @ vec)[:, None], r.n_groups, axis=1)
        changed = (buyable_cell - buyable[:, r.cell_metric]) * vec[r.cell_metric]
        r.cell_to_group.add(total, changed)
        sums.append(total)
    by_short = sums[0] > 1e-12
    total = np.where(by_short, sums[0], sums[1])
    inv_total = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    # per unit of money: each metric's share, spread over its lines by reachable capability
    q_safe = np.maximum(q, 1e-300)
    share_short, share_full = buyable * short / q_safe, buyable * full / q_safe
    short_cell = by_short[:, r.cell_group]
    weight_cell = buyable_cell * np.where(short_cell, short[r.cell_metric], full[r.cell_metric])
    at_cell = weight_cell / np.maximum(q_cell * total[:, r.cell_group], 1e-300)
    common_cell = (
        np.where(short_cell, share_short[:, r.cell_metric], share_full[:, r.cell_metric])
        * inv_total[:, r.cell_group]
    )
    cell_change = at_cell - common_cell
    money = budget @ (group[:, None] == np.arange(r.n_groups)[None, :])  # (b, group)
    # money per unit of capability at each line: the common pattern, then the differing routes
    per_money = money * inv_total
    by_metric = (per_money * by_short).sum(1)[:, None] * share_short + (per_money * ~by_short).sum(
        1
    )[:, None] * share_full
    r.cell_to_metric.add(by_metric, money[:, r.cell_group] * cell_change)
    at_line = r.base * by_metric[:, r.line_metric]
    r.to_line.add(at_line, money[:, r.group] * at_cell[:, r.cell] * r.diff)
    items_per_money = reach_value * per_price
    return _Orders(
        items_per_money * at_line,
        items_per_money,
        share_short,
        share_full,
        by_short,
        inv_total,
        at_cell,
        cell_change,
        r,
    )
