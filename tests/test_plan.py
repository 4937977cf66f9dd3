"""plan: micro-models with hand-computed optima, duals against finite differences, national vs
pooled, golden constraint listings per family, and the default world."""

from __future__ import annotations

import os
from pathlib import Path

import linopy
import numpy as np
import pytest

from burdenshift.engine import counting
from burdenshift.engine.plan import PlanStatus, SolveOptions, model, objective, plan
from burdenshift.engine.plan.prepared import prepare
from burdenshift.engine.plan.solve import solve
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.schema import Budget, Override, Scenario

GOLDEN = Path(__file__).parent / "golden" / "plan"
# C2 cannot be bought in the tiny world (no line makes headquarters): its shortfall is fixed.
# Coverage 0.475 then 0.45125, each times 1 - 0.5 x (1 - coverage) after the US leaves in 2027.
C2_SHORTFALL = sum(0.5 - c * (1 - 0.5 * (1 - c)) for c in (0.95 / 2, 0.95**2 / 2))


def _tiny(**kw) -> Scenario:
    return Scenario(horizon=(2026, 2028), deadline=2027, **kw)


def _override(field: str, value: float, key: str = "FRA-TANKER") -> Override:
    return Override(table="lines.csv", key=key, field=field, value=value)


def test_tiny_world_hand_computed_optimum(tiny_world):
    result = plan(tiny_world, _tiny())
    assert result.status is PlanStatus.OPTIMAL
    assert result.shortfall == pytest.approx(C2_SHORTFALL, abs=1e-6)
    # hold 50 % = 8 tankers: 2027 needs 8 - 6 x 0.9 = 2.6 (1 US + 1.6 French, so 0.6 of new
    # French capacity at 10 USD m), 2028 needs 8 - 8 x 0.9 = 0.8; tankers cost 100 USD m
    expected = (2.6 * 100 + 0.6 * 10) / 1.03 + 0.8 * 100 / 1.03**2
    assert result.cost_musd == pytest.approx(expected, rel=1e-5)
    assert float(result.build.sel(line="FRA-TANKER", order_year=2027)) == pytest.approx(0.6)
    assert result.earliest_year["air_refuelling"] == 2027
    assert result.earliest_year["c2"] is None
    assert any(b.constraint == "no-producer" and b.where == "c2" for b in result.bottlenecks)
    us = result.us_purchases.sum(["line", "ally"])
    assert float(us.sel(year=2027)) == pytest.approx(1.0)
    bought = result.as_dict()["plan"]["us_purchases"]
    assert {(r["line"], r["system"]) for r in bought} == {("USA-TANKER", "tanker")}
    # benchmarks are what the stocks give: 8 tankers of 16, and C2 as counted above
    bench = result.benchmarks
    assert float(bench.sel(area="air_refuelling", year=2027)) == pytest.approx(0.5, abs=1e-6)
    c = 0.95 / 2
    assert float(bench.sel(area="c2", year=2027)) == pytest.approx(c * (1 - 0.5 * (1 - c)))


def test_benchmarks_report_what_the_stocks_give(tiny_world):
    """An area the plan need not build for reports its own coverage, not the target: with a
    target of 0.25, today's 6 tankers (0.9 left after retirement: 5.4 of 16) exceed it."""
    result = plan(tiny_world, _tiny(target_share=0.25))
    assert result.shortfall == pytest.approx(0.0, abs=1e-6)
    bench = result.benchmarks.sel(area="air_refuelling")
    assert float(bench.sel(year=2027)) == pytest.approx(5.4 / 16, abs=1e-6)
    assert float(bench.sel(year=2028)) == pytest.approx(5.4 * 0.9 / 16, abs=1e-6)


