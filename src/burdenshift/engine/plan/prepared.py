"""The numbers the planner needs, as labelled arrays: prepared once from a World and a Scenario."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from burdenshift.domain.world import World
from burdenshift.engine import counting
from burdenshift.engine.params import NEVER, from_scenario
from burdenshift.scenario.schema import Scenario

Mode = Literal["national", "pooled"]


@dataclass(frozen=True, eq=False)
class PlanData:
    """Everything `model.build` reads; coordinates are the labels of the World."""

    mode: Mode
    years: pd.Index
    """Plan years: the years after the base year, when orders, expansion and deliveries happen."""
    base_year: int
    deadline: int
    line: pd.Index
    ally: pd.Index
    """European buyers."""
    system: pd.Index
    metric: pd.Index
    area: pd.Index
    input: pd.Index

    price: xr.DataArray
    """(line,) USD_m per item, after the pooled learning discount."""
    capex: xr.DataArray
    """(line,) USD_m per item of yearly capacity."""
    capacity0: xr.DataArray
    """(line, year) capacity with no new orders: today's, plus expansions already financed."""
    committed: xr.DataArray
    """(line,) the capacity already financed, in whatever year it arrives: it uses the ceiling."""
    ceiling: xr.DataArray
    ramp: xr.DataArray
    """(line,) most capacity that can be ordered in one year, items per year."""
    europe_share: xr.DataArray
    expandable: xr.DataArray
    """(line,) Europe can pay to expand it (European lines)."""
    greenfield: xr.DataArray
    """(line,) a plant Europe could build, whole or not at all."""
    smallest: xr.DataArray
    """(line,) the smallest plant worth building, items per year (greenfield lines)."""
    online: xr.DataArray
    """(line, order_year, year) 1 where capacity ordered (paid) in order_year produces in year."""
    host: xr.DataArray
    """(line, ally) 1 for the ally where the line stands."""
    route: xr.DataArray
    """(line, ally, year) share of orders on a route that may be delivered (0 closed, 1 open)."""
    makes: xr.DataArray
    """(line,) the system each line makes (its label): constraints group lines by it."""
    sited: xr.DataArray
    """(line,) the ally where each line stands (its code, the US included)."""
    lag: xr.DataArray
    """(line,) whole years from an order (paid) to delivery into stock."""
    prior_arrivals: xr.DataArray
    """(system, year) items arriving on orders placed before the base year."""
    uses: xr.DataArray
    """(line, input) use per item (European lines)."""
    supply: xr.DataArray
    """(input, year)."""
    money: xr.DataArray
    """(ally, year) procurement money, USD_m."""
    gdp_share: xr.DataArray
    retire: xr.DataArray
    """(system,) share of the stock retiring each year."""
    stock0: xr.DataArray
    """(system,) European holdings in the base year."""
    value: xr.DataArray
    """(system, metric) capability per item, for reports (the model groups by `counts_toward`)."""
    per_item: xr.DataArray
    """(system,) capability per item in the metric the system counts toward."""
    counts_toward: xr.DataArray
    """(system,) the metric each system counts toward (its label)."""
    ready: xr.DataArray
    """(system, year) share of Europe's stock ready for war (availability, US-made dependence)."""
    sent: xr.DataArray
    """(system, year) items sent to Ukraine or fired in training, as far as the stock without new
    deliveries can give them (so that the plan stays feasible)."""
    requirement: xr.DataArray
    """(metric, year)."""
    weight: xr.DataArray
    """(metric, area) metric weights, for reports (the model groups by `metric_area`)."""
    metric_weight: xr.DataArray
    """(metric,) each metric's weight in its area."""
    metric_area: xr.DataArray
    """(metric,) the area each metric belongs to (its label)."""
    target: xr.DataArray
    """(area, year) the target share from the deadline on; before it, the interim benchmark on
    a straight line from today's coverage to the target at the deadline."""
    year_weight: xr.DataArray
    """(year,) weight of a shortfall-year in the objective: 1 from the deadline on,
    BEFORE_DEADLINE_WEIGHT before it."""
    penalty: xr.DataArray
    """(area, year) integration penalty once the US has left coordination mechanisms, else 0."""
    c2_weight: xr.DataArray
    """(metric,) weights of the C2 metrics (zero elsewhere)."""
    area_base: xr.DataArray
    """(area, year) coverage with no new deliveries (today's stocks, retiring)."""
    c2_base: xr.DataArray
    """(year,) C2 coverage with no new deliveries."""
    new_variant: xr.DataArray
    """(ally, system) national mode: 1 where buying would add a variant the ally lacks."""
    new_system: xr.DataArray
    """(system,) pooled mode: 1 where no European ally holds the system yet."""
    variant_cost: float
    discount: xr.DataArray
    """(year,) discount factor."""

    @property
    def line_system(self) -> xr.DataArray:
        """(line, system) one-hot of `makes`, built on each call: its size is lines × systems,
        so the model never uses it (a peer formulation or a report on a small world may)."""
        table = np.zeros((len(self.line), len(self.system)))
        table[np.arange(len(self.line)), self.system.get_indexer(self.makes.values)] = 1.0
        return xr.DataArray(table, coords=[self.line, self.system])


