"""plan's limits: a time limit per solver stage and per plan, each plan's MIP gap, and the
size guard that refuses a model too big for the memory available."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import numpy as np
import pytest

from burdenshift.engine.plan import PlanSolver, PlanStatus, SolveOptions, limits, plan
from burdenshift.engine.plan.prepared import prepare
from burdenshift.errors import InputError
from burdenshift.scenario.schema import Scenario
from burdenshift.tables import plan_solve_line

from .conftest import TINY, run_cli

# HiGHS checks its clock between pieces of work (presolve passes, LP iterations, nodes) and
# linopy reads the solution back after it stops: what a limit may be overshot by
SLACK_S = 5.0


def _tiny() -> Scenario:
    return Scenario(horizon=(2026, 2028), deadline=2027)


def _limited(world, sc: Scenario, **limits_given) -> tuple[object, float]:
    """(the plan or the InputError it raised, wall seconds)."""
    began = time.perf_counter()
    try:
        result: object = plan(world, sc, "national", SolveOptions(**limits_given))
    except InputError as exc:
        result = exc
    return result, time.perf_counter() - began


def test_defaults_hold_and_help_states_them():
    opts = SolveOptions(time_limit=None, total_time_limit=None)
    assert opts.stage_seconds == limits.STAGE_TIME_LIMIT
    assert opts.total_seconds == limits.TOTAL_TIME_LIMIT
    assert SolveOptions().stage_seconds == limits.STAGE_TIME_LIMIT
    assert limits.TOTAL_TIME_LIMIT >= limits.STAGE_TIME_LIMIT
    proc = run_cli("plan", "--help", env={"COLUMNS": "200"})
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for option, seconds in (
        ("--time-limit", limits.STAGE_TIME_LIMIT),
        ("--total-time-limit", limits.TOTAL_TIME_LIMIT),
    ):
        shown = re.search(rf"{option} .*?\[default: ([\d.]+)\]", text)
        assert shown is not None and float(shown[1]) == seconds, option
    assert limits.MEMORY_ENV in text


def test_time_limit_returns_the_best_plan_found(default_world):
    """Limits growing by half from 0.5 s: below the first incumbent the plan is refused naming
    the limit, past it the best plan found comes back marked time_limit with its gap. The
    first stage's interior-point root LP proves the optimum soon after the first incumbent
    (about twice its time), so the steps are finer than doubling."""
    sc = Scenario()
    optimum = plan(default_world, sc, "national")
    assert optimum.status is PlanStatus.OPTIMAL
    assert optimum.mip_gap is not None and optimum.mip_gap <= SolveOptions().mip_gap
    stopped = None
    for k in range(11):
        limit = 0.5 * 1.5**k
        result, wall = _limited(default_world, sc, time_limit=limit)
        assert wall < 3 * limit + 60  # three stages, plus preparing and building
        if isinstance(result, InputError):
            assert result.field == "--time-limit" and f"--time-limit {limit:g} s" in result.problem
            assert "before the solver found any plan" in result.problem
            continue
        if result.status is PlanStatus.TIME_LIMIT:
            stopped, used = result, limit
            break
    assert stopped is not None, "every limit was too short for a plan or long enough to prove one"
    first = stopped.stages[0]
    assert first.name == "shortfall" and first.limit == "stage" and first.limit_s == used
    assert all(s.seconds <= used + SLACK_S for s in stopped.stages)
    assert stopped.stopped_by == "--time-limit"
    # the best found, no better than the optimum, and the gap bounds how far from it it is
    assert stopped.shortfall >= optimum.shortfall - 1e-6
    if first.status == "time_limit":
        assert first.mip_gap is not None and first.mip_gap >= 0
        distance = (stopped.shortfall - optimum.shortfall) / stopped.shortfall
        assert first.mip_gap >= distance - 1e-6
    gap = stopped.mip_gap
    assert gap is None or gap >= max(s.mip_gap or 0 for s in stopped.stages[:2])
    # a feasible plan: within every ally's budget, its shortfall at least the gap it leaves
    d = prepare(default_world, sc, "national")
    spent = stopped.cost_by_ally.transpose("ally", "year").values
    assert np.all(spent <= d.money.transpose("ally", "year").values * (1 + 1e-6) + 1e-6)
    assert float(stopped.deliveries.min()) >= -1e-6
    missing = (stopped.target - stopped.benchmarks).clip(min=0).sum("year")
    assert np.all(stopped.shortfall_by_area.values >= missing.values - 1e-5)
    payload = stopped.as_dict()
    assert payload["status"] == "time_limit" and payload["mip_gap"] == gap
    assert payload["solve"]["stopped_by"] == "--time-limit"
    assert payload["solve"]["time_limit_s"] == used
    json.dumps(payload, allow_nan=False)  # the gap is a number or null, never Infinity
    line = plan_solve_line(payload).plain
    assert line.startswith("Not proven optimal") and f"--time-limit {used:g} s" in line
    assert ("unknown" if gap is None else f"{gap:.2%}") in line


def test_total_limit_is_honoured(default_world):
    """The total counts from the call: a build that uses it up is refused naming the limit;
    otherwise every stage ends by the total (a build cannot be stopped part-way, so it is the
    solves that the total bounds) and the stage it cuts says so."""
    sc = Scenario()
    refused, wall = _limited(default_world, sc, total_time_limit=0.01)
    assert isinstance(refused, InputError) and refused.field == "--total-time-limit"
    assert "--total-time-limit 0.01 s" in refused.problem and "--total-time-limit" in refused.fix
    assert "before the solver started" in refused.problem
    cut = None
    for extra in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0):  # past the build: the solves are cut
        total = wall + extra
        result, _ = _limited(default_world, sc, total_time_limit=total)
        if isinstance(result, InputError):
            assert result.field == "--total-time-limit", result.message
            continue
        for stage in result.stages:
            assert stage.limit_s <= total
            if stage.status == "skipped":
                assert stage.ended_s >= total
            else:
                assert stage.ended_s <= total + SLACK_S, stage
        if result.stopped_by == "--total-time-limit":
            cut = result
            break
    assert cut is not None, "the default world planned within every total tried"
    by_total = [s for s in cut.stages if s.limit == "total"]
    assert by_total and all(s.limit_s < limits.STAGE_TIME_LIMIT for s in by_total)
    assert cut.as_dict()["solve"]["total_time_limit_s"] == pytest.approx(total)


def _clock_left(monkeypatch, stages_with_time: int) -> None:
    """The plan's clock gives the first `stages_with_time` stages their own limit, then
    nothing: as if the total ran out there."""
    import burdenshift.engine.plan as planmod

    calls = {"n": 0}

    def next_stage(self) -> tuple[float, str]:
        calls["n"] += 1
        return (self.stage, "stage") if calls["n"] <= stages_with_time else (0.0, "total")

    monkeypatch.setattr(planmod._Clock, "next", next_stage)


def test_no_time_left_for_the_cost_keeps_the_least_shortfall_plan(tiny_world, monkeypatch):
    full = plan(tiny_world, _tiny())
    _clock_left(monkeypatch, 1)
    cut = plan(tiny_world, _tiny())
    assert cut.status is PlanStatus.TIME_LIMIT
    assert [(s.name, s.status) for s in cut.stages] == [
        ("shortfall", "optimal"),
        ("cost", "skipped"),
        ("duals", "skipped"),
    ]
    assert cut.shortfall == pytest.approx(full.shortfall, abs=1e-6)
    assert np.isfinite(cut.cost_musd) and cut.cost_musd >= full.cost_musd - 1e-6
    assert cut.mip_gap is None  # the cost was never minimised: no gap to give
    payload = cut.as_dict()
    assert payload["solve"]["stopped_by"] == "--total-time-limit"
    assert payload["solve"]["bottlenecks_found"] is False
    assert {b["constraint"] for b in payload["bottlenecks"]} <= {"no-producer"}
    line = plan_solve_line(payload).plain
    assert "Not proven optimal" in line and "minimise its cost" in line


def test_no_time_left_for_the_duals_keeps_the_optimal_plan(tiny_world, monkeypatch):
    full = plan(tiny_world, _tiny())
    _clock_left(monkeypatch, 2)
    cut = plan(tiny_world, _tiny())
    assert cut.status is PlanStatus.OPTIMAL  # both MIPs proven; only the ranking is missing
    assert cut.cost_musd == pytest.approx(full.cost_musd, rel=1e-6)
    assert cut.stages[-1].status == "skipped"
    assert [b.constraint for b in cut.bottlenecks] == [
        b.constraint for b in full.bottlenecks if b.constraint == "no-producer"
    ]
    line = plan_solve_line(cut.as_dict()).plain
    assert line.startswith("Proven optimal") and "what binds is not ranked" in line


def test_a_kept_solver_gives_every_stage_its_own_limit(tiny_world):
    """HiGHS keeps one run clock per model: each stage's limit counts from where it stands, so
    the hundredth stage on a kept model gets the same seconds as the first."""
    kept = PlanSolver()
    limit = 5.0
    for _ in range(3):
        plan(tiny_world, _tiny(), options=SolveOptions(time_limit=limit), solver=kept)
    h = kept._solver.solver_model
    clock = h.getRunTime()
    assert clock > 0
    _, set_to = h.getOptionValue("time_limit")
    assert set_to == pytest.approx(clock - kept.last.seconds + limit, abs=kept.last.seconds + 0.1)
    assert set_to > limit  # with the clock's start, not from zero


def test_size_guard_refuses_before_building(default_world, monkeypatch):
    import burdenshift.engine.plan as planmod

    def no_build(d):
        raise AssertionError("the model was built")

    monkeypatch.setattr(planmod.model, "build", no_build)
    estimate = limits.size_of(prepare(default_world, Scenario(), "national")).bytes / 1e6
    with pytest.raises(InputError) as caught:
        plan(default_world, Scenario(), "national", SolveOptions(memory_mb=estimate / 2))
    message = caught.value.message
    assert f"about {estimate:,.0f} MB" in message
    assert f"{estimate / 2:,.0f} MB allowed" in message
    assert f"{len(default_world.lines):,} lines" in message
    assert "smaller world" in caught.value.fix and limits.MEMORY_ENV in caught.value.fix
    assert "\n" not in message
    # the environment's budget is used when none is given, and named
    monkeypatch.setenv(limits.MEMORY_ENV, str(estimate / 2))
    with pytest.raises(InputError, match=f"allowed by {limits.MEMORY_ENV}"):
        plan(default_world, Scenario(), "national")
    monkeypatch.setenv(limits.MEMORY_ENV, "lots")
    with pytest.raises(InputError) as bad:
        plan(default_world, Scenario(), "national")
    assert bad.value.field == limits.MEMORY_ENV and "positive number" in bad.value.problem


def test_size_guard_reads_the_memory_available(monkeypatch):
    monkeypatch.delenv(limits.MEMORY_ENV, raising=False)
    found = limits.available_memory()
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kb = next(int(ln.split()[1]) for ln in f if ln.startswith("MemAvailable:"))
    except OSError:
        assert found is None
        return
    assert found is not None
    assert found[0] == pytest.approx(kb * 1024, rel=0.2)  # memory moves between the two reads
    assert "MemAvailable" in found[1]


MEASURE = """
import json
from burdenshift.domain.load import load_world
from burdenshift.engine.plan import limits, model, objective
from burdenshift.engine.plan.prepared import prepare
from burdenshift.engine.plan.solve import PlanSolver, SolveOptions
from burdenshift.scenario.schema import Scenario

