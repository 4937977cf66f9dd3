"""Data uncertainty: figures drawn within their ranges (engine/data_draws.py), in `risk`, and
`data weakest`, on the tiny world where each number can be worked by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from burdenshift.domain.load import load_world
from burdenshift.engine import data_draws as dd
from burdenshift.engine.params import from_scenario
from burdenshift.engine.risk import risk
from burdenshift.engine.simulate import simulate
from burdenshift.scenario.schema import Scenario

from .conftest import run_cli

SC = Scenario(horizon=(2026, 2028), deadline=2027)


def _set(folder: Path, name: str, key: str, field: str, **cells: str) -> None:
    """Rewrite cells (value, confidence, note, low, high) of one row of a tiny file."""
    path = folder / name
    rows = list(csv.reader(path.read_text().splitlines()))
    col = {c: i for i, c in enumerate(rows[0])}
    row = next(r for r in rows if r[:2] == [key, field])
    for c, v in cells.items():
        row[col[c]] = v
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())


def test_a_figure_moves_its_array_by_hand(tiny_world):
    """Europe holds 4 French (high, not drawn) and 2 German tankers (low, range 0-4): with the
    German figure at 0 Europe has 4 of its 6, at 4 it has 8."""
    ds = dd.data_space(tiny_world, SC)
    names = [(f.figure.key, f.figure.field) for f in ds.figures]
    assert ("DEU:tanker", "quantity") in names and ("FRA:tanker", "quantity") not in names
    j = names.index(("DEU:tanker", "quantity"))
    values = np.tile(dd.stated(ds), (2, 1))
    values[:, j] = [0.0, 4.0]
    stock = dd.factors(ds, values).stock[:, tiny_world.systems.index("tanker")]
    np.testing.assert_allclose(stock, [4 / 6, 8 / 6])


def test_triangular_and_uniform_draws_keep_their_shape():
    from burdenshift.domain.figures import Figure

    fig = Figure("holdings.csv", "EUR:x", "quantity", 10, "items", 2026, "s", "low", "n", 1)
    tri = dd.Drawn(fig, (dd.Place("stock", 0),), "g", 4.0, 10.0, 13.0, uniform=False)
    u = np.linspace(0, 1, 200_001)
    x = tri.ppf(u)
    assert x[0] == pytest.approx(4.0) and x[-1] == pytest.approx(13.0)
    assert float(tri.ppf(np.array([6 / 9]))[0]) == pytest.approx(10.0)  # the mode's quantile
    assert x.mean() == pytest.approx((4 + 10 + 13) / 3, rel=1e-3)
    flat = dd.Drawn(fig, (dd.Place("stock", 0),), "g", 4.0, 10.0, 13.0, uniform=True)
    assert flat.ppf(u).mean() == pytest.approx(8.5, rel=1e-3)


def test_figures_of_a_group_move_together(tiny_copy):
    _set(
        tiny_copy,
        "lines.csv",
        "FRA-TANKER",
        "capacity_per_year",
        confidence="low",
        note="weak on purpose",
        low="0.5",
        high="2",
    )
    _set(
        tiny_copy,
        "lines.csv",
        "FRA-TANKER",
        "capacity_ceiling_per_year",
        confidence="low",
        note="weak on purpose",
        low="2",
        high="5",
    )
    world = load_world(tiny_copy)
    ds = dd.data_space(world, SC)
    line = world.lines.index("FRA-TANKER")
    u = np.random.default_rng(3).random((500, len(ds.groups)))
    draws = dd.monte_carlo(ds, u)
    cap, ceiling = draws.capacity[:, line], draws.ceiling[:, line]
    # one producer's claims: output and ceiling drawn at the same quantile
    assert np.all(np.diff(ceiling[np.argsort(cap)]) >= -1e-12)


def test_data_at_their_stated_values_change_nothing(tiny_world):
    ds = dd.data_space(tiny_world, SC)
    stated = dd.factors(ds, np.tile(dd.stated(ds), (3, 1)))
    p = from_scenario(tiny_world, SC).repeat(3)
    plain = simulate(tiny_world, SC, p, detail=False)
    drawn = simulate(tiny_world, SC, p, detail=False, data=stated)
    np.testing.assert_array_equal(plain.europe_share, drawn.europe_share)
    np.testing.assert_array_equal(plain.cost_musd, drawn.cost_musd)


def test_with_every_range_collapsed_risk_is_the_present_risk(tiny_copy, tiny_world):
    """Collapsing each range onto its value leaves nothing to draw: both probabilities equal
    risk over policy uncertainty alone, draw for draw."""
    for name in (
        "allies.csv",
        "areas.csv",
        "holdings.csv",
        "inputs.csv",
        "lines.csv",
        "systems.csv",
    ):
        path = tiny_copy / name
        rows = list(csv.reader(path.read_text().splitlines()))
        for r in rows[1:]:
            if r[8]:
                r[8] = r[9] = r[2]
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue())
    collapsed = risk(load_world(tiny_copy), SC, 400, seed=5)
    present = risk(tiny_world, SC, 400, seed=5)
    assert collapsed.data_figures == 0 and present.data_figures > 0
    np.testing.assert_array_equal(collapsed.share_at_deadline, present.share_policy_only)
    np.testing.assert_array_equal(collapsed.p_target, present.p_target_policy_only)


def test_the_standard_error_halves_at_four_times_the_draws(tiny_copy):
    """Spread of the probability estimate over seeds, with data uncertainty: 4x the draws
    halves it (binomial sampling), and the reported p_se agrees."""
    _set(
        tiny_copy,
        "holdings.csv",
        "FRA:tanker",
        "quantity",
        confidence="assumption",
        note="wide on purpose",
        low="1",
        high="9",
    )
    world = load_world(tiny_copy)
    a = world.areas.index("air_refuelling")
    small = [risk(world, SC, 250, seed=s) for s in range(24)]
    large = [risk(world, SC, 1000, seed=100 + s) for s in range(24)]
    p_small = np.array([r.p_target[a] for r in small])
    p_large = np.array([r.p_target[a] for r in large])
    assert 0.05 < p_small.mean() < 0.95
    ratio = p_large.std() / p_small.std()
    assert 0.35 < ratio < 0.7, ratio
    assert np.mean([r.p_se[a] for r in large]) / np.mean([r.p_se[a] for r in small]) == (
        pytest.approx(0.5, rel=0.1)
    )


def test_data_weakest_ranks_a_planted_figure_first(tiny_copy):
    _set(
        tiny_copy,
        "holdings.csv",
        "FRA:tanker",
        "quantity",
        confidence="assumption",
        note="planted",
        low="0.5",
        high="40",
    )
    proc = run_cli("data", "weakest", "--data", str(tiny_copy), "--json", "--top", "3")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    first = out["figures"][0]
    assert (first["key"], first["field"], first["area"]) == (
        "FRA:tanker",
        "quantity",
        "air_refuelling",
    )
    assert (first["low"], first["high"], first["confidence"]) == (0.5, 40.0, "assumption")
    assert first["source"] and first["swing"] > 0
    swings = [r["swing"] for r in out["figures"]]
    assert swings == sorted(swings, reverse=True)
    assert out["run"]["engine"] == "weakest"


def test_data_weakest_unknown_area_is_a_user_error():
    proc = run_cli("data", "weakest", "--area", "space_lasers")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--area" in proc.stderr


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_budget_shocks_correlate_across_allies_as_stated(default_world, rho):
    from burdenshift.engine import draws

    sc = Scenario()
    sp = draws.space(default_world, sc)
    unc = sp.uncertainty
    shared = unc.budget_realisation.model_copy(update={"correlation": rho})
    sp = draws.Space(unc.model_copy(update={"budget_realisation": shared}), sp.columns)
    u = draws.monte_carlo(sp, 20_000, np.random.default_rng(11))
    europe = np.asarray(default_world.europe_mask(sc.europe_includes_canada))
    m = draws.to_params(default_world, sc, sp, u).budget_multiplier[:, europe]
    c = np.corrcoef(m.T)
    pairwise = (c.sum() - len(c)) / (len(c) ** 2 - len(c))
    assert pairwise == pytest.approx(rho, abs=0.03)
    assert m.mean() == pytest.approx(0.95, abs=0.01)


READINESS = (
    "key,field,value,unit,year,source,confidence,note,low,high\n"
    "tanker,availability,0.8,share,2026,hand-worked test world (2026),low,"
    "weak Range: test.,0.5,0.9\n"
    "FRA:tanker,availability,0.6,share,2026,hand-worked test world (2026),assumption,"
    "test Range: test.,0.4,0.8\n"
)


def test_availability_weighs_each_holder_by_its_share_of_europes_holdings(tiny_copy):
    """France holds 4 tankers at 0.6 ready, Germany 2 at the system's 0.8: Europe's fleet is
    (4 × 0.6 + 2 × 0.8) / 6 = 2/3. The system's figure at 0.5 moves it by 2/6 × (−0.3) (and
    the US's, which has no figure of its own, to 0.5/0.8); France's at 0.8 by 4/6 × 0.2."""
    (tiny_copy / "readiness.csv").write_text(READINESS)
    world = load_world(tiny_copy)
    ds = dd.data_space(world, SC)
    names = [f.figure.key for f in ds.figures if f.figure.field == "availability"]
    assert sorted(names) == ["FRA:tanker", "tanker"]
    base, fra = names.index("tanker"), names.index("FRA:tanker")
    cols = [j for j, f in enumerate(ds.figures) if f.figure.field == "availability"]
    values = np.tile(dd.stated(ds), (2, 1))
    values[0, cols[base]] = 0.5
    values[1, cols[fra]] = 0.8
    got = dd.factors(ds, values)
    t = world.systems.index("tanker")
    fleet = 2 / 3
    np.testing.assert_allclose(
        got.availability[:, t], [(fleet - 2 / 6 * 0.3) / fleet, (fleet + 4 / 6 * 0.2) / fleet]
    )
    np.testing.assert_allclose(got.us_availability[:, t], [0.5 / 0.8, 1.0])
    # and simulate counts Europe's tankers at that readiness
    p = from_scenario(world, SC).repeat(2)
    plain = simulate(world, SC, p.repeat(1), detail=True)
    drawn = simulate(world, SC, p, detail=True, data=got)
    a = world.areas.index("air_refuelling")
    np.testing.assert_allclose(
        drawn.europe_capability[:, 0, 0], plain.europe_capability[:, 0, 0] * got.availability[:, t]
    )
    assert drawn.europe_share[0, a, 0] < plain.europe_share[0, a, 0] < drawn.europe_share[1, a, 0]


def test_a_single_metric_area_keeps_its_share_whatever_its_weight(tiny_world):
    """C2 has one metric: its drawn weight renormalises to 1, so the area's share is that
    metric's coverage at every draw."""
    ds = dd.data_space(tiny_world, SC)
    j = next(j for j, f in enumerate(ds.figures) if f.figure.key == "c2:hq")
    values = np.tile(dd.stated(ds), (3, 1))
    values[:, j] = [0.05, 0.5, 1.0]
    p = from_scenario(tiny_world, SC).repeat(3)
    got = simulate(tiny_world, SC, p, detail=False, data=dd.factors(ds, values))
    c2 = tiny_world.areas.index("c2")
    np.testing.assert_allclose(got.europe_share[:, c2], got.europe_share[:1, c2].repeat(3, 0))


