"""Benchmarks: `assess` from a cold CLI start, and `simulate` with batches of 1 and 1,000.

Run with `make bench`; prints a Markdown table to paste into docs/performance.md.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from burdenshift import load_world
from burdenshift.engine.params import from_scenario
from burdenshift.engine.simulate import simulate
from burdenshift.scenario.loader import load_scenario

BIN = Path(sys.executable).parent / "burdenshift"


def cold_cli(repeats: int = 7) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([str(BIN), "assess", "--json"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def batch(n: int, repeats: int = 5) -> tuple[list[float], float]:
    world = load_world()
    sc = load_scenario(None)
    params = from_scenario(world, sc).repeat(n)
    rng = np.random.default_rng(0)
    params.budget_multiplier[:] = rng.uniform(0.7, 1.1, params.budget_multiplier.shape)
    simulate(world, sc, params)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        simulate(world, sc, params)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    simulate(world, sc, params)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return times, peak


def plan_times(mode: str, repeats: int = 3) -> tuple[list[float], float, int, int]:
    from burdenshift.engine.plan import SolveOptions, model, plan
    from burdenshift.engine.plan.prepared import prepare

    world = load_world()
    sc = load_scenario(None)
    builds = []
    for _ in range(repeats):
        start = time.perf_counter()
        m = model.build(prepare(world, sc, mode))
        builds.append(time.perf_counter() - start)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        plan(world, sc, mode, SolveOptions(time_limit=600))  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return times, statistics.median(builds), m.nvars, m.ncons


def main() -> None:
    cpu = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = f"{names[0]} ({cpu})" if names else cpu
    print(
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{dt.date.today().isoformat()}\n"
    )
    print("| benchmark | median s | min s | peak MB | goal |")
    print("|---|---|---|---|---|")
    cold = cold_cli()
    print(
        f"| `burdenshift assess --json`, cold CLI start | {statistics.median(cold):.3f} | "
        f"{min(cold):.3f} | | < 1.5 s |"
    )
    for n, goal in ((1, ""), (1000, "< 1 s")):
        times, peak = batch(n)
        print(
            f"| `simulate`, default world, batch of {n:,} | {statistics.median(times):.3f} | "
            f"{min(times):.3f} | {peak:.0f} | {goal} |"
        )
    for mode in ("national", "pooled"):
        times, build, nvars, ncons = plan_times(mode)
        print(
            f"| `plan --mode {mode}` (3 solves; model build {build:.2f} s, {nvars:,} variables, "
            f"{ncons:,} rows) | {statistics.median(times):.2f} | {min(times):.2f} | | |"
        )


if __name__ == "__main__":
    main()
