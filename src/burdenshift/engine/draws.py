"""From points of the unit cube to parameter sets: the one place uncertain parameters become
`Params` rows, for Monte Carlo (`risk`) and Sobol analysis (`sensitivity`) alike."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from burdenshift.domain.uncertainty import Discrete, Uncertainty
from burdenshift.domain.world import World
from burdenshift.engine import data_draws
from burdenshift.engine.data_draws import DataSpace
from burdenshift.engine.params import NEVER, Params, from_scenario
from burdenshift.engine.simulate import CHUNK as SIMULATE_CHUNK
from burdenshift.engine.simulate import Simulation, route_patterns, simulate
from burdenshift.scenario.schema import Scenario

T = TypeVar("T")


@dataclass(frozen=True)
class Column:
    """One dimension of the unit cube."""

    name: str
    """The parameter, or `budget_realisation:ALLY` for a per-ally draw."""
    group: str
    """The parameter it belongs to (Sobol groups per-ally draws together)."""


@dataclass(frozen=True)
class Space:
    """The uncertain parameters of a run and the columns of the unit cube they use."""

    uncertainty: Uncertainty
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def groups(self) -> list[str]:
        return [c.group for c in self.columns]

    @property
    def parameters(self) -> list[str]:
        return list(dict.fromkeys(self.groups))


# levers (dotted scenario fields) and the uncertain parameters that stand in for them
LEVERS: dict[str, set[str]] = {
    "export.us_licences": {"licence_level"},
    "us_drawdown": {"drawdown_path", "drawdown_start"},
    "coordination_withdrawal": {"coordination_year"},
}


def _field(scenario: Scenario, dotted: str) -> Any:
    node: Any = scenario
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def pinned(scenario: Scenario, varied: Iterable[str] = ()) -> set[str]:
    """Levers the scenario sets away from their defaults, or that a sweep varies (`varied`,
    dotted fields): a what-if on that lever, so the data's default distribution for it does not
    apply (the scenario's own `uncertainty` still does). A sweep over licences must compare
    granted with refused, not a draw over both with refused."""
    default = Scenario()
    varied = list(varied)
    out: set[str] = set()
    for lever, params in LEVERS.items():
        moved = _field(scenario, lever) != _field(default, lever)
        swept = any(
            k == lever or k.startswith(lever + ".") or lever.startswith(k + ".") for k in varied
        )
        if moved or swept:
            out |= params
    return out


def space(world: World, scenario: Scenario, varied: Iterable[str] = ()) -> Space:
    """The data's default distributions (less the levers the scenario pins or a sweep varies),
    overridden by the scenario's own."""
    defaults = world.uncertainty.model_copy(update=dict.fromkeys(pinned(scenario, varied)))
    unc = defaults.merged(scenario.uncertainty)
    europe = world.europe_mask(scenario.europe_includes_canada)
    cols: list[Column] = []
    per_ally = unc.budget_realisation is not None and unc.budget_realisation.per_ally
    allies = [a for a, e in zip(world.allies, europe, strict=True) if e]
    for name in unc.active():
        if name == "budget_realisation" and per_ally:
            cols += [Column(f"{name}:common", name)]
            cols += [Column(f"{name}:{a}", name) for a in allies]
        else:
            cols.append(Column(name, name))
    return Space(unc, tuple(cols))


def to_params(world: World, scenario: Scenario, sp: Space, u: np.ndarray) -> Params:
    """Parameter sets for the rows of u (draws × columns of the space)."""
    n = u.shape[0]
    base = from_scenario(world, scenario).repeat(n)
    unc = sp.uncertainty
    col = {c.name: i for i, c in enumerate(sp.columns)}
    changes: dict[str, np.ndarray] = {}

    def draw(name: str) -> np.ndarray | None:
        dist = getattr(unc, name)
        return None if dist is None else dist.ppf(u[:, col[name]])

    for name in ("ramp_realisation", "cost_overrun"):
        values = draw(name)
        if values is not None:
            changes[name] = np.asarray(values, dtype=float)
    delay = draw("lead_delay_years")
    if delay is not None:
        changes["lead_delay_years"] = np.maximum(np.rint(np.asarray(delay, dtype=float)), 0).astype(
            int
        )
    licence = draw("licence_level")
    if licence is not None:
        changes["licence_level"] = np.clip(np.asarray(licence, dtype=float), 0.0, 1.0)
    coord = draw("coordination_year")
    if coord is not None:
        years = np.array([NEVER if v is None or v != v else int(v) for v in coord], dtype=int)
        changes["coordination_year"] = years
    if unc.budget_realisation is not None:
        dist = unc.budget_realisation.distribution
        mult = base.budget_multiplier.copy()
        europe = world.europe_mask(scenario.europe_includes_canada)
        if unc.budget_realisation.per_ally:
            rho = unc.budget_realisation.correlation
            common = _normal(u[:, col["budget_realisation:common"]])
            for i in np.flatnonzero(europe):
                own = _normal(u[:, col[f"budget_realisation:{world.allies[i]}"]])
                z = np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own
                mult[:, i] *= dist.ppf(_uniform(z))
        else:
            mult *= np.asarray(dist.ppf(u[:, col["budget_realisation"]]), dtype=float)[:, None]
        changes["budget_multiplier"] = np.maximum(mult, 0.0)
    start, end = base.drawdown_start.copy(), base.drawdown_end.copy()
    new_start = draw("drawdown_start")
    if new_start is not None:
        shift = np.rint(np.asarray(new_start, dtype=float)).astype(int)[:, None] - start
        start, end = start + shift, end + shift
    path = unc.drawdown_path
    if isinstance(path, Discrete):
        phased = (
            np.array(path.values, dtype=object)[path.index(u[:, col["drawdown_path"]])] == "phased"
        )
        span = scenario.us_drawdown.end_year or 0
        phased_end = np.full_like(start, span) if span else start + 3
        end = np.where(phased[:, None], np.maximum(phased_end, start), start)
    if scenario.us_drawdown.path == "none" and path is None and new_start is None:
        start, end = base.drawdown_start, base.drawdown_end
    changes["drawdown_start"], changes["drawdown_end"] = start, np.maximum(end, start)
    factor = draw("us_floor_factor")
    if factor is not None:
        changes["us_floor_share"] = np.clip(
            base.us_floor_share * np.asarray(factor, dtype=float)[:, None], 0.0, 1.0
        )
    return replace(base, **changes)


def _normal(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))


