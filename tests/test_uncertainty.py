"""risk and sensitivity: zero variance reproduces simulate, seeds, standard errors, Sobol on
Ishigami, and bad distributions."""

from __future__ import annotations

import numpy as np
import pytest

from burdenshift.domain.uncertainty import Discrete, Normal, Triangular, Uncertainty
from burdenshift.engine import draws
from burdenshift.engine.risk import first_year_held, risk
from burdenshift.engine.sensitivity import sobol
from burdenshift.engine.simulate import simulate
from burdenshift.scenario.loader import parse_scenario
from burdenshift.scenario.schema import Scenario
from tests.conftest import run_cli

POINT = {
    "ramp_realisation": {"dist": "triangular", "low": 1, "mode": 1, "high": 1},
    "lead_delay_years": {"dist": "discrete", "values": [0], "probs": [1]},
    "cost_overrun": {"dist": "lognormal", "median": 1, "sigma": 0},
    "budget_realisation": {
        "per_ally": True,
        "distribution": {"dist": "normal", "mean": 1, "sd": 0},
    },
    "drawdown_path": {"dist": "discrete", "values": ["blunt"], "probs": [1]},
    "drawdown_start": {"dist": "discrete", "values": [2027], "probs": [1]},
    "licence_level": {"dist": "uniform", "low": 1, "high": 1},
    "coordination_year": {"dist": "discrete", "values": [2027], "probs": [1]},
}


def test_zero_variance_reproduces_simulate(default_world):
    sc = Scenario(uncertainty=Uncertainty.model_validate(POINT))
    result = risk(default_world, sc, 300, seed=1)
    sim = simulate(default_world, Scenario())
    dl = sc.years.index(sc.deadline)
    # with the data as stated (the policy-only pass), every draw is the central case
    np.testing.assert_allclose(
        result.share_policy_only, np.repeat(sim.europe_share[:, :, dl], 300, 0)
    )
    met = sim.europe_share[0, :, dl] >= sim.target - 1e-9
    np.testing.assert_array_equal(result.p_target_policy_only, met.astype(float))
    assert np.all(result.p_se_policy_only == 0)
    # the data drawn within their ranges still spread the main pass
    assert result.data_figures > 0 and np.ptp(result.share_at_deadline, axis=0).max() > 0


def test_same_seed_same_numbers_different_seed_differs(default_world):
    a = risk(default_world, Scenario(), 500, seed=7)
    b = risk(default_world, Scenario(), 500, seed=7)
    c = risk(default_world, Scenario(), 500, seed=8)
    np.testing.assert_array_equal(a.share_at_deadline, b.share_at_deadline)
    np.testing.assert_array_equal(a.cost_musd, b.cost_musd)
    assert not np.array_equal(a.cost_musd, c.cost_musd)


def test_thread_count_and_chunking_do_not_change_numbers(default_world, monkeypatch):
    """Chunks run on several threads; the numbers are those of one thread, chunk by chunk."""
    monkeypatch.setattr(draws, "CHUNK", 250)
    one = risk(default_world, Scenario(), 1_000, seed=3, threads=1)
    two = risk(default_world, Scenario(), 1_000, seed=3, threads=2)
    np.testing.assert_array_equal(one.share_at_deadline, two.share_at_deadline)
    np.testing.assert_array_equal(one.cost_musd, two.cost_musd)
    monkeypatch.setattr(draws, "CHUNK", 1_000)
    whole = risk(default_world, Scenario(), 1_000, seed=3, threads=1)
    np.testing.assert_allclose(whole.share_at_deadline, one.share_at_deadline, rtol=1e-12)
    np.testing.assert_allclose(whole.cost_musd, one.cost_musd, rtol=1e-12)


