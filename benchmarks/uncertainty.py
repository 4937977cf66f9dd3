"""Benchmarks for `risk` (10,000 draws against a per-draw loop) and `sweep` (200 scenarios on
1 and 2 Dask workers). Prints Markdown rows for docs/performance.md."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from burdenshift import load_world
from burdenshift.engine import draws
from burdenshift.engine.risk import risk
from burdenshift.engine.simulate import CHUNK, simulate
from burdenshift.scenario.loader import load_scenario
from burdenshift.store.database import Store
from burdenshift.sweep.runner import run_sweep
from burdenshift.sweep.spec import load_sweep

N = 10_000


def bench_risk() -> None:
    world, sc = load_world(), load_scenario(None)
    risk(world, sc, 2_000, 0)  # warm-up: imports, caches
    times = []
    for seed in range(3):
        start = time.perf_counter()
        risk(world, sc, N, seed)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    risk(world, sc, N, 9)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    # the same draws, one simulate call each (timed on 300 draws, scaled to 10,000)
    sp = draws.space(world, sc)
    params = draws.to_params(world, sc, sp, draws.monte_carlo(sp, 300, np.random.default_rng(1)))
    start = time.perf_counter()
    for i in range(300):
        one = type(params)(**{k: v[i : i + 1] for k, v in params.__dict__.items()})
        simulate(world, sc, one)
    loop = (time.perf_counter() - start) / 300 * N
    med = statistics.median(times)
    print(
        f"| `risk`, {N:,} draws | {med:.2f} | {min(times):.2f} | {peak:.0f} | "
        f"{N / med:,.0f} draws/s; per-draw loop {loop:.1f} s → {loop / med:.0f}× |"
    )


def bench_risk_scale() -> None:
    """100,000 draws from the CLI (cold process, storing nothing), and a lean `simulate` of
    100,000 parameter sets through the engine (peak memory of numpy's allocations)."""
    cli = [sys.executable, "-m", "burdenshift", "risk", "--draws", "100000", "--json"]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run([*cli, "--no-store"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    print(
        f"| `burdenshift risk --draws 100000 --json`, cold CLI | {statistics.median(times):.2f} | "
        f"{min(times):.2f} | | goal ≤ 10 s |"
    )
    world, sc = load_world(), load_scenario(None)
    sp = draws.space(world, sc)
    u = draws.monte_carlo(sp, 100_000, np.random.default_rng(1))
    params = draws.to_params(world, sc, sp, u)
    tracemalloc.start()
    start = time.perf_counter()
    simulate(world, sc, params, detail=False)
    took = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        f"| `simulate(..., detail=False)`, 100,000 parameter sets | {took:.2f} | | {peak:.0f} | "
        f"goal < 1 GB; chunks of {CHUNK:,} |"
    )


def bench_threads() -> None:
    """risk on one thread against two, interleaved: how much the second core adds."""
    world, sc = load_world(), load_scenario(None)
    risk(world, sc, 2_000, 0)
    took: dict[int, list[float]] = {1: [], 2: []}
    for seed in range(3):
        for threads in (1, 2):
            start = time.perf_counter()
            risk(world, sc, N, seed, threads=threads)
            took[threads].append(time.perf_counter() - start)
    one, two = statistics.median(took[1]), statistics.median(took[2])
    print(f"| `risk`, {N:,} draws, 1 thread | {one:.2f} | {min(took[1]):.2f} | | |")
    print(
        f"| `risk`, {N:,} draws, 2 threads | {two:.2f} | {min(took[2]):.2f} | | {one / two:.2f}× |"
    )


SWEEP = """
name: bench
base: baseline-2027-blunt
engines: [risk]
risk: {draws: DRAWS}
grid:
  budget.multiplier: [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
  requirement_growth: [1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.35, 1.4, 1.45]
  export.us_licences: [granted, refused]
"""


def bench_sweep() -> None:
    """200 risk tasks on 1 and 2 workers, at the default 10,000 draws and at 2,000."""
    for n_draws in (10_000, 2_000):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sweep.yaml"
            path.write_text(SWEEP.replace("DRAWS", str(n_draws)))
            _, tasks = load_sweep(path)
            assert len(tasks) == 200
            took = {}
            for workers in (1, 2):
                start = time.perf_counter()
                run_sweep(tasks, Store(Path(tmp) / f"w{workers}.duckdb"), workers=workers)
                took[workers] = time.perf_counter() - start
            label = f"`sweep`, 200 risk tasks × {n_draws:,} draws"
            print(f"| {label}, 1 worker | {took[1]:.1f} | | | |")
            print(f"| {label}, 2 workers | {took[2]:.1f} | | | {took[1] / took[2]:.2f}× faster |")


PLAN_SWEEP = """
name: bench-plans
base: baseline-2027-blunt
engines: [plan]
plan: {chain: CHAIN}
grid:
  target_share: [0.45, 0.5, 0.55, 0.6]
  budget.multiplier: [0.8, 1.0, 1.2, 1.5]
"""


def bench_plan_sweep() -> None:
    """16 plans in one process: each solved cold, against chains of 8 on one kept model."""
    with tempfile.TemporaryDirectory() as tmp:
        took = {}
        for chain in (1, 8):
            path = Path(tmp) / f"plans{chain}.yaml"
            path.write_text(PLAN_SWEEP.replace("CHAIN", str(chain)))
            _, tasks = load_sweep(path)
            start = time.perf_counter()
            out = run_sweep(tasks, Store(Path(tmp) / f"p{chain}.duckdb"), workers=0)
            took[chain] = time.perf_counter() - start
            warm = sum(r["warm_start"] for r in out)
            print(
                f"| `sweep`, 16 plan tasks, chain {chain} ({warm} warm-started) | "
                f"{took[chain]:.1f} | | | {took[chain] / 16:.2f} s per plan |"
            )


if __name__ == "__main__":
    which = sys.argv[1:] or ["risk", "sweep", "plans"]
    print("| benchmark | median s | min s | peak MB | note |")
    print("|---|---|---|---|---|")
    if "risk" in which:
        bench_risk()
    if "threads" in which:
        bench_threads()
    if "scale" in which:
        bench_risk_scale()
    if "sweep" in which:
        bench_sweep()
    if "plans" in which:
        bench_plan_sweep()
