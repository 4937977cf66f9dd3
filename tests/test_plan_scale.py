"""plan at scale: the grouped formulation against the dense one it replaced, build memory that
grows linearly with the world, and the synthetic worlds the scale benchmarks build."""

from __future__ import annotations

import gc
import tracemalloc

import linopy
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from burdenshift.domain.checks import check_all
from burdenshift.domain.scaled import (
    BENCHMARK_SCALES,
    Scale,
    parse_scale,
    scaled,
    scaled_world,
)
from burdenshift.engine import counting
from burdenshift.engine.plan import PlanStatus, SolveOptions, model, objective, plan
from burdenshift.engine.plan.constraints import rows
from burdenshift.engine.plan.prepared import PlanData, prepare
from burdenshift.engine.plan.solve import solve
from burdenshift.engine.plan.variables import add_variables
from burdenshift.errors import InputError
from burdenshift.scenario.schema import Scenario

REWRITTEN = ("stock-balance", "input-supply", "budget", "budget-pooled", "coverage", "target")
"""Families whose sums over lines, systems or metrics group instead of multiplying by a table
(with `variant-use`)."""
FAMILIES = (
    *REWRITTEN,
    "variant-use",
    "line-capacity",
    "line-ceiling",
    "line-ramp",
    "export-licence",
    "plant-size-max",
    "plant-size-min",
)
"""Every family: the model writes all of them in numpy, the reference in linopy arithmetic."""
CAP_SLACK = 1e-7
"""The shortfall cap of the cost stage: the best shortfall found, plus this share of it."""


def _tiny() -> Scenario:
    return Scenario(
        horizon=(2026, 2028),
        deadline=2027,
        export={"us_licences": "capped", "licence_cap_share": 0.5},
    )


# -- the dense formulation, as it was: one-hot tables multiplied into the expressions ---------


def _one_hot(labels: xr.DataArray, index: pd.Index) -> xr.DataArray:
    """(labels' dim, index) 1 where the label is the index entry."""
    table = (np.asarray(labels, dtype=object)[:, None] == np.asarray(index, dtype=object)).astype(
        float
    )
    return xr.DataArray(table, coords=[labels.indexes[labels.dims[0]], index])