def test_the_weights_of_an_area_are_drawn_each_on_its_own(default_world):
    """Munitions weighs two metrics 0.5 and 0.5 with the same range: drawn as one group they
    would cancel in the renormalisation; drawn apart, each weight moves."""
    sc = Scenario()
    ds = dd.data_space(default_world, sc)
    weights = [
        d for d in ds.figures if d.figure.table == "areas.csv" and d.figure.field == "weight"
    ]
    assert len({d.group for d in weights}) == len(weights) > 1
    u = np.random.default_rng(7).random((2_000, len(ds.groups)))
    drawn = dd.monte_carlo(ds, u).weight
    m = [
        i for i, a in enumerate(default_world.metric_area) if default_world.areas[a] == "munitions"
    ]
    w = default_world.metric_weight[m] * drawn[:, m]
    share = w[:, 0] / w.sum(1)
    assert share.std() > 0.05 and share.min() < 0.4 < 0.6 < share.max()


@pytest.mark.parametrize(
    ("name", "key", "field", "value", "low", "high", "worse"),
    [
        ("lines.csv", "FRA-TANKER", "max_ramp_share_per_year", "0.5", "0.1", "0.9", "low"),
        ("lines.csv", "FRA-TANKER", "lead_time_years", "1", "1", "3", "high"),
        ("systems.csv", "tanker", "service_life_years", "10", "4", "16", "low"),
        ("systems.csv", "tanker", "value_per_unit", "100", "50", "150", "low"),
    ],
)
def test_growth_lead_time_and_service_life_draws_move_the_share_their_way(
    tiny_copy, name, key, field, value, low, high, worse
):
    """A slower ramp, a longer lead time, a shorter life or less capability per item leaves
    Europe with less by 2028."""
    _set(tiny_copy, name, key, field, confidence="low", note="weak", low=low, high=high)
    world = load_world(tiny_copy)
    sc = Scenario(horizon=(2026, 2030), deadline=2028)
    ds = dd.data_space(world, sc)
    j = next(j for j, f in enumerate(ds.figures) if (f.figure.key, f.figure.field) == (key, field))
    values = np.tile(dd.stated(ds), (2, 1))
    values[:, j] = [float(low), float(high)]
    p = from_scenario(world, sc).repeat(2)
    got = simulate(world, sc, p, detail=False, data=dd.factors(ds, values))
    a, t = world.areas.index("air_refuelling"), sc.years.index(2028)
    at_low, at_high = got.europe_share[:, a, t]
    assert (at_low < at_high) if worse == "low" else (at_high < at_low), (at_low, at_high)


def test_the_compiled_draws_follow_each_figures_inverse_cdf():
    """On the default world (about a thousand drawn figures, uniform and triangular): each
    entry's factor is its stated total moved by every figure that feeds it, each at
    `Drawn.ppf` of its group's quantile, over the stated total."""
    world = load_world()
    sc = Scenario()
    ds = dd.data_space(world, sc)
    u = np.random.default_rng(5).random((40, len(ds.groups)))
    got = dd.monte_carlo(ds, u)
    groups = {g: i for i, g in enumerate(ds.groups)}
    moved = {t: np.zeros((40, ds.totals[t].size)) for t in dd.TARGETS}
    kinds = set()
    for f in ds.figures:
        value = f.ppf(u[:, groups[f.group]])
        kinds.add(f.uniform)
        for p in f.places:
            moved[p.target][:, p.index] += p.weight * (value - f.mode)
    assert kinds == {True, False}
    for t in dd.TARGETS:
        total = ds.totals[t]
        want = np.ones_like(moved[t])
        fed = total > 0
        want[:, fed] = 1.0 + moved[t][:, fed] / total[fed]
        np.testing.assert_allclose(getattr(got, t), want, rtol=1e-12, atol=1e-12, err_msg=t)
