"""The CLI end to end in a subprocess, with the JSON shapes the README promises."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


def test_assess_json_shape():
    proc = run_cli("assess", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["deadline"] == 2027 and out["target_share"] == 0.5
    assert len(out["areas"]) == 12
    keys = {
        "area",
        "europe",
        "us",
        "europe_share_now",
        "share_at_deadline_current_rates",
        "share_at_deadline_max_ramp",
        "year_target_current_rates",
        "year_target_max_ramp",
        "binding",
        "verdict",
    }
    for a in out["areas"]:
        assert keys <= a.keys()
        assert isinstance(a["binding"], str) and a["verdict"]
        for k in ("year_target_current_rates", "year_target_max_ramp"):
            assert a[k] is None or isinstance(a[k], int)
    assert all("ally" in b for b in out["allies"]) and len(out["allies"]) == 31
    assert out["run"]["data_hash"] and out["run"]["version"]
    assert "nuclear" in out["scope"]


def test_assess_deadline_option_moves_the_deadline():
    out = json.loads(run_cli("assess", "--json", "--deadline", "2030").stdout)
    assert out["deadline"] == 2030


def test_simulate_json_shape_and_csv(tmp_path):
    path = tmp_path / "sim.csv"
    proc = run_cli("simulate", "--json", "--csv", str(path), "--scenario", "phased-2030")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["years"] == list(range(2026, 2036))
    for v in out["areas"].values():
        assert len(v["europe_share"]) == len(v["gap"]) == 10
    assert set(out["cost_musd"]) >= {"total", "by_ally"}
    assert out["run"]["scenario"] == "phased-2030"
    # the allocation rule is stated with the numbers, and they keep to it: what is left lapses
    assert "lapses" in out["policy"]
    assert sum(out["cost_musd"]["total"]) <= sum(out["cost_musd"]["budget"]) + 1e-6
    import pandas as pd

    # one long format: the store's columns, loading cleanly; the run's metadata beside it
    table = pd.read_csv(path)
    assert list(table.columns) == [
        "run_id",
        "area",
        "ally",
        "system",
        "line",
        "year",
        "metric",
        "value",
        "unit",
    ]
    assert len(table) > 1000 and table["year"].dtype.kind == "i"
    meta = json.loads(path.with_name(path.name + ".meta.json").read_text())
    assert meta["data_hash"] == out["run"]["data_hash"] and meta["scenario"] == "phased-2030"
    assert table["run_id"].nunique() == 1 and table["run_id"].iloc[0] == meta["run_id"]
    shares = table[(table.metric == "europe_share") & (table.area == "munitions")]
    assert shares["value"].round(6).tolist() == out["areas"]["munitions"]["europe_share"]
    assert table["metric"].str.startswith("europe_capability:").any()


def test_data_sources_json():
    rows = json.loads(run_cli("data", "sources", "--json").stdout)
    assert len(rows) >= 400
    for r in rows:
        assert {
            "table",
            "key",
            "field",
            "value",
            "unit",
            "year",
            "source",
            "confidence",
        } <= r.keys()
        assert r["source"] and isinstance(r["year"], int)
    some = json.loads(run_cli("data", "sources", "--json", "--area", "air_refuelling").stdout)
    assert 0 < len(some) < len(rows)
    assert any(r["key"].endswith(":a330_mrtt") for r in some)
    assert not any(r["key"].endswith(":leopard_2") for r in some)


def test_scenarios_lists_the_library():
    proc = run_cli("scenarios")
    assert proc.returncode == 0
    for name in ("baseline-2027-blunt", "phased-2030", "pooled-procurement", "no-us-licences"):
        assert name in proc.stdout


def test_every_shipped_scenario_runs():
    from burdenshift import assess, load_world
    from burdenshift.scenario.loader import library

    world = load_world()
    for name in library():
        result = assess(world, name)
        assert len(result.areas) == 12


def test_readme_scenario_example_runs():
    """The scenario shown in README.md is valid and runs (docs must not drift from code)."""
    import re
    from pathlib import Path

    from burdenshift import assess, load_world
    from burdenshift.scenario.loader import parse_scenario

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    block = re.search(r"## Scenarios.*?```yaml\n(.*?)```", readme, re.S)
    assert block is not None
    sc = parse_scenario(block.group(1), "README.md")
    assert sc.export.closed_routes and sc.overrides
    result = assess(load_world(), sc)
    assert result.areas[0].verdict


def test_plan_json_shapes():
    proc = run_cli("plan", "--json", "--mode", "both", "--time-limit", "300")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"national", "pooled", "difference", "run"}
    for mode in ("national", "pooled"):
        res = out[mode]
        assert res["mode"] == mode and res["status"] == "optimal"
        assert set(res["objective"]) == {"shortfall", "cost_musd"}
        assert len(res["areas"]) == 12
        for a in res["areas"]:
            assert a["earliest_year"] is None or isinstance(a["earliest_year"], int)
            assert all(0 <= v <= 1 + 1e-9 for v in a["benchmarks"].values())
        for b in res["bottlenecks"]:
            assert {"constraint", "where", "dual", "unit", "explanation"} <= b.keys()
    diff = out["difference"]
    nat, poo = out["national"]["objective"], out["pooled"]["objective"]
    money = diff["money"]
    for term in ("discounted_cost", "spending", "money_to_us_industry"):
        key = f"{term}_usd_bn"
        assert money[key] == pytest.approx(
            out["pooled"]["money"][key] - out["national"]["money"][key]
        )
        assert key in money["terms"]
    assert diff["discounted_cost_saving_share"] == pytest.approx(
        1 - poo["cost_musd"] / nat["cost_musd"]
    )
    assert set(diff["earliest_year"]) == {a["area"] for a in out["national"]["areas"]}


def test_plan_bad_mode_is_a_user_error():
    proc = run_cli("plan", "--mode", "federal")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--mode" in proc.stderr


def test_files_are_written_whole_with_the_usual_mode(tmp_path, monkeypatch):
    import os

    from burdenshift import files

    target = tmp_path / "report.html"
    old = os.umask(0o022)
    try:
        files.write_atomic(target, "<html>complete</html>")
    finally:
        os.umask(old)
    assert target.read_text() == "<html>complete</html>"
    assert target.stat().st_mode & 0o777 == 0o644  # shareable, as any new file
    # a write cut off before the rename leaves the old file and no temporary behind
    monkeypatch.setattr(files.os, "replace", lambda *_: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        files.write_atomic(target, "<html>half")
    assert target.read_text() == "<html>complete</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_runs_export_and_report_write_excel_that_pandas_reads(tmp_path):
    import pandas as pd

    env = {"BURDENSHIFT_DB": str(tmp_path / "runs.duckdb")}
    out = json.loads(run_cli("assess", "--json", env=env).stdout)
    run_id = json.loads(run_cli("runs", "list", "--json", env=env).stdout)[0]["run_id"]
    book = tmp_path / "run.xlsx"
    proc = run_cli("runs", "export", run_id, "--xlsx", str(book), env=env)
    assert proc.returncode == 0, proc.stderr
    sheets = pd.read_excel(book, sheet_name=None)
    assert {"Run", "areas", "Sources"} <= set(sheets)
    assert sheets["Run"]["data hash"].iloc[0] == out["run"]["data_hash"]
    report = tmp_path / "report.xlsx"
    proc = run_cli(
        "report", run_id, "--html", str(tmp_path / "r.html"), "--xlsx", str(report), env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert set(pd.read_excel(report, sheet_name=None)) == set(sheets)
    both = run_cli("runs", "export", run_id, "--xlsx", str(book), "--csv", "x.csv", env=env)
    assert both.returncode == 2 and "exactly one of --parquet, --csv or --xlsx" in both.stderr