def test_lean_simulate_keeps_shares_gaps_and_costs(default_world):
    sc = Scenario()
    sp = draws.space(default_world, sc)
    params = draws.to_params(
        default_world, sc, sp, draws.monte_carlo(sp, 50, np.random.default_rng(2))
    )
    full = simulate(default_world, sc, params)
    lean = simulate(default_world, sc, params, detail=False)
    for name in ("europe_share", "gap", "purchases_musd", "capex_musd"):
        np.testing.assert_array_equal(getattr(lean, name), getattr(full, name))
    assert lean.stock.shape[1] == 0 and lean.line_output.shape[1] == 0
    assert lean.us_share.shape[1] == lean.force_share.shape[1] == 0
    assert full.us_share.shape == full.europe_share.shape


def test_probabilities_and_standard_errors(default_world):
    # a target the deadline share straddles (its median over a first run), so the probability
    # is strictly inside (0, 1): the area whose share spreads most
    first = risk(default_world, Scenario(), 400, seed=1)
    spread = np.ptp(first.share_at_deadline, axis=0)
    a = int(np.argmax(spread))
    assert spread[a] > 0
    median = float(np.median(first.share_at_deadline[:, a]))
    sc = Scenario(target_share_by_area={default_world.areas[a]: median})
    small, large = risk(default_world, sc, 1000, seed=3), risk(default_world, sc, 4000, seed=3)
    for r in (small, large):
        assert np.all((r.p_target >= 0) & (r.p_target <= 1))
        np.testing.assert_allclose(r.p_se, np.sqrt(r.p_target * (1 - r.p_target) / r.draws))
    assert 0.05 < large.p_target[a] < 0.95
    # four times the draws, half the standard error (p itself moves a little between runs)
    assert small.p_se[a] / large.p_se[a] == pytest.approx(2.0, rel=0.15)


def test_first_year_held_vectorised():
    years = np.array([2026, 2027, 2028])
    share = np.array([[[0.6, 0.4, 0.6], [0.1, 0.6, 0.7]]])
    np.testing.assert_array_equal(
        first_year_held(share, np.array([0.5, 0.5]), years), [[2028, 2027]]
    )
    never = first_year_held(np.array([[[0.1, 0.2, 0.3]]]), np.array([0.5]), years)
    np.testing.assert_array_equal(never, [[0]])


def test_draws_respect_their_distributions(default_world):
    sp = draws.space(default_world, Scenario())
    u = draws.monte_carlo(sp, 20_000, np.random.default_rng(0))
    p = draws.to_params(default_world, Scenario(), sp, u)
    assert p.ramp_realisation.min() >= 0.4 and p.ramp_realisation.max() <= 1.0
    assert set(np.unique(p.lead_delay_years)) <= {0, 1, 2, 3}
    assert np.mean(p.lead_delay_years == 0) == pytest.approx(0.35, abs=0.02)
    assert np.all((p.cost_overrun >= 0.9) & (p.cost_overrun <= 2.0))
    assert np.median(p.cost_overrun) == pytest.approx(1.1, abs=0.02)
    assert set(np.unique(p.licence_level)) <= {0.0, 0.5, 1.0}
    # blunt draws step down at the start year, phased ones three years later
    span = p.drawdown_end[:, 0] - p.drawdown_start[:, 0]
    assert set(np.unique(span)) <= {0, 3}
    assert np.mean(span == 0) == pytest.approx(0.6, abs=0.02)


def test_inverse_cdfs():
    u = np.linspace(0.001, 0.999, 999)
    tri = Triangular(dist="triangular", low=0, mode=0.25, high=1).ppf(u)
    assert tri.min() >= 0 and tri.max() <= 1 and np.all(np.diff(tri) >= 0)
    assert np.mean(tri) == pytest.approx((0 + 0.25 + 1) / 3, abs=0.01)
    norm = Normal(dist="normal", mean=1, sd=0.5, low=0.8, high=1.1).ppf(u)
    assert norm.min() >= 0.8 and norm.max() <= 1.1
    disc = Discrete(dist="discrete", values=[1, 2, 3], probs=[0.2, 0.3, 0.5]).ppf(u)
    assert np.mean(disc == 3) == pytest.approx(0.5, abs=0.01)