def test_lead_time_delays_capacity_by_its_length(tiny_world):
    sc = _tiny(overrides=[_override("lead_time_years", 2)])
    result = plan(applied_world(tiny_world, sc), sc)
    # new French capacity paid in 2027 produces only in 2028: 2027 gets 1 + 1 tankers, stock 7.4
    assert result.shortfall - C2_SHORTFALL == pytest.approx((800 - 740) / 1600, abs=1e-6)
    fra = result.deliveries.sel(line="FRA-TANKER").sum("ally")
    assert float(fra.sel(year=2027)) == pytest.approx(1.0)


def test_budget_cut_raises_shortfall_by_hand_computed_amount(tiny_world):
    money = counting.procurement_money(tiny_world, _tiny(), np.array([2026, 2027, 2028]))
    # each ally gets exactly 100 USD m in 2027 (one tanker), a little more in 2028
    sc = _tiny(budget=Budget(multiplier=100.0 / money[0, 1]))
    result = plan(tiny_world, sc)
    assert result.shortfall - C2_SHORTFALL == pytest.approx((800 - 740) / 1600, abs=1e-6)
    spent = result.cost_by_ally.sel(year=2027)
    assert np.all(spent.values <= 100.0 + 1e-6)


def _stage_one(world, sc, mode="national") -> tuple[linopy.Model, float]:
    d = prepare(world, sc, mode)
    m = model.build(d)
    m.add_objective(objective.shortfall(m, d))
    assert solve(m, SolveOptions()) is PlanStatus.OPTIMAL
    return m, float(m.objective.value)


def test_duals_match_finite_differences(tiny_world):
    sc = _tiny(overrides=[_override("lead_time_years", 2)])
    world = applied_world(tiny_world, sc)
    m, base = _stage_one(world, sc)
    dual = float(m.constraints["line-capacity"].dual.sel(line="FRA-TANKER", year=2027))
    # one more tanker in 2027 adds 100 t of 1600 t: the shortfall falls by 1/16
    assert dual == pytest.approx(-1 / 16)
    eps = 0.25
    more = _tiny(
        overrides=[_override("lead_time_years", 2), _override("capacity_per_year", 1 + eps)]
    )
    _, relaxed = _stage_one(applied_world(tiny_world, more), more)
    assert relaxed - base == pytest.approx(dual * eps, abs=1e-9)


def test_budget_duals_are_non_positive_and_match(tiny_world):
    money = counting.procurement_money(tiny_world, _tiny(), np.array([2026, 2027, 2028]))
    mult = 100.0 / money[0, 1]
    sc = _tiny(budget=Budget(multiplier=mult))
    m, base = _stage_one(tiny_world, sc, "pooled")
    dual = m.constraints["budget-pooled"].dual
    assert np.all(dual.values <= 1e-12)
    d27 = float(dual.sel(year=2027))
    assert d27 == pytest.approx(-1 / 1600)  # one USD m buys 1/100 tanker = 1 t of 1600 t
    richer = _tiny(budget=Budget(multiplier=mult * 1.05))
    _, relaxed = _stage_one(tiny_world, richer, "pooled")
    extra = 10.0  # 5 % of 200 USD m in 2027; 2028 does not bind
    assert relaxed - base == pytest.approx(d27 * extra, rel=1e-6)


def test_pooled_never_costs_more_than_national(tiny_world, default_world):
    for world, sc in ((tiny_world, _tiny()), (default_world, Scenario())):
        national = plan(world, sc, "national")
        pooled = plan(world, sc, "pooled")
        assert pooled.shortfall <= national.shortfall + 1e-6
        if pooled.shortfall >= national.shortfall - 1e-6:
            assert pooled.cost_musd <= national.cost_musd * (1 + 1e-6)


