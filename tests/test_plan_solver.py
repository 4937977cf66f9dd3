"""plan's LP solver per stage (`solve.LP_SOLVER`): each stage runs with its own choice on the
kept model, and the choices reach the optimum that dual simplex everywhere reaches."""

from __future__ import annotations

from typing import Any

import highspy
import pytest

import burdenshift.engine.plan.solve as solve
from burdenshift.engine.plan import PlanStatus, SolveOptions, plan
from burdenshift.scenario.schema import Scenario

STAGES = ("shortfall", "cost", "duals")


def _tiny() -> Scenario:
    return Scenario(horizon=(2026, 2028), deadline=2027)


def _options_per_run(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The LP solver options each HiGHS run of the test ran with, in order, and whether the
    model it ran had integer columns."""
    seen: list[dict[str, Any]] = []
    run = highspy.Highs.run

    def recorded(h: highspy.Highs) -> Any:
        options = {k: h.getOptionValue(k)[1] for k in ("solver", "mip_lp_solver")}
        mip = any(int(v) for v in h.getLp().integrality_)
        seen.append({**options, "mip": mip, "columns": h.getNumCol()})
        return run(h)

    monkeypatch.setattr(highspy.Highs, "run", recorded)
    return seen


def _expected(stage: str, run: dict[str, Any]) -> dict[str, Any]:
    """A MIP takes the choice for the LPs inside branch and bound and leaves `solver` at
    choose (a MIP whose `solver` is simplex or ipm is solved as its LP relaxation only)."""
    choice = solve.lp_solver(stage, run["columns"])
    if run["mip"]:
        return {**run, "solver": "choose", "mip_lp_solver": choice}
    return {**run, "solver": choice, "mip_lp_solver": "choose"}


def test_large_models_take_their_own_choice():
    small, large = solve.LARGE_COLUMNS - 1, solve.LARGE_COLUMNS
    assert [solve.lp_solver(s, small) for s in STAGES] == [solve.LP_SOLVER[s] for s in STAGES]
    for stage in STAGES:
        want = solve.LARGE_LP_SOLVER.get(stage, solve.LP_SOLVER[stage])
        assert solve.lp_solver(stage, large) == want
    assert solve.lp_solver("cost", large) != solve.lp_solver("cost", small)
    assert solve.lp_solver("solve", large) == "choose"


@pytest.mark.parametrize("world", ["tiny_world", "default_world"])
def test_every_stage_runs_with_its_own_choice(world, request, monkeypatch):
    """The kept model keeps its options between runs: a stage after the interior-point one
    must be set back to its own choice, not inherit it. The tiny world's first stage is an
    LP (no plant or variant to choose), the default world's a MIP."""
    assert set(solve.LP_SOLVER) == set(STAGES)
    assert len(set(solve.LP_SOLVER.values())) > 1  # else this test shows nothing
    seen = _options_per_run(monkeypatch)
    result = plan(
        request.getfixturevalue(world), Scenario() if world == "default_world" else _tiny()
    )
    assert result.status is PlanStatus.OPTIMAL
    assert [s.name for s in result.stages] == list(STAGES)
    assert len(seen) == len(STAGES)
    assert seen == [_expected(s, run) for s, run in zip(STAGES, seen, strict=True)]
    # the default world has plants to choose: both MIP stages are MIPs, the duals' an LP
    mips = [run["mip"] for run in seen]
    assert mips == ([True, True, False] if world == "default_world" else [False, False, False])


def _plan_with(world, scenario: Scenario, mode: str, choices: dict[str, str], monkeypatch):
    monkeypatch.setattr(solve, "LP_SOLVER", choices)
    return plan(world, scenario, mode, SolveOptions(mip_gap=1e-9))


@pytest.mark.parametrize("mode", ["national", "pooled"])
def test_tiny_world_same_optimum_as_simplex(tiny_world, mode, monkeypatch):
    chosen = dict(solve.LP_SOLVER)
    by_choice = _plan_with(tiny_world, _tiny(), mode, chosen, monkeypatch)
    by_simplex = _plan_with(
        tiny_world, _tiny(), mode, dict.fromkeys(STAGES, "simplex"), monkeypatch
    )
    for result in (by_choice, by_simplex):
        assert result.status is PlanStatus.OPTIMAL
    assert by_choice.shortfall == pytest.approx(by_simplex.shortfall, rel=1e-9, abs=1e-9)
    assert by_choice.cost_musd == pytest.approx(by_simplex.cost_musd, rel=1e-7)
    assert float(by_choice.build.sum()) == pytest.approx(float(by_simplex.build.sum()), abs=1e-6)
    # the duals' LP gives the same bottlenecks either way
    assert [(b.constraint, b.where) for b in by_choice.bottlenecks] == [
        (b.constraint, b.where) for b in by_simplex.bottlenecks
    ]


def test_default_world_same_optimum_as_simplex(default_world, monkeypatch):
    """National, the mode with the plant and variant binaries per ally: the interior-point
    first stage finds the least shortfall that simplex finds, and the cost stage after it the
    same least cost."""
    chosen = _plan_with(default_world, Scenario(), "national", dict(solve.LP_SOLVER), monkeypatch)
    simplex = _plan_with(
        default_world, Scenario(), "national", dict.fromkeys(STAGES, "simplex"), monkeypatch
    )
    assert chosen.status is PlanStatus.OPTIMAL and simplex.status is PlanStatus.OPTIMAL
    assert chosen.shortfall == pytest.approx(simplex.shortfall, rel=1e-7, abs=1e-9)
    assert chosen.cost_musd == pytest.approx(simplex.cost_musd, rel=1e-5)
    assert chosen.shortfall > 0 and chosen.cost_musd > 0


def test_every_run_asks_for_one_highs_thread(tiny_world, monkeypatch):
    threads: list[int] = []
    run = highspy.Highs.run

    def recorded(h: highspy.Highs) -> Any:
        threads.append(h.getOptionValue("threads")[1])
        return run(h)

    monkeypatch.setattr(highspy.Highs, "run", recorded)
    assert plan(tiny_world, _tiny()).status is PlanStatus.OPTIMAL
    assert len(threads) == len(STAGES)
    assert set(threads) == {solve.HIGHS_THREADS}


FOREIGN_POOL = """
import highspy
from burdenshift import load_world
from burdenshift.engine.plan import plan
from burdenshift.scenario.schema import Scenario

# other code in the process starts HiGHS's thread pool with two threads first
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("threads", 2)
h.addVar(0.0, 1.0)
h.changeColCost(0, 1.0)
h.run()
# a model asking this thread's pool for one thread is refused
g = highspy.Highs()
g.setOptionValue("output_flag", False)
g.setOptionValue("threads", 1)
g.passModel(h.getModel())
g.addVar(0.0, 1.0)
g.changeColIntegrality(1, highspy.HighsVarType.kInteger)
g.run()
print(g.getModelStatus() == highspy.HighsModelStatus.kNotset)
threads = []
run = highspy.Highs.run
def recorded(model):
    status = run(model)
    threads.append(model.getOptionValue("threads")[1])
    return status
highspy.Highs.run = recorded
p = plan(load_world(), Scenario(horizon=(2026, 2028), deadline=2027))
print(p.status.value, sorted(set(threads)) == [1], repr(float(p.shortfall_by_area.sum())))
"""


def test_one_thread_holds_after_other_code_started_a_pool_of_two(default_world):
    """HiGHS refuses, in the thread whose pool has two threads, a model asking for one; the
    plan's solves (linopy runs each in a thread of its own) still run with one thread, to the
    same optimum. In a fresh process: the pools live as long as their threads."""
    import subprocess
    import sys

    here = plan(default_world, _tiny())
    out = subprocess.run(
        [sys.executable, "-c", FOREIGN_POOL],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    refused, status, one_thread, shortfall = out[-4:]
    assert refused == "True"  # the conflict is real where HiGHS runs in the same thread
    assert status == "optimal" and one_thread == "True"
    assert float(shortfall) == pytest.approx(float(here.shortfall_by_area.sum()), abs=1e-9)
