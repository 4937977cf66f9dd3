"""`sensitivity`: Sobol first-order and total indices (SALib) of key outputs with respect to the
uncertain parameters: which levers matter most."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine import data_draws, draws
from burdenshift.engine.simulate import Simulation
from burdenshift.scenario.schema import Scenario


@dataclass(frozen=True)
class Indices:
    parameter: str
    S1: float
    S1_conf: float
    ST: float
    ST_conf: float


def sobol(
    evaluate: Callable[[np.ndarray], np.ndarray],
    names: list[str],
    n: int,
    seed: int,
    groups: list[str] | None = None,
) -> dict[int, list[Indices]]:
    """Sobol indices of each output column of `evaluate` (unit cube -> (points, outputs)).

    Saltelli's scheme through SALib: n · (k + 2) evaluations for k parameters (or groups), first-
    order and total indices with 95 % bootstrap confidence intervals.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem: dict[str, object] = {
        "num_vars": len(names),
        "names": names,
        "bounds": [[0.0, 1.0]] * len(names),
    }
    if groups is not None and len(set(groups)) < len(groups):
        problem["groups"] = groups
    x = sample.sample(problem, n, calc_second_order=False, seed=seed)
    # Sobol points can touch 1.0 exactly; the inverse CDFs want [0, 1)
    y = evaluate(np.minimum(x, np.nextafter(1.0, 0.0)))
    labels = list(dict.fromkeys(groups)) if "groups" in problem else names
    out: dict[int, list[Indices]] = {}
    for j in range(y.shape[1]):
        col = y[:, j]
        if np.ptp(col) == 0:  # a constant output has no variance to share out
            out[j] = [Indices(p, 0.0, 0.0, 0.0, 0.0) for p in labels]
            continue
        res = analyze.analyze(problem, col, calc_second_order=False, num_resamples=200, seed=seed)
        out[j] = [
            Indices(
                p,
                float(res["S1"][i]),
                float(res["S1_conf"][i]),
                float(res["ST"][i]),
                float(res["ST_conf"][i]),
            )
            for i, p in enumerate(labels)
        ]
    return out


@dataclass(frozen=True, eq=False)
class Sensitivity:
    n: int
    seed: int
    evaluations: int
    outputs: list[str]
    indices: dict[str, list[Indices]]

    def ranking(self) -> list[tuple[str, float]]:
        """Parameters by their largest total index over all outputs."""
        best: dict[str, float] = {}
        for rows in self.indices.values():
            for r in rows:
                best[r.parameter] = max(best.get(r.parameter, 0.0), r.ST)
        return sorted(best.items(), key=lambda kv: -kv[1])

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "ranking": [{"parameter": p, "max_ST": round(v, 6)} for p, v in self.ranking()],
            "outputs": {
                name: [
                    {k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.__dict__.items()}
                    for r in rows
                ]
                for name, rows in self.indices.items()
            },
        }


def sensitivity(
    world: World,
    scenario: Scenario,
    n: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> Sensitivity:
    """Outputs: each area's share at the deadline, the total deterrence gap, the total cost."""
    sp = draws.space(world, scenario)
    ds = data_draws.data_space(world, scenario)
    k = len(sp.columns)
    dl = scenario.years.index(scenario.deadline)
    outputs = [f"share_at_deadline:{a}" for a in world.areas] + ["deterrence_gap", "cost_musd"]

    def keep(sim: Simulation) -> np.ndarray:
        return np.column_stack(
            [sim.europe_share[:, :, dl], sim.gap.sum((1, 2)), sim.cost_musd.sum((1, 2))]
        )

    def evaluate(u: np.ndarray) -> np.ndarray:
        data = (ds, u[:, k:]) if ds.figures else None
        return np.concatenate(
            draws.evaluate(world, scenario, sp, u[:, :k], keep, progress, data=data)
        )

    # the data's groups are columns of the cube; SALib groups them by kind of figure
    names = sp.names + [f"data:{g}" for g in ds.groups]
    groups = sp.groups + ds.kinds
    found = sobol(evaluate, names, n, seed, groups)
    n_groups = len(dict.fromkeys(groups))
    return Sensitivity(
        n=n,
        seed=seed,
        evaluations=n * (n_groups + 2),
        outputs=outputs,
        indices={name: found[j] for j, name in enumerate(outputs)},
    )
