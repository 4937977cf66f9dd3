"""Whole items: the plan's deliveries as a buyer orders them, and what the rounding changes.

The linear programme delivers fractions (0.4 of an early-warning aircraft a year). A buyer
orders whole items, so each buyer's deliveries from each line are rounded on their running
total: W[t] = round(Σ_{τ≤t} x[τ]), delivered in year t: W[t] − W[t−1]. The running total never
strays more than half an item from the plan's, and 0.4 a year becomes one aircraft in the
second year and one in the fourth — never a year's capacity lost to rounding down. A buyer whose
whole order stays below half an item gets none: an ally cannot buy 0.3 of an aircraft.

The rounded plan's stocks and yearly benchmarks are counted again, as `simulate` counts them,
so the report says how far whole items move each area from the exact plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from burdenshift.engine.plan.constraints.target import achieved_from
from burdenshift.engine.plan.prepared import PlanData


@dataclass(frozen=True)
class WholeItems:
    deliveries: xr.DataArray
    """(line, ally, year) whole items."""
    benchmarks: xr.DataArray
    """(area, year) coverage the whole-item plan reaches."""
    items_up: float
    """Items added by rounding, summed over lines, buyers and years."""
    items_down: float
    spending_change_musd: float
    """Spending of the whole-item plan less the exact plan's (purchases only), USD_m."""
    largest_change: dict[str, Any]
    """The (area, year) benchmark that moves most, before and after rounding."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": "each buyer's deliveries from each line rounded on their running total "
            "(never more than half an item from the exact plan)",
            "items_added": round(self.items_up, 3),
            "items_removed": round(self.items_down, 3),
            "spending_change_usd_bn": round(self.spending_change_musd / 1000.0, 6),
            "largest_benchmark_change": self.largest_change,
        }


def rounded(deliveries: xr.DataArray) -> xr.DataArray:
    """(line, ally, year) whole items with the running total of each (line, ally) rounded."""
    running = deliveries.cumsum("year")
    whole = np.round(running + 1e-9)  # x.5 rounds up: a buyer at half an item gets one
    return whole.diff("year", label="upper").reindex_like(whole).fillna(whole.isel(year=0))


def stocks(deliveries: xr.DataArray, d: PlanData) -> xr.DataArray:
    """(system, year) European stocks a set of deliveries gives, by the stock balance the plan
    uses (lags, retirements, prior orders, transfers and training use)."""
    per_line = deliveries.sum("ally").transpose("line", "year").values
    lag = d.lag.values.astype(int)
    landed = np.zeros_like(per_line)  # each line's deliveries in the year they arrive
    for k in np.unique(lag[lag < per_line.shape[1]]):
        landed[lag == k, k:] = per_line[lag == k, : per_line.shape[1] - k]
    summed = np.zeros((len(d.system), per_line.shape[1]))
    np.add.at(summed, d.system.get_indexer(d.makes.values), landed)  # by the system each makes
    arriving = xr.DataArray(summed, coords=[d.system, d.years])
    keep = (1.0 - d.retire).values[:, None]
    flow = (arriving + d.prior_arrivals - d.sent).transpose("system", "year").values
    out = np.empty_like(flow)
    previous = d.stock0.values
    for t in range(flow.shape[1]):
        previous = keep[:, 0] * previous + flow[:, t]
        out[:, t] = previous
    return xr.DataArray(out, coords=[d.system, d.years])


def whole_items(
    deliveries: xr.DataArray, exact_benchmarks: xr.DataArray, d: PlanData
) -> WholeItems:
    whole = rounded(deliveries)
    change = whole - deliveries
    bench = achieved_from(stocks(whole, d), d).transpose("area", "year")
    moved = np.abs(bench - exact_benchmarks)
    a, t = np.unravel_index(int(np.argmax(moved.values)), moved.shape)
    return WholeItems(
        deliveries=whole,
        benchmarks=bench,
        items_up=float(change.clip(min=0).sum()),
        items_down=float((-change).clip(min=0).sum()),
        spending_change_musd=float((change * d.price).sum()),
        largest_change={
            "area": str(bench.coords["area"].values[a]),
            "year": int(bench.coords["year"].values[t]),
            "exact": round(float(exact_benchmarks.values[a, t]), 6),
            "whole_items": round(float(bench.values[a, t]), 6),
        },
    )