def status(key):
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith(key))
d = prepare(load_world(), Scenario(), "national")
before = status("VmRSS:")
m = model.build(d)
objective.add_cap(m, d)
m.add_objective(objective.shortfall(m, d))
PlanSolver().run(m, SolveOptions())
# VmHWM, not getrusage's ru_maxrss: a child's ru_maxrss starts at its parent's (pytest's) peak
print(json.dumps({"used": status("VmHWM:") - before, "estimate": limits.size_of(d).bytes}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_the_estimate_covers_the_memory_a_plan_uses():
    """Peak RSS growth of building the default world's model and its first solve, in a process
    of its own: the estimate is above it, and not so far above that it refuses worlds that fit."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["used"] < got["estimate"] < 10 * got["used"]


def test_cli_refuses_a_model_too_big_in_one_paragraph():
    proc = run_cli("plan", "--no-store", env={limits.MEMORY_ENV: "1"})
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert re.search(r"about [\d,]+ MB to build and solve", err)
    assert f"more than the 1 MB allowed by {limits.MEMORY_ENV}" in err
    assert "Fix:" in err and "smaller world" in err


def test_cli_json_and_the_store_report_the_gap_and_the_limits(tmp_path):
    from burdenshift.store.database import Store

    db = tmp_path / "runs.duckdb"
    limits_given = ["--time-limit", "40", "--total-time-limit", "90"]
    proc = run_cli("plan", "--json", "--db", str(db), "--data", str(TINY), *limits_given)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["status"] == "optimal"
    gap = payload["mip_gap"]
    assert isinstance(gap, float) and 0 <= gap <= payload["solve"]["mip_gap_tolerance"]
    solve = payload["solve"]
    assert (solve["time_limit_s"], solve["total_time_limit_s"]) == (40, 90)
    assert [s["stage"] for s in solve["stages"]] == ["shortfall", "cost", "duals"]
    assert all(s["status"] == "optimal" and s["limit_s"] <= 40 for s in solve["stages"])
    assert solve["stopped_by"] is None and solve["bottlenecks_found"] is True
    # the kept run: its status, the gap as a result row, the limits in its payload
    store = Store(db)
    (run,) = store.runs()
    assert run["status"] == "optimal"
    rows = [r for r in store.results(run["run_id"]) if r[5] == "mip_gap"]
    assert [(r[6], r[7]) for r in rows] == [(gap, "share")]
    assert store.payload(run["run_id"])["solve"] == solve
    table = run_cli("plan", "--no-store", "--data", str(TINY), env={"COLUMNS": "200"})
    assert table.returncode == 0, table.stderr
    assert re.search(r"Proven optimal: MIP gap \d+\.\d\d%", table.stdout)


@pytest.mark.parametrize("option", ["--time-limit", "--total-time-limit"])
def test_cli_refuses_a_limit_that_is_not_positive(option):
    proc = run_cli("plan", "--no-store", option, "0")
    assert proc.returncode == 2
    assert option in proc.stderr and "not positive" in proc.stderr


def test_sweep_plan_tasks_take_both_limits(tmp_path):
    from burdenshift.sweep.spec import load_sweep
    from burdenshift.sweep.tasks import run_task

    (tmp_path / "tiny.yaml").write_text("horizon: [2026, 2028]\ndeadline: 2027\n")
    body = "name: limits\nbase: tiny.yaml\nengines: [plan]\nplan: {%s}\n"
    given, unset = tmp_path / "given.yaml", tmp_path / "unset.yaml"
    given.write_text(body % "time_limit: 20, total_time_limit: 50")
    unset.write_text(body % "chain: 8")
    _, (task,) = load_sweep(given)
    assert (task.options["time_limit"], task.options["total_time_limit"]) == (20, 50)
    solve = run_task(task.__dict__, data=str(TINY))["result"]["solve"]
    assert (solve["time_limit_s"], solve["total_time_limit_s"]) == (20, 50)
    _, (plain,) = load_sweep(unset)
    assert "total_time_limit" not in plain.options  # the task ids of earlier sweeps hold
    solve = run_task(plain.__dict__, data=str(TINY))["result"]["solve"]
    assert solve["time_limit_s"] == limits.STAGE_TIME_LIMIT
    assert solve["total_time_limit_s"] == limits.TOTAL_TIME_LIMIT