def _dense_reference(d: PlanData) -> linopy.Model:
    """The model written in linopy's expression arithmetic, the rewritten families as dense
    products over two entity dimensions (line × system, line × ally, system × metric,
    metric × area)."""
    linopy.options["semantics"] = "v1"
    m = linopy.Model(force_dim_names=True)
    add_variables(m, d)
    line_system = _one_hot(d.makes, d.system)
    deliveries = m.variables["deliveries"].fillna(0)
    per_line = deliveries.sum("ally")

    # stock balance: each lag's lines shifted, then multiplied by the line × system table
    arriving = None
    for lag in sorted({int(x) for x in d.lag.values}):
        lines = d.line[(d.lag == lag).values]
        part = per_line.sel(line=lines)
        part = part.shift(year=lag).fillna(0) if lag else part
        term = (part * line_system.sel(line=lines)).sum("line")
        arriving = term if arriving is None else arriving + term
    assert arriving is not None
    stock = m.variables["stock"]
    keep = 1.0 - d.retire
    first = xr.DataArray(d.years == d.years[0], coords=[d.years])
    initial = (keep * d.stock0).where(first, 0.0) - d.sent + d.prior_arrivals
    m.add_constraints(
        stock - keep * stock.shift(year=1).fillna(0) - arriving == initial, name="stock-balance"
    )
    build = m.variables["build"]
    capacity = (build.fillna(0) * d.online).sum("order_year").simplify() + d.capacity0
    m.add_constraints(per_line <= d.europe_share * capacity, name="line-capacity")
    m.add_constraints(
        build.fillna(0).sum("order_year") <= d.ceiling - d.committed,
        name="line-ceiling",
        mask=d.expandable,
    )
    m.add_constraints(build <= d.ramp, name="line-ramp")
    used = (per_line * d.uses).sum("line")
    m.add_constraints(used <= d.supply, name="input-supply", mask=d.uses.sum("line") > 0)
    per_year = 1.0 / len(d.years)
    purchases = (deliveries * d.price).sum("line")
    capital = build.fillna(0).rename(order_year="year") * d.capex
    fixed = (m.variables["variant"].fillna(0) * d.variant_cost).sum("system")
    if d.mode == "national":
        host = (capital * d.host).sum("line")
        m.add_constraints(purchases + host + fixed * per_year <= d.money, name="budget")
    else:
        spend = purchases.sum("ally") + capital.sum("line") + fixed * per_year
        m.add_constraints(spend <= d.money.sum("ally"), name="budget-pooled")
    capped = (d.route > 0) & (d.route < 1)
    if bool(capped.any()):
        m.add_constraints(
            m.variables["deliveries"] <= d.route * d.europe_share * capacity,
            name="export-licence",
            mask=capped,
        )
    value = _one_hot(d.counts_toward, d.metric) * d.per_item  # (system, metric)
    capability = (m.variables["stock"] * (d.ready * value)).sum("system")
    cover = m.variables["cover"]
    m.add_constraints(cover * d.requirement <= capability, name="coverage", mask=d.requirement > 0)
    weight = _one_hot(d.metric_area, d.area) * d.metric_weight  # (metric, area)
    area = (cover * weight).sum("metric")
    c2 = (cover * d.c2_weight).sum("metric")
    joint = d.c2_base * area + d.area_base * c2 - d.area_base * d.c2_base
    covered = area * (1.0 - d.penalty) + d.penalty * joint
    m.add_constraints(covered + m.variables["shortfall"] >= d.target, name="target")
    variant = m.variables["variant"]
    per_system = deliveries.sum("year") * line_system
    big = ((d.ceiling * d.europe_share) * line_system).sum("line") * len(d.years)
    if d.mode == "national":
        bought, mask = per_system.sum("line"), d.new_variant > 0
    else:
        bought, mask = per_system.sum(["line", "ally"]), d.new_system > 0
    m.add_constraints(bought <= big * variant.fillna(0), name="variant-use", mask=mask & (big > 0))
    if bool(d.greenfield.any()):
        built, plant = build.fillna(0).sum("order_year"), m.variables["plant"].fillna(0)
        where = d.greenfield.astype(bool)
        m.add_constraints(built <= d.ceiling * plant, name="plant-size-max", mask=where)
        m.add_constraints(built >= d.smallest * plant, name="plant-size-min", mask=where)
    return m


def _rows(m: linopy.Model, name: str) -> tuple[pd.Series, pd.DataFrame, bool]:
    """A family's non-zero coefficients by (row, var), its rows with one (sign, rhs), and
    whether every row without one holds trivially (0 ≤ rhs, 0 = rhs or 0 ≥ rhs). Rows are
    named by their coordinates, whatever the order of the dimensions."""
    con = m.constraints[name]
    dims = sorted(str(x) for x in con.labels.dims)
    labels = con.labels.transpose(*dims).values.ravel()
    live = np.flatnonzero(labels >= 0)
    grid = np.unravel_index(live, con.labels.transpose(*dims).shape)
    columns = [con.labels.coords[x].values[i] for x, i in zip(dims, grid, strict=True)]
    keys = pd.Series(list(zip(*columns, strict=True)), dtype=object).to_numpy()
    term = con.term_dim
    coeffs = con.coeffs.transpose(*dims, term).values.reshape(len(labels), -1)[live]
    var = con.vars.transpose(*dims, term).values.reshape(len(labels), -1)[live]
    at = np.repeat(np.arange(len(live)), coeffs.shape[1])
    keep = (var.ravel() >= 0) & (coeffs.ravel() != 0)
    terms = pd.DataFrame(
        {"row": keys[at[keep]], "var": var.ravel()[keep], "coeff": coeffs.ravel()[keep]}
    )
    terms = terms.groupby(["row", "var"])["coeff"].sum()
    terms = terms[terms != 0].sort_index()
    rhs = con.rhs.broadcast_like(con.labels).transpose(*dims).values.ravel()[live]
    sign = con.sign.broadcast_like(con.labels).transpose(*dims).values.ravel()[live]
    filled = pd.Index(keys).isin(terms.index.get_level_values("row"))
    s, r = sign[~filled], rhs[~filled]
    trivial = bool(np.all(np.where(s == "=", r == 0, np.where(s == "<=", r >= 0, r <= 0))))
    rows = pd.DataFrame({"sign": sign[filled], "rhs": rhs[filled]}, index=keys[filled])
    return terms, rows.sort_index(), trivial