def test_default_world_solves_to_optimality(default_world):
    result = plan(default_world, Scenario(), "national", SolveOptions(time_limit=300))
    assert result.status is PlanStatus.OPTIMAL
    bench = result.benchmarks.values
    assert np.all((bench >= -1e-9) & (bench <= 1 + 1e-9))
    # budgets are never exceeded
    d = prepare(default_world, Scenario(), "national")
    assert np.all(result.cost_by_ally.values <= d.money.values + 1e-3)
    assert result.bottlenecks and all(b.explanation for b in result.bottlenecks)
    from burdenshift.engine.assess import assess

    flags = {
        a.area: a.weak_share > counting.WEAK_THRESHOLD
        for a in assess(default_world, Scenario()).areas
    }
    assert result.low_confidence == flags and any(flags.values())


def test_as_dict_shape(tiny_world):
    out = plan(tiny_world, _tiny()).as_dict()
    assert set(out) >= {
        "status",
        "mode",
        "objective",
        "areas",
        "cost_musd",
        "bottlenecks",
        "days_of_war",
    }
    assert set(out["objective"]) == {"shortfall", "cost_musd"}
    area = out["areas"][0]
    assert set(area) == {"area", "low_confidence", "us_made_share", "earliest_year", "benchmarks"}
    # the tiny world has no US-made kit and no munitions
    assert area["us_made_share"] == 0 and out["days_of_war"] == {}
    # only Germany's 2 tankers are rated low: 200 t of 1,600 t, far below half
    assert {a["area"]: a["low_confidence"] for a in out["areas"]} == {
        "air_refuelling": False,
        "c2": False,
    }
    assert list(area["benchmarks"]) == ["2027", "2028"]
    for b in out["bottlenecks"]:
        assert {"constraint", "where", "dual", "unit", "explanation"} <= set(b)


def _render(m: linopy.Model, name: str) -> str:
    with linopy.options as opts:
        opts.set_value(display_max_rows=10_000, display_max_terms=10_000)
        return str(m.constraints[name]) + "\n"


@pytest.mark.parametrize(
    "family",
    [
        "stock-balance",
        "line-capacity",
        "line-ceiling",
        "line-ramp",
        "input-supply",
        "budget",
        "export-licence",
        "coverage",
        "target",
        "variant-use",
    ],
)
def test_golden_constraint_listing(tiny_world, family):
    """Each family's rows on the tiny world, against a reviewed listing in tests/golden/plan.
    Regenerate with BURDENSHIFT_REGOLD=1 after a deliberate change, and review the diff."""
    sc = _tiny(export={"us_licences": "capped", "licence_cap_share": 0.5})
    world = tiny_world
    d = prepare(world, sc, "national")
    m = model.build(d)
    text = _render(m, family)
    path = GOLDEN / f"{family}.txt"
    if os.environ.get("BURDENSHIFT_REGOLD"):
        path.write_text(text)
    assert text == path.read_text()


def test_infeasible_data_is_diagnosed_not_raised(tiny_world, monkeypatch):
    import burdenshift.engine.plan as planmod

    real = planmod.prepare

    def broken(world, scenario, mode):
        d = real(world, scenario, mode)
        # a US line (which Europe cannot expand) with negative capacity: no plan can satisfy it
        cap = d.capacity0.copy()
        cap.loc["USA-TANKER"] = -1.0
        return type(d)(**{**d.__dict__, "capacity0": cap})

    monkeypatch.setattr(planmod, "prepare", broken)
    result = planmod.plan(tiny_world, _tiny())
    assert result.status is PlanStatus.INFEASIBLE
    assert any("line-capacity" in line and "lines.csv" in line for line in result.diagnosis)
    assert result.as_dict()["status"] == "infeasible"


def test_time_limit_is_reported(default_world):
    """A limit far too short for the default world: either the best plan found, marked as
    stopped by the limit, or a clear error when none was found — never 'optimal', never a crash."""
    from burdenshift.errors import InputError

    try:
        result = plan(default_world, Scenario(), "national", SolveOptions(time_limit=1e-4))
    except InputError as exc:
        assert "time limit" in exc.problem
        assert exc.field == "--time-limit"
    else:
        assert result.status is PlanStatus.TIME_LIMIT
        assert result.as_dict()["status"] == "time_limit"


