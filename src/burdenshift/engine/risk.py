"""`risk`: Monte Carlo over the uncertain parameters, with `simulate` evaluating all draws of a
chunk in one vectorised pass. Draws come from one seeded generator: same seed, same numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from burdenshift.domain.world import World
from burdenshift.engine import counting, data_draws, draws
from burdenshift.engine.simulate import Simulation
from burdenshift.scenario.schema import Scenario

QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}
POLICY_ONLY_DRAWS = 2_500
"""Draws for the probability under policy uncertainty alone (the first of the run's draws, the
data as stated): a comparison, reported with its own standard error, at a quarter of the cost
of the main pass at the default 10,000 draws."""


@dataclass(frozen=True, eq=False)
class RiskResult:
    draws: int
    seed: int
    deadline: int
    years: np.ndarray
    areas: tuple[str, ...]
    target: np.ndarray
    parameters: list[str]
    share_at_deadline: np.ndarray
    """(draw, area) coverage in the deadline year."""
    share_quantiles: np.ndarray
    """(quantile, area, year) coverage quantiles p10, p50, p90 per year: the fan chart."""
    year_held: np.ndarray
    """(draw, area) first year from which the target holds to the horizon's end; 0 = never."""
    gap: np.ndarray
    """(draw, area) deterrence gap summed over the horizon, requirement-share-years."""
    cost_musd: np.ndarray
    """(draw,) total cost over the horizon."""
    weak_share: np.ndarray
    """(area,) share of today's capability resting on low-confidence or assumed figures."""
    us_made_share: np.ndarray
    """(area,) share of Europe's capability today that is US-made."""
    share_policy_only: np.ndarray | None = None
    """(draw, area) coverage in the deadline year with the data at their stated values."""
    data_figures: int = 0
    data_groups: int = 0
    """Figures drawn within their ranges, and the groups that move them together."""

    @property
    def p_target(self) -> np.ndarray:
        """(area,) probability that Europe holds the target share in the deadline year."""
        return (self.share_at_deadline >= self.target[None, :] - 1e-9).mean(0)

    @property
    def p_se(self) -> np.ndarray:
        p = self.p_target
        return np.sqrt(p * (1 - p) / self.draws)

    @property
    def p_target_policy_only(self) -> np.ndarray:
        """(area,) the same probability with policy uncertainty alone (data as stated)."""
        share = self.share_at_deadline if self.share_policy_only is None else self.share_policy_only
        return (share >= self.target[None, :] - 1e-9).mean(0)

    @property
    def policy_only_draws(self) -> int:
        return self.draws if self.share_policy_only is None else self.share_policy_only.shape[0]

    @property
    def p_se_policy_only(self) -> np.ndarray:
        n = self.draws if self.share_policy_only is None else self.share_policy_only.shape[0]
        p = self.p_target_policy_only
        return np.sqrt(p * (1 - p) / n)

    def as_dict(self) -> dict[str, object]:
        p, se, policy = self.p_target, self.p_se, self.p_target_policy_only
        policy_se = self.p_se_policy_only
        areas = []
        for a, area in enumerate(self.areas):
            held = self.year_held[:, a].astype(float)
            held[held == 0] = np.inf
            areas.append(
                {
                    "area": area,
                    "low_confidence": bool(self.weak_share[a] > counting.WEAK_THRESHOLD),
                    "us_made_share": round(float(self.us_made_share[a]), 6),
                    "p_target_by_deadline": round(float(p[a]), 6),
                    "p_se": round(float(se[a]), 6),
                    "p_target_policy_only": round(float(policy[a]), 6),
                    "p_se_policy_only": round(float(policy_se[a]), 6),
                    "year_target_quantiles": {
                        k: _year(np.quantile(held, q, method="inverted_cdf"))
                        for k, q in QUANTILES.items()
                    },
                    "gap_quantiles": _quantiles(self.gap[:, a]),
                    "share_at_deadline_quantiles": _quantiles(self.share_at_deadline[:, a]),
                    "share_quantiles": {
                        str(int(y)): {
                            k: round(float(self.share_quantiles[i, a, t]), 6)
                            for i, k in enumerate(QUANTILES)
                        }
                        for t, y in enumerate(self.years)
                    },
                }
            )
        return {
            "draws": self.draws,
            "seed": self.seed,
            "deadline": self.deadline,
            "parameters": self.parameters,
            "uncertainty": {
                "policy": self.parameters,
                "data": {"figures": self.data_figures, "groups": self.data_groups},
                "probabilities": "p_target_by_deadline draws the data within their ranges on "
                "top of policy uncertainty (quantiles come from it); p_target_policy_only holds "
                "the data at their stated values, over the first "
                f"{self.policy_only_draws:,} draws",
            },
            "areas": areas,
            "cost_musd_quantiles": _quantiles(self.cost_musd),
        }