def _assert_same_rows(new: linopy.Model, ref: linopy.Model) -> None:
    """Every family has the same non-zero coefficients, signs and right-hand sides as the
    reference; a row the dense product filled with zero coefficients only holds trivially."""
    assert set(new.constraints) == set(ref.constraints)
    assert set(new.constraints) <= set(FAMILIES)
    for name in new.constraints:
        t_new, r_new, trivial_new = _rows(new, name)
        t_ref, r_ref, trivial_ref = _rows(ref, name)
        assert t_new.index.equals(t_ref.index), name
        np.testing.assert_allclose(t_new.values, t_ref.values, rtol=1e-12, err_msg=name)
        assert r_new.index.equals(r_ref.index), name
        assert (r_new["sign"] == r_ref["sign"]).all(), name
        np.testing.assert_allclose(r_new["rhs"], r_ref["rhs"], rtol=1e-12, err_msg=name)
        assert trivial_new and trivial_ref, name


def _optimum(m: linopy.Model, d: PlanData, options: SolveOptions) -> tuple[float, float]:
    """The plan's two stages on a built model: the least shortfall, then the least cost
    holding it."""
    objective.add_cap(m, d)
    m.add_objective(objective.shortfall(m, d))
    assert solve(m, options) is PlanStatus.OPTIMAL
    shortfall = float(m.objective.value)
    objective.set_cap(m, shortfall + CAP_SLACK * max(1.0, shortfall))
    m.add_objective(objective.cost(m, d), overwrite=True)
    assert solve(m, options) is PlanStatus.OPTIMAL
    return shortfall, float(m.objective.value)


def _variant_mask(d: PlanData) -> np.ndarray:
    """The variant binaries' mask computed with the dense line × system table."""
    line_system = _one_hot(d.makes, d.system)
    if d.mode == "national":
        reachable = (d.route.max("year") @ line_system) > 0
        return ((d.new_variant > 0) & reachable).transpose("ally", "system").values
    return ((d.new_system > 0) & (line_system.sum("line") > 0)).values


@pytest.mark.parametrize("mode", ["national", "pooled"])
def test_tiny_world_same_optimum_as_the_dense_formulation(tiny_world, mode):
    d = prepare(tiny_world, _tiny(), mode)
    new, ref = model.build(d), _dense_reference(d)
    _assert_same_rows(new, ref)
    options = SolveOptions(mip_gap=1e-9)
    short, cost = _optimum(ref, d, options)
    assert _optimum(new, d, options) == pytest.approx((short, cost), rel=1e-9)
    # the public plan reaches the reference's optimum and builds what it builds
    result = plan(tiny_world, _tiny(), mode, options)
    # the cost stage may use the cap's slack on the shortfall
    assert short - 1e-9 <= result.shortfall <= short + 2 * CAP_SLACK * max(1.0, short)
    assert result.cost_musd == pytest.approx(cost, rel=1e-7)
    assert float(result.build.sum()) == pytest.approx(
        float(ref.variables["build"].solution.fillna(0).sum()), abs=1e-6
    )


@pytest.mark.parametrize("mode", ["national", "pooled"])
def test_default_world_same_rows_as_the_dense_formulation(default_world, mode):
    """Each family's non-zero coefficients are those of the dense products (which held a zero
    for every line of another system, or another ally's line): the same programme."""
    d = prepare(default_world, Scenario(), mode)
    new = model.build(d)
    _assert_same_rows(new, _dense_reference(d))
    mask = new.variables["variant"].labels.values >= 0
    assert np.array_equal(mask, _variant_mask(d))
    # the default world has lags, shared inputs, hosts and variants: the groups are not trivial
    assert len(set(d.lag.values.tolist())) > 1 and int((d.uses > 0).sum()) > len(d.input)
    assert len(set(d.makes.values)) < len(d.line) and mask.any()


