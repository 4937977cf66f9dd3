"""The Python API: every engine, query and the run store return labelled tables with units in
attrs, integer years and Int64 <NA> for "never", and give the numbers the CLI's --json gives."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import burdenshift
from burdenshift import api
from burdenshift.errors import InputError
from tests.conftest import run_cli

SWEEP = "name: api-sweep\nengines: [assess]\ngrid: {deadline: [2027, 2030]}\n"


# -- what every table and array must be --------------------------------------------------------
def check_frame(df: pd.DataFrame) -> None:
    assert isinstance(df, pd.DataFrame)
    units = df.attrs.get("units")
    assert isinstance(units, dict) and units, "no units in attrs"
    labels = set(df.columns) | set(n for n in df.index.names if n)
    assert set(units) <= labels, f"units for columns that do not exist: {set(units) - labels}"
    assert all(isinstance(u, str) and u for u in units.values())
    for col in df.columns:
        if units.get(col) == "year" or str(col).startswith("year"):
            assert str(df[col].dtype) == "Int64", f"{col} is {df[col].dtype}, not Int64"
    for name in df.index.names:
        if name == "year":
            assert df.index.get_level_values("year").dtype == np.int64


def check_array(da: xr.DataArray) -> None:
    assert isinstance(da.attrs.get("units"), str), f"{da.name} has no units"
    if "year" in da.coords:
        assert da["year"].dtype == np.int64


def check_result(result: api.Result) -> None:
    frames = result.frames
    assert frames, f"{type(result).__name__} has no tables"
    for df in frames.values():
        check_frame(df)
    check_frame(result.to_frame())
    if hasattr(type(result), "to_xarray"):
        ds = result.to_xarray()
        assert ds.data_vars
        for name in ds.data_vars:
            check_array(ds[name])
    json.dumps(result.as_dict())  # the CLI's JSON: serialisable as it stands


# -- fixtures: each engine run once ---------------------------------------------------------------
@pytest.fixture(scope="module")
def world():
    return api.load_world()


@pytest.fixture(scope="module")
def assessed(world):
    return api.assess(world)


@pytest.fixture(scope="module")
def simulated(world):
    return api.simulate(world)


@pytest.fixture(scope="module")
def pooled(world):
    return api.plan(world, mode="pooled")


@pytest.fixture(scope="module")
def risked(world):
    return api.risk(world, draws=200, seed=7)


@pytest.fixture(scope="module")
def sobol(world):
    return api.sensitivity(world, n=64, seed=3)


# -- every function returns labelled tables -------------------------------------------------------
def test_assess(assessed):
    check_result(assessed)
    df = assessed.to_frame()
    assert len(df) == 12 and df.index.name == "area"
    assert df.attrs["units"]["share_at_deadline_max_ramp"] == "share of requirement"
    # <NA> exactly where the engine says "never", the year itself elsewhere
    never = 0
    for a in assessed.areas:  # the engine's own result, reachable on the API's
        for col in ("year_target_current_rates", "year_target_max_ramp"):
            got, want = df.loc[a.area, col], getattr(a, col)
            if want is None:
                assert got is pd.NA
                never += 1
            else:
                assert got == want and isinstance(got, np.integer)
    assert never > 0
    ds = assessed.to_xarray()
    assert ds["share_max_ramp"].dims == ("area", "year")
    assert float(ds["share_max_ramp"].sel(area="iamd", year=2027)) == pytest.approx(
        df.loc["iamd", "share_at_deadline_max_ramp"],
        abs=1e-6,  # the JSON's paths: 6 decimals
    )


def test_simulate(simulated):
    check_result(simulated)
    ds = simulated.to_xarray()
    assert ds["europe_share"].dims == ("batch", "area", "year")
    assert ds["europe_share"].attrs["units"] == "share of requirement"
    assert ds["stock"].attrs["units"] == "items"
    df = simulated.to_frame()
    assert df["year_target"].isna().any() and df["year_target"].notna().any()
    long = simulated.long_frame()
    assert list(long.columns) == [
        "area",
        "ally",
        "system",
        "line",
        "year",
        "metric",
        "value",
        "unit",
    ]
    assert str(long["year"].dtype) == "Int64" and long["year"].notna().all()
    shares = long[(long["metric"] == "europe_share") & (long["area"] == "iamd")]
    assert shares.set_index("year")["value"].to_dict() == pytest.approx(
        simulated.frames["shares"].loc["iamd", "europe_share"].to_dict(), abs=1e-6
    )


def test_plan(pooled):
    check_result(pooled)
    assert pooled.mode == "pooled" and pooled.status == "optimal"
    b = pooled.benchmarks
    check_array(b)
    assert b.dims == ("area", "year") and float(b.max()) <= 1 + 1e-9
    df = pooled.to_frame()
    for area, year in pooled.earliest_year.items():  # the engine's dict, None for never
        assert (
            (df.loc[area, "earliest_year"] is pd.NA)
            if year is None
            else (df.loc[area, "earliest_year"] == year)
        )
    assert df["earliest_year"].isna().any()
    assert pooled.money["spending_usd_bn"] > 0 and pooled.money.attrs["units"].startswith("USD bn")
    bottlenecks = pooled.frames["bottlenecks"]
    assert list(bottlenecks.index) == list(range(1, len(bottlenecks) + 1))


def test_risk(risked):
    check_result(risked)
    df = risked.to_frame()
    assert df["p_target_by_deadline"].between(0, 1).all()
    payload = {a["area"]: a for a in risked.as_dict()["areas"]}
    for area, row in df.iterrows():
        for q in ("p10", "p50", "p90"):
            want = payload[area]["year_target_quantiles"][q]
            got = row[f"year_target_{q}"]
            assert (got is pd.NA) if want is None else got == want
    held = risked.years_held_frame()
    check_frame(held)
    raw = risked.year_held  # the engine's (draw, area) array: 0 = never
    assert (held.isna().to_numpy() == (raw == 0)).all() and (raw == 0).any()
    assert (held.fillna(0).to_numpy() == raw).all()
    ds = risked.to_xarray()
    assert ds["share_at_deadline"].shape == (200, 12)
    assert ds["share_quantiles"].sel(quantile="p50").dims == ("area", "year")


def test_sensitivity(sobol):
    check_result(sobol)
    df = sobol.to_frame()
    assert df.index.names == ["output", "parameter"]
    assert "cost_musd" in df.index.get_level_values("output")
    ranking = sobol.frames["ranking"]
    assert ranking["max_ST"].is_monotonic_decreasing


def test_sensitivity_and_plan_refuse_bad_input(world):
    with pytest.raises(InputError) as exc:
        api.sensitivity(world, n=100)
    assert exc.value.field == "n"
    with pytest.raises(InputError) as exc:
        api.plan(world, mode="both")
    assert exc.value.field == "mode"
    with pytest.raises(InputError) as exc:
        api.assess(world, deadline=2060)
    assert exc.value.field == "deadline"


def test_queries(world):
    t = api.time_to_stock(world, system="shell_155", target=3_000_000)
    check_result(t)
    assert t.to_frame().index.dtype == np.int64
    never = api.time_to_stock(world, system="shell_155", target=t.limit * 2)
    assert never.year is None and never.frames["summary"]["year"].iloc[0] is pd.NA
    c = api.cost_of_list(world, {"a330_mrtt": 3, "shell_155": 100_000})
    check_result(c)
    assert c.to_frame()["cost_musd"].sum() == pytest.approx(c.total_musd)
    s = api.spending_needed(world, area="land_forces", engines=["simulate"])
    check_result(s)
    assert str(s.to_frame()["pct_gdp"].dtype) == "Float64"
    assert len(s.frames["tried"]) == s.answers[0].evaluations
    r = api.threat(world)
    check_result(r)
    assert r.to_xarray()["europe_stock"].dims == ("metric", "year")
    w = api.weakest(world, area="iamd", top=5)
    check_result(w)
    assert len(w.to_frame()) == 5 and w.to_frame()["swing"].is_monotonic_decreasing
    figures = api.sources(world, area="iamd")
    check_frame(figures)
    assert len(figures) and (figures["year"] > 1900).all()
    check_frame(api.scenarios())


def test_compare(world, simulated):
    phased = api.simulate(world, "phased-2030")
    cmp = api.compare(simulated, phased)
    check_result(cmp)
    df = cmp.to_frame()
    a = simulated.to_frame()["share_at_deadline"]
    b = phased.to_frame()["share_at_deadline"]
    assert np.allclose(df["share_at_deadline_diff"], (b - a).loc[df.index])
    diff = df["earliest_year_diff"]
    assert str(diff.dtype) == "Int64"
    both = df["earliest_year_a"].notna() & df["earliest_year_b"].notna()
    assert (diff[both] == (df["earliest_year_b"] - df["earliest_year_a"])[both]).all()
    assert diff[~both].isna().all()
    with pytest.raises(InputError):
        api.compare(simulated, api.threat(world))


def test_the_store(tmp_path, assessed, pooled):
    db = tmp_path / "runs.duckdb"
    store = api.open_store(db)
    assert store.list().empty
    check_frame(store.list())
    a_id, p_id = store.save(assessed), store.save(pooled)
    runs = store.list()
    check_frame(runs)
    assert list(runs.index) == [a_id, p_id] and runs.loc[p_id, "scenario"].endswith("[pooled]")
    kept = store.get(a_id)
    assert isinstance(kept, api.AssessResult) and kept.run_id == a_id
    pd.testing.assert_frame_equal(kept.to_frame(), assessed.to_frame())
    plan_kept = store.get(p_id)
    assert isinstance(plan_kept, api.PlanResult)
    pd.testing.assert_frame_equal(plan_kept.to_frame(), pooled.to_frame())
    check_frame(store.results(p_id))
    for fmt in ("parquet", "csv"):
        path = store.export(a_id, fmt, tmp_path / f"a.{fmt}")
        back = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
        assert len(back) == len(store.results(a_id)) and set(back["run_id"]) == {a_id}
    with pytest.raises(InputError):
        store.export(a_id, "xls", tmp_path / "a.xls")
    # Excel: the same workbook as `runs export --xlsx`, read back with pandas
    book = pd.read_excel(store.export(p_id, "xlsx", tmp_path / "p.xlsx"), sheet_name=None)
    proc = run_cli("runs", "export", p_id, "--xlsx", str(tmp_path / "cli.xlsx"), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    cli_book = pd.read_excel(tmp_path / "cli.xlsx", sheet_name=None)
    assert list(book) == list(cli_book) and len(book) > 2
    for name, sheet in book.items():
        assert sheet.shape == cli_book[name].shape, name
    # the CLI sees the same runs
    proc = run_cli("runs", "list", "--json", "--db", str(store.path))
    assert proc.returncode == 0, proc.stderr
    assert [r["run_id"] for r in json.loads(proc.stdout)] == [a_id, p_id]
    cmp = api.compare(a_id, p_id, store=store)
    assert cmp.as_dict()["a"]["run_id"] == a_id
    store.delete(a_id)
    assert list(store.list().index) == [p_id]


def test_sweep_runs_kept_and_resumes(tmp_path):
    file = tmp_path / "sweep.yaml"
    file.write_text(SWEEP)
    db = tmp_path / "runs.duckdb"
    first = api.sweep(file, store=db)
    check_result(first)
    df = first.to_frame()
    assert len(df) == 2 and df["areas_met"].notna().all()
    assert df["areas_met"].iloc[1] >= df["areas_met"].iloc[0]  # a later deadline meets no fewer
    assert all(isinstance(r, api.AssessResult) for r in first.results)
    assert first.as_dict()["ran"] == 2
    # the package attribute stays callable once the sweep subpackage is imported
    import burdenshift.sweep.runner

    again = burdenshift.sweep(file, store=db)
    assert again.as_dict()["skipped"] == 2 and again.as_dict()["ran"] == 0
    assert len(api.open_store(db).list()) == 2


def test_package_exports_every_function():
    for name in burdenshift.__all__:
        assert callable(getattr(burdenshift, name)), name
    for name in ("plan", "risk", "sensitivity", "sweep", "open_store", "compare", "threat"):
        assert name in burdenshift.__all__


# -- the same numbers as the CLI's --json ---------------------------------------------------------
def test_assess_agrees_with_the_cli(assessed):
    proc = run_cli("assess", "--json", "--no-store")
    assert proc.returncode == 0, proc.stderr
    cli = {a["area"]: a for a in json.loads(proc.stdout)["areas"]}
    df = assessed.to_frame()
    for area, row in df.iterrows():
        assert row["share_at_deadline_max_ramp"] == pytest.approx(
            cli[area]["share_at_deadline_max_ramp"], abs=1e-12
        )
        want = cli[area]["year_target_max_ramp"]
        assert (
            (row["year_target_max_ramp"] is pd.NA)
            if want is None
            else (row["year_target_max_ramp"] == want)
        )


def test_risk_agrees_with_the_cli(risked):
    proc = run_cli("risk", "--draws", "200", "--seed", "7", "--json", "--no-store")
    assert proc.returncode == 0, proc.stderr
    cli = {a["area"]: a["p_target_by_deadline"] for a in json.loads(proc.stdout)["areas"]}
    p = risked.to_frame()["p_target_by_deadline"]
    assert p.to_dict() == cli


def test_time_to_stock_agrees_with_the_cli(world):
    proc = run_cli(
        "query", "time-to-stock", "--system", "shell_155", "--target", "3000000", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    cli = json.loads(proc.stdout)
    t = api.time_to_stock(world, system="shell_155", target=3_000_000)
    assert t.frames["summary"]["year"].iloc[0] == cli["year"]
    assert t.to_frame()["stock"].tolist() == [r["stock"] for r in cli["path"]]


# -- the docstrings' examples run -----------------------------------------------------------------
def test_docstring_examples_run():
    found = doctest.testmod(api, optionflags=doctest.ELLIPSIS)
    assert found.attempted > 30
    assert found.failed == 0


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's Python API example runs as printed (docs must not drift from code)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = re.search(r"## Python API.*?```python\n(.*?)```", readme, re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BURDENSHIFT_DB", raising=False)
    scope: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), scope)
    assert (tmp_path / "burdenshift.duckdb").is_file() and (tmp_path / "plan.parquet").is_file()
    assert scope["store"].list().index.tolist() == [scope["run_id"]]


def test_validate_lists_each_problem(tiny_copy):
    assert api.validate(tiny_copy).empty
    lines = tiny_copy / "lines.csv"
    rows = lines.read_text().splitlines()
    bad = next(i for i, r in enumerate(rows) if r.startswith("FRA-TANKER,capacity_per_year,"))
    rows[bad] = rows[bad].replace(",1,items_per_year,", ",-1,items_per_year,")
    lines.write_text("\n".join(rows) + "\n")
    problems = api.validate(tiny_copy)
    check_frame(problems)
    assert len(problems) >= 1 and str(problems["line"].dtype) == "Int64"
    first = problems.iloc[0]
    assert first["file"].endswith("lines.csv") and first["line"] == bad + 1
    proc = run_cli("data", "validate", str(tiny_copy))
    assert proc.returncode == 2 and f"{len(problems)} problem(s)" in proc.stderr


def test_tables_of_a_small_world_keep_their_shape(tiny_world, tiny_scenario):
    """Data without munitions or a Russian estimate: empty tables, arrays with their dims."""
    r = api.threat(tiny_world, tiny_scenario)
    assert r.to_frame().empty
    ds = r.to_xarray()
    assert ds["europe_stock"].dims == ("metric", "year") and ds["europe_stock"].shape == (0, 3)
    a = api.assess(tiny_world, tiny_scenario)
    assert a.frames["days_of_war"].empty and len(a.to_frame()) == len(tiny_world.areas)
    check_frame(a.to_frame())