def prepare(world: World, scenario: Scenario, mode: Mode) -> PlanData:
    p = from_scenario(world, scenario)
    all_years = np.array(scenario.years)
    years = pd.Index(all_years[1:], name="year")
    europe = world.europe_mask(scenario.europe_includes_canada)
    ally = pd.Index([a for a, e in zip(world.allies, europe, strict=True) if e], name="ally")
    a_idx = np.flatnonzero(europe)
    line = pd.Index(world.lines, name="line")
    system = pd.Index(world.systems, name="system")
    metric = pd.Index(world.metrics, name="metric")
    area = pd.Index(world.areas, name="area")
    inputs = pd.Index(world.inputs, name="input")

    def da(values: np.ndarray, *dims: pd.Index) -> xr.DataArray:
        return xr.DataArray(values, coords=list(dims))

    held = world.holdings[a_idx] > 0  # (ally, system)
    price = world.unit_cost_musd[world.line_system].copy()
    if mode == "pooled":
        price = price * counting.pooled_price_factor(world, europe)
    order = np.asarray(years)
    lead = world.lead_time_years
    # capacity paid in year t is ordered at the turn of the year and produces from t - 1 + lead
    online = (order[None, :, None] - 1 + lead[:, None, None]) <= order[None, None, :]
    route = np.stack(
        [counting.route_access(world, scenario, p, int(y))[0][:, a_idx] for y in years],
        axis=-1,
    )
    if mode == "national":
        # national procurement: own lines, US lines (FMS), and other allies' lines only for
        # systems the buyer already operates (follow-on orders)
        own = world.line_country[:, None] == a_idx[None, :]
        follow_on = held[:, world.line_system].T  # (line, ally)
        route = route * (own | world.line_is_us[:, None] | follow_on)[:, :, None]
    growth = (1.0 + world.input_max_growth_share)[:, None] ** (order - world.base_year)[None, :]
    money = counting.procurement_money(world, scenario, all_years)[a_idx, 1:]
    money = money * p.budget_multiplier[0, a_idx][:, None]
    stock0 = world.holdings[a_idx].sum(0)
    req = counting.requirement(world, scenario, all_years)[:, 1:]
    ready = counting.europe_readiness(world, scenario, all_years, p.licence_level[:1])[0][:, 1:]
    left_over, given = counting.baseline_stock(world, scenario, all_years, stock0)
    left_over, sent = left_over[:, 1:], given[:, 1:]
    left = order >= p.coordination_year[0]
    c2 = np.array([m.split(":")[0] == "c2" for m in world.metrics])
    gdp = world.gdp_usd_bn[a_idx]

    base_cov = counting.coverage((left_over * ready).T @ world.system_to_metric(), req.T)
    c2_weight = np.where(c2, world.metric_weight, 0.0)
    return PlanData(
        mode=mode,
        years=years,
        base_year=world.base_year,
        deadline=scenario.deadline,
        line=line,
        ally=ally,
        system=system,
        metric=metric,
        area=area,
        input=inputs,
        price=da(price, line),
        capex=da(world.capex_musd_per_unit_capacity, line),
        capacity0=da(counting.committed_capacity(world, order), line, years),
        committed=da(counting.financed_capacity(world), line),
        ceiling=da(np.maximum(world.capacity_ceiling_per_year, world.capacity_per_year), line),
        ramp=da(world.max_ramp_share_per_year * world.capacity_ceiling_per_year, line),
        europe_share=da(world.europe_share, line),
        expandable=da(~world.line_is_us, line),
        greenfield=da(world.line_greenfield.astype(float), line),
        smallest=da(world.line_min_capacity, line),
        online=xr.DataArray(
            online.astype(float),
            coords=[line, pd.Index(order, name="order_year"), years],
        ),
        host=da((world.line_country[:, None] == a_idx[None, :]).astype(float), line, ally),
        route=da(route, line, ally, years),
        makes=da(np.asarray(world.systems, dtype=object)[world.line_system], line),
        sited=da(np.asarray(world.allies, dtype=object)[world.line_country], line),
        lag=da(world.line_lag_years, line),
        prior_arrivals=da(_prior(world, all_years), system, years),
        uses=da(world.input_use * (~world.line_is_us)[:, None], line, inputs),
        supply=da(world.input_supply_per_year[:, None] * growth, inputs, years),
        money=da(money, ally, years),
        gdp_share=da(gdp / gdp.sum(), ally),
        retire=da(1.0 / world.service_life_years, system),
        stock0=da(stock0, system),
        value=da(world.system_to_metric(), system, metric),
        per_item=da(world.value_per_unit, system),
        counts_toward=da(np.asarray(world.metrics, dtype=object)[world.system_metric], system),
        ready=da(ready, system, years),
        sent=da(sent, system, years),
        requirement=da(req, metric, years),
        weight=da(world.metric_to_area(), metric, area),
        metric_weight=da(world.metric_weight, metric),
        metric_area=da(np.asarray(world.areas, dtype=object)[world.metric_area], metric),
        target=da(_interim(world, scenario, order), area, years),
        year_weight=da(np.where(order >= scenario.deadline, 1.0, BEFORE_DEADLINE_WEIGHT), years),
        penalty=da(world.integration_penalty[:, None] * left[None, :], area, years),
        c2_weight=da(c2_weight, metric),
        area_base=da((base_cov @ world.metric_to_area()).T, area, years),
        c2_base=da(base_cov @ c2_weight, years),
        new_variant=da((~held).astype(float), ally, system),
        new_system=da((held.sum(0) == 0).astype(float), system),
        variant_cost=world.variant_fixed_cost_musd,
        discount=da((1.0 + world.discount_rate) ** -(order - world.base_year), years),
    )