def test_default_world_same_optimum_as_the_dense_formulation(default_world):
    """Pooled, the mode that solves fastest: both stages reach the dense model's optimum."""
    d = prepare(default_world, Scenario(), "pooled")
    options = SolveOptions(mip_gap=1e-6)
    short, cost = _optimum(model.build(d), d, options)
    short_ref, cost_ref = _optimum(_dense_reference(d), d, options)
    assert short == pytest.approx(short_ref, rel=1e-6, abs=1e-9)
    assert cost == pytest.approx(cost_ref, rel=2e-6)
    assert short > 0 and cost > 0


def test_rows_simplify_as_linopy_does():
    """`rows.simplified` against linopy's own `simplify` on rows with repeated variables,
    missing terms and zero or missing coefficients: the same terms, in the same order."""
    linopy.options["semantics"] = "v1"
    m = linopy.Model(force_dim_names=True)
    x = m.add_variables(coords=[pd.RangeIndex(5, name="v")], name="x")
    rng = np.random.default_rng(3)
    vars = rng.integers(-1, 5, size=(4, 3, 7)).astype(np.int32)
    coeffs = rng.choice([0.0, np.nan, 0.1, -0.3, 1.7, 2.0], size=vars.shape)
    coords = [pd.RangeIndex(4, name="a"), pd.RangeIndex(3, name="b")]
    ours = rows.expression(m, coords, rows.simplified((vars, coeffs)))
    theirs = rows.expression(m, coords, (vars, coeffs)).simplify()
    assert x.labels.values.tolist() == list(range(5))
    for a in range(4):
        for b in range(3):
            mine = ours.data.isel(a=a, b=b)
            ref = theirs.data.isel(a=a, b=b)
            live, ref_live = mine.vars.values >= 0, ref.vars.values >= 0
            assert mine.vars.values[live].tolist() == ref.vars.values[ref_live].tolist()
            assert mine.coeffs.values[live].tolist() == ref.coeffs.values[ref_live].tolist()
    assert (vars >= 0).any(-1).all() and np.isnan(coeffs).any()  # the cases are there


def test_rows_group_and_sum_in_linopy_order():
    """A grouped sum puts each group's members inside the terms already there; a sum over a
    dimension puts that dimension outside them (as linopy orders them)."""
    vars = np.arange(12).reshape(3, 2, 2)  # (member, row, term)
    coeffs = vars * 1.0
    out, _ = rows.grouped((vars, coeffs), np.array([1, -1, 1]), 2)
    assert out.shape == (2, 2, 4)
    assert (out[0] == -1).all()  # group 0 has no members
    assert out[1, 0].tolist() == [0, 8, 1, 9]  # term 0 of members 0 and 2, then term 1
    summed, _ = rows.total((vars, coeffs), 0)
    assert summed[0].tolist() == [0, 1, 4, 5, 8, 9]


@pytest.mark.parametrize("mode", ["national", "pooled"])
def test_rows_labelled_directly_as_add_constraints_labels_them(tiny_world, monkeypatch, mode):
    """The families label their rows from the model's counter themselves; linopy's
    `add_constraints` given the same rows stores the same labels, terms, signs, right-hand
    sides and scaling."""
    d = prepare(tiny_world, _tiny(), mode)
    direct = model.build(d)
    monkeypatch.setattr(rows, "_plain", lambda m: False)
    through = model.build(d)
    assert list(direct.constraints) == list(through.constraints)
    for name in direct.constraints:
        a, b = direct.constraints[name].data, through.constraints[name].data
        assert a.attrs["label_range"] == b.attrs["label_range"], name
        for field in ("labels", "vars", "coeffs", "sign", "rhs", "scaling"):
            x, y = a[field].transpose(*b[field].dims), b[field]
            assert x.dims == y.dims and x.dtype == y.dtype, (name, field)
            assert np.array_equal(x.values, y.values, equal_nan=x.dtype.kind == "f"), name
    assert (direct.constraints["line-ramp"].labels == -1).any()  # masked rows are there