def _year(value: float) -> int | None:
    return int(value) if np.isfinite(value) else None


def _quantiles(x: np.ndarray) -> dict[str, float]:
    return {k: round(float(np.quantile(x, q)), 6) for k, q in QUANTILES.items()}


def first_year_held(share: np.ndarray, target: np.ndarray, years: np.ndarray) -> np.ndarray:
    """(…, area, year) -> (…, area): first year from which share >= target to the end; 0 never."""
    ok = share >= target[:, None] - 1e-9
    held = np.flip(np.logical_and.accumulate(np.flip(ok, axis=-1), axis=-1), axis=-1)
    first = np.argmax(held, axis=-1)
    return np.where(np.take_along_axis(held, first[..., None], -1)[..., 0], years[first], 0)


def risk(
    world: World,
    scenario: Scenario,
    n_draws: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    threads: int | None = None,
    varied: Iterable[str] = (),
) -> RiskResult:
    """`threads`: chunks run at once (default every core; 1 inside a sweep's workers);
    `varied`: levers a sweep varies, held at the scenario's values (see `draws.pinned`)."""
    sp = draws.space(world, scenario, varied)
    rng = np.random.default_rng(seed)
    u = draws.monte_carlo(sp, n_draws, rng)
    ds = data_draws.data_space(world, scenario)
    ud = rng.random((n_draws, len(ds.groups)))
    years = np.array(scenario.years)
    dl = scenario.years.index(scenario.deadline)

    def keep(sim: Simulation) -> tuple[np.ndarray, ...]:
        return (
            sim.europe_share[:, :, dl],
            first_year_held(sim.europe_share, sim.target, years),
            sim.gap.sum(-1),
            sim.cost_musd.sum((1, 2)),
            sim.europe_share,
        )

    # the policy-only draws share the pool with the main ones, in smaller chunks that balance
    # the threads' loads
    first = u[: min(n_draws, POLICY_ONLY_DRAWS)] if ds.figures else u[:0]
    main, alone = draws.evaluate_jobs(
        world,
        scenario,
        sp,
        [
            draws.Job(u, keep, (ds, ud)),
            draws.Job(first, lambda sim: sim.europe_share[:, :, dl], chunk=1_250, counts=False),
        ],
        progress,
        threads,
    )
    share, held, gap, cost, by_year = (np.concatenate(x) for x in zip(*main, strict=True))
    policy = np.concatenate(alone) if alone else share
    return RiskResult(
        draws=n_draws,
        seed=seed,
        deadline=scenario.deadline,
        years=years,
        areas=world.areas,
        target=counting.targets(world, scenario),
        parameters=sp.parameters,
        share_at_deadline=share,
        share_quantiles=np.quantile(by_year, list(QUANTILES.values()), axis=0),
        year_held=held,
        gap=gap,
        weak_share=counting.weak_share(world, world.europe_mask(scenario.europe_includes_canada)),
        us_made_share=counting.us_made_share(world, scenario),
        cost_musd=cost,
        share_policy_only=policy,
        data_figures=len(ds.figures),
        data_groups=len(ds.groups),
    )