def group_sum(values: xr.DataArray, labels: xr.DataArray, index: pd.Index) -> xr.DataArray:
    """`values` summed over the dimension of `labels` (one label per entry) into `index`, the
    dimension of the result (0 where no entry has the label)."""
    return _grouped(values, labels, index, np.add, 0.0)


def group_max(values: xr.DataArray, labels: xr.DataArray, index: pd.Index) -> xr.DataArray:
    """The largest of `values` per label, as `group_sum` (-inf where no entry has it)."""
    return _grouped(values, labels, index, np.maximum, -np.inf)


def _grouped(
    values: xr.DataArray, labels: xr.DataArray, index: pd.Index, ufunc: np.ufunc, empty: float
) -> xr.DataArray:
    (dim,) = labels.dims
    values = values.transpose(dim, ...)
    codes = index.get_indexer(np.asarray(labels.sel({dim: values[dim]}), dtype=object))
    assert (codes >= 0).all(), "every label is an entry of the index"
    out = np.full((len(index), *values.shape[1:]), empty)
    ufunc.at(out, codes, values.values)
    rest = {k: values.coords[k] for k in values.dims[1:] if k in values.coords}
    return xr.DataArray(
        out, coords={index.name: index, **rest}, dims=(index.name, *values.dims[1:])
    )


BEFORE_DEADLINE_WEIGHT = 0.1
"""A shortfall-year before the deadline counts a tenth of one from the deadline on: a planner
who must meet the deadline accepts missing an interim benchmark if that buys the target at the
deadline, but not the reverse (docs/method.md, "plan"). Duals stay in requirement-share-years
from the deadline on."""


def _interim(world: World, scenario: Scenario, years: np.ndarray) -> np.ndarray:
    """(area, plan year) the target from the deadline on; before it, a straight line from the
    base year's coverage to the target in the deadline year (never above the target)."""
    target = counting.targets(world, scenario)
    now = np.asarray(
        counting.area_mean(
            world,
            counting.coverage(_base_capability(world, scenario), _base_req(world, scenario)),
        )
    )
    span = max(scenario.deadline - world.base_year, 1)
    frac = np.clip((years - world.base_year) / span, 0.0, 1.0)
    path = now[:, None] + (target - now)[:, None] * frac[None, :]
    return np.minimum(np.maximum(path, 0.0), target[:, None])


def _base_capability(world: World, scenario: Scenario) -> np.ndarray:
    """(metric,) Europe's capability ready for war in the base year."""
    years = np.array([world.base_year])
    europe = world.europe_mask(scenario.europe_includes_canada)
    ready = counting.europe_readiness(world, scenario, years)[0, :, 0]
    return ((world.holdings * europe[:, None]).sum(0) * ready) @ world.system_to_metric()


def _base_req(world: World, scenario: Scenario) -> np.ndarray:
    return counting.requirement(world, scenario, np.array([world.base_year]))[:, 0]


def _prior(world: World, years: np.ndarray) -> np.ndarray:
    """(system, plan year) today's output arriving in the first `lag` years of each line."""
    per_line = counting.arrivals(world, np.zeros((len(world.lines), len(years))))[:, 1:]
    out = np.zeros((len(world.systems), len(years) - 1))
    np.add.at(out, world.line_system, per_line)
    return out


__all__ = ["NEVER", "Mode", "PlanData", "group_max", "group_sum", "prepare"]