def _uniform(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.minimum(ndtr(z), np.nextafter(1.0, 0.0))


def monte_carlo(sp: Space, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform points for `draws` Monte Carlo draws."""
    return rng.random((draws, len(sp.columns)))


CHUNK = SIMULATE_CHUNK
"""Draws per pass: simulate's own chunk (`engine.simulate.CHUNK`)."""


@dataclass(frozen=True)
class Job:
    """Points of the unit cube to simulate, what to keep of each chunk, the data drawn for them
    (None: the data as stated), and the chunk size."""

    u: np.ndarray
    keep: Callable[[Simulation], Any]
    data: tuple[DataSpace, np.ndarray] | None = None
    chunk: int = 0
    counts: bool = True
    """Report this job's chunks to `progress`."""


def evaluate(
    world: World,
    scenario: Scenario,
    sp: Space,
    u: np.ndarray,
    keep: Callable[[Simulation], T],
    progress: Callable[[int], None] | None = None,
    threads: int | None = None,
    data: tuple[DataSpace, np.ndarray] | None = None,
) -> list[T]:
    """`keep(simulate(...))` for each chunk of the points `u`, in chunk order (`data`: the drawn
    figures and their uniform points, one row per point of `u`)."""
    return evaluate_jobs(world, scenario, sp, [Job(u, keep, data)], progress, threads)[0]


def evaluate_jobs(
    world: World,
    scenario: Scenario,
    sp: Space,
    jobs: list[Job],
    progress: Callable[[int], None] | None = None,
    threads: int | None = None,
) -> list[list[Any]]:
    """Each job's kept chunks, all chunks of all jobs sharing one pool of threads.

    Chunks run on `threads` threads (default: every core), BLAS held to one thread each so the
    cores are not oversubscribed; numpy releases the interpreter lock in its array work, so two
    cores run two chunks at once. Each chunk's numbers do not depend on the thread count.
    `progress` runs in this thread and may raise to stop early (pending chunks are dropped).
    """
    from threadpoolctl import threadpool_limits

    routes = route_patterns(world, scenario)  # the same for every chunk

    def one(job: Job, start: int, size: int) -> Any:
        params = to_params(world, scenario, sp, job.u[start : start + size])
        drawn = None
        if job.data is not None and job.data[0].figures:
            drawn = data_draws.monte_carlo(job.data[0], job.data[1][start : start + size])
        return job.keep(simulate(world, scenario, params, detail=False, data=drawn, routes=routes))

    tasks = [
        (j, job, start, job.chunk or CHUNK)
        for j, job in enumerate(jobs)
        for start in range(0, job.u.shape[0], job.chunk or CHUNK)
    ]
    n_threads = max(1, min(threads or os.cpu_count() or 1, len(tasks)))
    out: list[list[Any]] = [[] for _ in jobs]
    with threadpool_limits(1, user_api="blas"):
        pool = ThreadPoolExecutor(n_threads)
        try:
            futures = [pool.submit(one, job, start, size) for _, job, start, size in tasks]
            for (j, job, start, size), fut in zip(tasks, futures, strict=True):
                out[j].append(fut.result())
                if progress is not None and job.counts:
                    progress(min(size, job.u.shape[0] - start))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return out