def test_sobol_on_ishigami_matches_analytic_indices():
    a, b = 7.0, 0.1

    def ishigami(u: np.ndarray) -> np.ndarray:
        x = -np.pi + 2 * np.pi * u
        return (np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0]))[
            :, None
        ]

    var = a**2 / 8 + b * np.pi**4 / 5 + b**2 * np.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    s1 = [v1 / var, v2 / var, 0.0]
    st = [(v1 + v13) / var, v2 / var, v13 / var]
    got = sobol(ishigami, ["x1", "x2", "x3"], 2**13, seed=11)[0]
    for i, r in enumerate(got):
        assert pytest.approx(s1[i], abs=0.05) == r.S1
        assert pytest.approx(st[i], abs=0.05) == r.ST


def test_sensitivity_ranks_levers(default_world):
    from burdenshift.engine.sensitivity import sensitivity

    res = sensitivity(default_world, Scenario(), 64, seed=5)
    ranking = [p for p, _ in res.ranking()]
    from burdenshift.engine.data_draws import data_space

    kinds = set(data_space(default_world, Scenario()).kinds)
    assert set(ranking) == set(draws.space(default_world, Scenario()).parameters) | kinds
    for rows in res.indices.values():
        for r in rows:
            assert r.ST >= -0.1 and r.S1_conf >= 0


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        ("  cost_overrun: {dist: normal, mean: 1, sd: -0.2}", "sd"),
        ("  licence_level: {dist: discrete, values: [1, 0], probs: [0.5, 0.4]}", "sum to"),
        ("  ramp_realisation: {dist: uniform, low: 1, high: 0.5}", "bounds reversed"),
        ("  cost_overrun: {dist: gamma, shape: 2}", "dist"),
        ("  drawdown_path: {dist: discrete, values: [sudden], probs: [1]}", "blunt"),
    ],
)
def test_bad_distributions_are_user_errors(tmp_path, block, needle):
    path = tmp_path / "s.yaml"
    path.write_text("uncertainty:\n" + block + "\n")
    with pytest.raises(Exception) as err:
        parse_scenario(path.read_text(), str(path))
    assert needle in str(err.value)
    proc = run_cli("risk", "--scenario", str(path), "--draws", "10")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "uncertainty" in proc.stderr and "Fix:" in proc.stderr


def test_risk_json_shape():
    import json

    proc = run_cli("risk", "--draws", "200", "--seed", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["draws"] == 200 and out["seed"] == 4 and len(out["areas"]) == 12
    assess = {a["area"]: a for a in json.loads(run_cli("assess", "--json").stdout)["areas"]}
    for a in out["areas"]:
        assert 0 <= a["p_target_by_deadline"] <= 1 and a["p_se"] >= 0
        # the same weak-figure flag as assess gives the same area
        assert a["low_confidence"] is assess[a["area"]]["low_confidence"]
        assert set(a["year_target_quantiles"]) == {"p10", "p50", "p90"}
        assert set(a["gap_quantiles"]) == {"p10", "p50", "p90"}
    assert out["run"]["seed"] == 4


def test_sensitivity_table_follows_the_ranking():
    """The printed table lists the parameters in the order of --json, one row each, with the
    areas each one drives; the same seed gives the same ranking in both."""
    import json
    import re

    args = ("sensitivity", "--n", "64", "--seed", "5", "--no-store")
    ranking = [r["parameter"] for r in json.loads(run_cli(*args, "--json").stdout)["ranking"]]
    text = run_cli(*args, env={"COLUMNS": "200"}).stdout  # the full layout, with its rules
    rows = re.findall(r"│\s+(\d+) │ ([\w:][\w: ]*?)\s+│", text)
    assert [int(n) for n, _ in rows] == list(range(1, len(ranking) + 1))
    assert [p for _, p in rows] == ranking
    # the licence level drives the areas built on US-made systems and lines with US content
    licence_row = next(line for line in text.splitlines() if "licence_level" in line)
    assert any(a in licence_row for a in ("combat_air", "isr", "long_range_strike", "munitions"))