# -- memory ------------------------------------------------------------------------------


def _build_peak(d: PlanData) -> float:
    """Peak bytes traced while building the model."""
    gc.collect()
    tracemalloc.start()
    try:
        model.build(d)
        return float(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def test_build_memory_grows_linearly_to_s5(default_world, tiny_world):
    """S5 has five times the systems and lines: its build may take at most 1.5 × five times
    the default's peak (the dense products took 23 times: 156 MB, then 3.6 GB)."""
    base = prepare(default_world, Scenario(), "national")
    s5_world, s5_scenario = scaled(default_world, Scenario(), "S5")
    s5 = prepare(s5_world, s5_scenario, "national")
    assert len(s5.line) == 5 * len(base.line) and len(s5.system) == 5 * len(base.system)
    model.build(prepare(tiny_world, _tiny(), "national"))  # imports and caches, not measured
    peak, peak_s5 = _build_peak(base), _build_peak(s5)
    slack = 20e6
    assert peak_s5 <= 5 * 1.5 * peak + slack, (peak / 1e6, peak_s5 / 1e6)
    assert peak_s5 > 2 * peak  # the measurement sees the larger model at all


# -- the synthetic worlds ------------------------------------------------------------------


def _europe_capability(world) -> np.ndarray:
    """(metric,) Europe's holdings in capability units."""
    europe = world.europe_mask()
    return (world.holdings[europe].sum(0)) @ world.system_to_metric()


def test_scaled_worlds_keep_the_totals_of_the_data(default_world):
    sc = Scenario()
    years = np.array(sc.years)
    for scale in (Scale(systems=3), Scale(lines=4), Scale(systems=2, lines=2)):
        world = scaled_world(default_world, scale.systems, scale.lines)
        assert world.raw is not None and not check_all(world.raw)
        n = scale.systems * scale.lines
        assert len(world.systems) == scale.systems * len(default_world.systems)
        assert len(world.lines) == n * len(default_world.lines)
        assert len(set(world.lines)) == len(world.lines)
        assert int(world.line_greenfield.sum()) == n * int(default_world.line_greenfield.sum())
        np.testing.assert_allclose(_europe_capability(world), _europe_capability(default_world))
        np.testing.assert_allclose(
            counting.requirement(world, sc, years), counting.requirement(default_world, sc, years)
        )
        for name in ("capacity_per_year", "capacity_ceiling_per_year", "line_min_capacity"):
            assert getattr(world, name).sum() == pytest.approx(getattr(default_world, name).sum())
        np.testing.assert_allclose(world.input_supply_per_year, default_world.input_supply_per_year)
        # a clone of a line makes a clone of its system, in the same country, for the same price
        tag = ".s2" if scale.systems > 1 else ".l2"
        i, j = world.lines.index(f"{default_world.lines[0]}{tag}"), 0
        assert world.line_country[i] == default_world.line_country[j]
        assert world.unit_cost_musd[world.line_system[i]] == pytest.approx(
            default_world.unit_cost_musd[default_world.line_system[j]]
        )
        assert world.capacity_per_year[i] == pytest.approx(default_world.capacity_per_year[j] / n)


def test_scale_names_and_horizon(default_world):
    assert [s.name for s in BENCHMARK_SCALES] == [
        "default",
        "S2",
        "S5",
        "S10",
        "S20",
        "L10",
        "H20",
    ]
    assert parse_scale("S10H20") == Scale(systems=10, horizon_years=20)
    assert parse_scale(Scale(lines=3).name) == Scale(lines=3)
    world, sc = scaled(default_world, Scenario(), "H20")
    assert world is default_world
    assert sc.horizon == (default_world.base_year, default_world.base_year + 20)
    assert sc.deadline == Scenario().deadline
    for bad in ("S0", "X3", "S10L", "S101", ""):
        with pytest.raises(InputError):
            parse_scale(bad)
    with pytest.raises(InputError):
        scaled(default_world, Scenario(), "H31")  # beyond the longest horizon a run may cover
