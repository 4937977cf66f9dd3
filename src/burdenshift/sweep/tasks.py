"""Run sweep tasks: a scenario through one engine, returning a JSON-ready summary.
Runs inside Dask workers: the World is loaded once per process and kept, and the plan tasks of
a chain share one kept solver model, each re-solving the last one's model in place.

A task that fails ends its chain with a failure record instead of an exception: an exception
would reach the user as a Dask worker traceback, and would lose the chain's finished tasks."""

from __future__ import annotations

import time
from collections import defaultdict
from functools import lru_cache
from typing import Any

from burdenshift.domain.load import load_world
from burdenshift.domain.world import World
from burdenshift.errors import InputError
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.schema import Scenario


@lru_cache(maxsize=4)
def _world(data: str | None) -> World:
    return load_world(data)


def run_chain(tasks: list[dict[str, Any]], data: str | None = None) -> list[dict[str, Any]]:
    """Tasks in order, plan tasks on one kept solver per mode. A chain is fixed by the sweep
    file, so which plan warm-starts from which is the same on any number of workers.

    A failed task is the last entry, as `{"failed": failure(...)}`; the tasks after it in the
    chain are not run (a kept solver may be left half-changed)."""
    from burdenshift.engine.plan import PlanSolver

    solvers: dict[str, PlanSolver] = defaultdict(PlanSolver)
    out: list[dict[str, Any]] = []
    for task in tasks:
        start = time.perf_counter()
        try:
            done = run_task(task, data, solvers)
        except Exception as exc:  # reported by the runner in one paragraph, never re-raised
            out.append({"failed": failure(task, exc)})
            break
        out.append({**done, "wall_time_s": time.perf_counter() - start})
    return out


def failure(task: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    """A failed task, plainly (it crosses process boundaries as data, not as a pickled
    exception): which task, and whether the user's input caused it."""
    if isinstance(exc, InputError):
        kind, problem, fix = "input", exc.problem, exc.fix
        if exc.file:  # a file other than the sweep's (the data folder's)
            line = f", line {exc.line}" if exc.line is not None else ""
            problem = f"{exc.file}{line}: {problem}"
    elif isinstance(exc, MemoryError):
        kind, problem = "memory", "ran out of memory"
        fix = "use fewer workers, fewer risk draws or a shorter horizon"
    else:
        kind = "internal"
        lines = str(exc).strip().splitlines()
        problem = f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
        fix = None
    return {
        "task": task["id"],
        "index": task["index"],
        "case": task["case"],
        "engine": task["engine"],
        "line": task.get("line"),
        "kind": kind,
        "problem": problem,
        "field": getattr(exc, "field", None),
        "fix": fix,
    }


def run_task(
    task: dict[str, Any], data: str | None = None, solvers: dict[str, Any] | None = None
) -> dict[str, Any]:
    """`task` as in `sweep.spec.Task` (a dict, so it crosses process boundaries plainly);
    `solvers` holds kept plan solvers by mode."""
    from burdenshift.engine.runinfo import run_info

    scenario = Scenario.model_validate(task["scenario"])
    world = applied_world(_world(data), scenario)
    engine, seed, options = task["engine"], task["seed"], task["options"]
    if engine == "assess":
        from burdenshift.engine.assess import assess
        from burdenshift.output import assessment_json

        result = assessment_json(assess(world, scenario), run_info(engine, world, scenario))
    elif engine == "simulate":
        from burdenshift.engine.simulate import simulate
        from burdenshift.output import simulation_json

        result = simulation_json(simulate(world, scenario), run_info(engine, world, scenario))
    elif engine == "risk":
        from burdenshift.engine.risk import risk

        # one thread: a sweep spreads its tasks over the cores
        result = risk(
            world, scenario, options["draws"], seed, threads=1, varied=options.get("varied", ())
        ).as_dict()
        result["run"] = run_info(engine, world, scenario, seed).as_dict()
    else:
        from burdenshift.engine.plan import SolveOptions, plan

        mode = options.get("mode") or scenario.procurement
        opts = SolveOptions(
            time_limit=options.get("time_limit"),
            total_time_limit=options.get("total_time_limit"),
        )
        kept = solvers[mode] if solvers is not None else None
        builds = kept.builds if kept is not None else 0
        result = plan(world, scenario, mode, opts, solver=kept).as_dict()
        result["run"] = run_info(engine, world, scenario).as_dict()
        result["warm_start"] = kept is not None and kept.builds == builds
    return {
        "task": task["id"],
        "index": task["index"],
        "case": task["case"],
        "engine": engine,
        "seed": seed,
        "result": result,
    }
