"""Whole items and money that binds: the rounding worked by hand, the rounded plan counted as
the stock balance counts it, and half the default budget costing shortfall."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from burdenshift.engine.plan import SolveOptions, plan
from burdenshift.engine.plan.constraints.target import achieved_from
from burdenshift.engine.plan.prepared import prepare
from burdenshift.engine.plan.whole import rounded, stocks
from burdenshift.scenario.schema import Budget, Scenario


def _deliveries(per_year: list[float]) -> xr.DataArray:
    years = list(range(2027, 2027 + len(per_year)))
    return xr.DataArray(
        np.array(per_year, dtype=float)[None, None, :],
        coords={"line": ["L"], "ally": ["A"], "year": years},
        dims=("line", "ally", "year"),
    )


def test_a_fraction_a_year_becomes_whole_items_on_the_running_total():
    # 0.4 a year: running 0.4, 0.8, 1.2, 1.6, 2.0 -> whole 0, 1, 1, 2, 2 -> deliveries 0 1 0 1 0
    whole = rounded(_deliveries([0.4] * 5))
    assert whole.values.ravel().tolist() == [0, 1, 0, 1, 0]
    # a buyer whose whole order stays below half an item gets none
    assert rounded(_deliveries([0.3, 0.0, 0.1])).values.sum() == 0
    # half an item rounds up, and whole numbers stay as they are
    assert rounded(_deliveries([0.5, 2.0])).values.ravel().tolist() == [1, 2]


def test_rounding_never_strays_half_an_item_from_the_plan():
    rng = np.random.default_rng(7)
    exact = _deliveries(list(rng.uniform(0, 3, 12)))
    whole = rounded(exact)
    assert np.all(whole.values >= 0) and np.all(whole.values == np.round(whole.values))
    gap = np.abs(whole.cumsum("year") - exact.cumsum("year"))
    assert float(gap.max()) <= 0.5 + 1e-9


def test_tiny_plan_in_whole_items(tiny_world):
    sc = Scenario(horizon=(2026, 2028), deadline=2027)
    result = plan(tiny_world, sc)
    d = prepare(tiny_world, sc, "national")
    # the stock balance recounted from the exact deliveries gives the plan's own benchmarks
    recount = achieved_from(stocks(result.deliveries, d), d).transpose("area", "year")
    assert np.allclose(recount.values, result.benchmarks.values, atol=1e-9)
    w = result.whole
    assert w is not None
    assert np.all(w.deliveries.values == np.round(w.deliveries.values))
    change = w.deliveries - result.deliveries
    # tankers cost 100 USD m on every route in the tiny world
    assert w.spending_change_musd == pytest.approx(float(change.sum()) * 100.0)
    assert w.items_up - w.items_down == pytest.approx(float(change.sum()))
    rows = result.tables()["deliveries"]
    assert rows and all(r["whole_items"] == round(r["whole_items"]) for r in rows)
    assert result.as_dict()["whole_items"]["largest_benchmark_change"]["area"] in d.area.values


def test_half_the_default_budget_costs_shortfall_and_years(default_world):
    """Money binds: at half the budget the plan leaves more shortfall, and some area holds its
    target later or not at all (docs/method.md, When money binds)."""
    opts = SolveOptions(time_limit=300)
    full = plan(default_world, Scenario(), "national", opts)
    half = plan(default_world, Scenario(budget=Budget(multiplier=0.5)), "national", opts)
    assert half.shortfall > full.shortfall + 0.05
    later = [
        a
        for a, y in full.earliest_year.items()
        if y is not None and (half.earliest_year[a] is None or half.earliest_year[a] > y)
    ]
    assert later, "no area holds its target later at half the budget"
    # the bottlenecks come from the LP with the plan's binaries fixed: duals, not only
    # the areas no line supplies
    assert any(b.constraint != "no-producer" for b in full.bottlenecks)