def test_kept_solver_resolves_in_place_and_matches_cold(tiny_world):
    """A sweep's plans on one kept solver: changed in place, not rebuilt, and each as good as a
    plan solved on its own (within the MIP gap)."""
    from burdenshift.engine.plan import PlanSolver

    kept = PlanSolver()
    money = counting.procurement_money(tiny_world, _tiny(), np.array([2026, 2027, 2028]))
    for mult in (1.0, 100.0 / money[0, 1], 1.5):
        sc = _tiny(budget=Budget(multiplier=mult))
        warm = plan(tiny_world, sc, solver=kept)
        cold = plan(tiny_world, sc)
        assert warm.shortfall == pytest.approx(cold.shortfall, abs=1e-6)
        assert warm.cost_musd == pytest.approx(cold.cost_musd, rel=1e-4)
        assert [b.constraint for b in warm.bottlenecks] == [b.constraint for b in cold.bottlenecks]
    assert kept.builds == 1
    assert kept.updates == 3 * 3 - 1  # three stages per plan, all but the first in place
    # the budget cut binds in 2027 (hand-computed above): the kept model saw the new budget
    cut = plan(tiny_world, _tiny(budget=Budget(multiplier=100.0 / money[0, 1])), solver=kept)
    assert cut.shortfall - C2_SHORTFALL == pytest.approx((800 - 740) / 1600, abs=1e-6)


def test_kept_solver_rebuilds_on_a_new_structure(tiny_world):
    from burdenshift.engine.plan import PlanSolver

    kept = PlanSolver()
    plan(tiny_world, _tiny(), solver=kept)
    longer = Scenario(horizon=(2026, 2029), deadline=2027)
    result = plan(tiny_world, longer, solver=kept)
    assert kept.builds == 2
    assert list(result.benchmarks.coords["year"].values) == [2027, 2028, 2029]
    assert result.shortfall == pytest.approx(plan(tiny_world, longer).shortfall, abs=1e-6)


def test_watch_reports_progress_and_cancels(default_world):
    from burdenshift.engine.plan import Cancelled, Watch

    seen: list[float] = []
    plan(default_world, Scenario(), watch=Watch(progress=seen.append))
    assert seen == sorted(seen) and {0.1, 0.5, 0.9, 1.0} <= set(seen)  # built, stages, done
    assert seen[0] > 0.0 and seen[-1] == 1.0
    calls = {"n": 0}

    def cancelled() -> bool:
        calls["n"] += 1
        return True

    with pytest.raises(Cancelled):
        plan(default_world, Scenario(), watch=Watch(cancelled=cancelled))
    assert calls["n"] >= 1


def test_a_later_deadline_gives_interim_benchmarks_and_a_different_plan(tiny_world):
    """Before the deadline the target is a straight line from today's coverage (600 t of 1,600 t)
    to the target; a shortfall-year there weighs a tenth of one from the deadline on."""
    early = Scenario(horizon=(2026, 2029), deadline=2027, coordination_withdrawal=None)
    late = Scenario(horizon=(2026, 2029), deadline=2029, coordination_withdrawal=None)
    d = prepare(tiny_world, late, "national")
    np.testing.assert_allclose(
        d.target.sel(area="air_refuelling").values,
        [0.375 + 0.125 / 3, 0.375 + 0.25 / 3, 0.5],
    )
    np.testing.assert_allclose(d.year_weight.values, [0.1, 0.1, 1.0])
    d_early = prepare(tiny_world, early, "national")
    np.testing.assert_allclose(d_early.target.sel(area="air_refuelling").values, 0.5)
    np.testing.assert_allclose(d_early.year_weight.values, 1.0)
    a, b = plan(tiny_world, early), plan(tiny_world, late)
    assert (a.cost_musd, a.shortfall) != pytest.approx((b.cost_musd, b.shortfall))
