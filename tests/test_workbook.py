"""The Excel workbook of stored runs (issue 14, "Excel"): it round-trips through pandas with the
payload's own numbers, integer years, units in the headers, every figure of the data, and a
failed write leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from burdenshift.domain.load import load_world
from burdenshift.errors import InputError
from burdenshift.report import workbook
from burdenshift.report.page import race_run
from burdenshift.report.workbook import write_workbook
from tests.conftest import run_cli

ENGINES = ("assess", "simulate", "plan", "risk", "sensitivity")
SHEETS = {
    "assess": ["areas", "days of war", "burden", "areas by year"],
    "simulate": ["money", "areas by year", "spending by year"],
    "plan": ["money", "earliest year", "bottlenecks", "benchmarks", "spending by year"],
    "risk": ["probabilities", "areas by year"],
    "sensitivity": ["ranking"],
    "threat": ["race"],
}
"""The table sheets of a one-run workbook, by engine."""


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """One run of each engine on the default data, in a fresh store, as `report` reads them."""
    from burdenshift.store.database import Store

    folder = tmp_path_factory.mktemp("runs")
    env = {"BURDENSHIFT_DB": str(folder / "runs.duckdb")}
    for args in (
        ["assess"],
        ["simulate"],
        ["plan"],
        ["risk", "--draws", "200"],
        ["sensitivity", "--n", "64"],
    ):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 0, proc.stderr
    store = Store(folder / "runs.duckdb")
    runs = [{**store.run(r["run_id"]), "result": store.payload(r["run_id"])} for r in store.runs()]
    assert [r["engine"] for r in runs] == list(ENGINES)
    return {r["engine"]: r for r in runs}, env


@pytest.fixture(scope="module")
def sources():
    return [f.as_dict() for f in load_world().figures]


@pytest.fixture(scope="module")
def book(stored, sources, tmp_path_factory):
    """Every run and the sources in one workbook, read back by pandas and by openpyxl."""
    runs, _ = stored
    path = tmp_path_factory.mktemp("book") / "runs.xlsx"
    names = write_workbook(list(runs.values()), sources, path)
    return names, pd.read_excel(path, sheet_name=None), openpyxl.load_workbook(path), path


def same(x):
    """The payload's number as the workbook keeps it: openpyxl writes 16 significant digits
    (Excel itself shows 15)."""
    if isinstance(x, list):
        return [same(v) for v in x]
    return pytest.approx(x, rel=1e-15, abs=0)


def _column(df: pd.DataFrame, start: str) -> pd.Series:
    (name,) = [c for c in df.columns if str(c).startswith(start)]
    return df[name]


def test_one_sheet_per_table_of_each_engine(stored, tmp_path):
    runs, _ = stored
    for engine, run in runs.items():
        path = tmp_path / f"{engine}.xlsx"
        names = write_workbook([run], None, path)
        assert names == ["Run", "Contents", *SHEETS[engine]], engine
        assert list(pd.read_excel(path, sheet_name=None)) == names


def test_the_race_against_russia_has_its_sheet(tmp_path):
    proc = run_cli("threat", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    path = tmp_path / "race.xlsx"
    assert write_workbook([race_run(payload)], None, path) == ["Run", "Contents", "race"]
    race = pd.read_excel(path, sheet_name="race")
    dl = payload["deadline"] if "deadline" in payload else payload["run"]["applied"]["deadline"]
    i = [int(y) for y in payload["years"]].index(dl)
    ratio = _column(race, f"stock ratio {dl} (ratio)")
    for row, m in zip(ratio, payload["metrics"], strict=True):
        want = m["stock_ratio"][i]
        assert (pd.isna(row) and want is None) or row == same(want)


def test_sheet_names_of_several_runs(book):
    names, frames, wb, _ = book
    table_sheets = [f"{e} {s}" for e in ENGINES for s in SHEETS[e]]
    assert names == ["Run", "Contents", *table_sheets, "Sources"]
    assert list(frames) == names == wb.sheetnames
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)
    contents = frames["Contents"]
    assert list(contents["sheet"]) == names[2:]
    assert set(contents["run id"].dropna()) == set(frames["Run"]["run id"])


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    long = "a table whose title runs far past what Excel allows"
    first, second = (workbook._sheet_name(long, taken) for _ in range(2))
    assert first == long[:31] and len(second) <= 31 and second.endswith(" (2)")
    assert workbook._sheet_name("cost [USD]: a/b\\c*?", taken) == "cost -USD-- a-b-c--"
    assert workbook._sheet_name("Cost [USD]: a/b\\c*?", taken).endswith(" (2)")
    assert workbook._sheet_name("'quoted'", taken) == "quoted"


def test_run_sheet_says_how_each_run_was_made(book, stored):
    runs, _ = stored
    _, frames, _, _ = book
    run = frames["Run"]
    assert list(run.columns) == workbook.RUN_HEADERS
    assert list(run["engine"]) == list(ENGINES)
    for _, row in run.iterrows():
        stored_run = runs[row["engine"]]
        assert row["run id"] == stored_run["run_id"]
        assert row["data hash"] == stored_run["data_hash"]
        assert row["headline"].startswith(row["engine"])
        assert row["requirement set"].startswith("nato-2025")
        assert row["engine label"].startswith(row["engine"])
    assert run.loc[run["engine"] == "risk", "seed"].item() == runs["risk"]["seed"]
    assert pd.api.types.is_datetime64_any_dtype(run["created (UTC)"])


def test_numbers_are_the_payloads_own(book, stored):
    runs, _ = stored
    _, frames, _, _ = book
    p = runs["assess"]["result"]
    dl = p["deadline"]
    areas = frames["assess areas"]
    assert list(areas["area"]) == [a["name"] for a in p["areas"]]
    # 0.438 is kept as 0.438 (not the page's "44%")
    assert list(areas[f"coverage {dl} fastest ramp (%)"]) == same(
        [a["share_at_deadline_max_ramp"] for a in p["areas"]]
    )
    assert list(areas["weak figures (%)"]) == same([a["weak_share"] for a in p["areas"]])
    by_year = frames["assess areas by year"]
    isr = by_year[by_year["area"] == p["areas"][0]["name"]]
    assert list(isr["coverage, fastest ramp (%)"]) == same(
        p["paths"][p["areas"][0]["area"]]["max_ramp"]
    )
    burden = frames["assess burden"].set_index("ally")
    for ally in p["allies"]:
        row = burden.loc[ally["name"]]
        assert float(row["defence spending (USD bn)"]) == same(ally["defence_spending_usd_bn"])
        assert float(row["share of GDP (%)"]) == same(ally["gdp_share"])
    days = frames["assess days of war"]
    first = next(iter(p["days_of_war"].values()))
    assert list(days.iloc[0, 1:]) == same(list(first.values()))

    plan = runs["plan"]["result"]
    money = frames["plan money"].set_index("term")
    assert float(money.loc["spending", "value (USD bn)"]) == same(plan["cost_musd"]["total"] / 1000)
    assert float(money.loc["capital for new capacity", "value (USD bn)"]) == same(
        plan["money"]["capital_for_new_capacity_usd_bn"]
    )
    bottlenecks = frames["plan bottlenecks"]
    assert list(bottlenecks["dual (in the row's unit)"]) == same(
        [b["dual"] for b in plan["bottlenecks"]]
    )
    bench = frames["plan benchmarks"]
    a0 = plan["areas"][0]
    mine = bench[bench["area"] == a0["area"]]
    assert list(mine["coverage under the plan (%)"]) == same(list(a0["benchmarks"].values()))

    risk = runs["risk"]["result"]
    probs = frames["risk probabilities"]
    assert list(probs["P(target) (%)"]) == same([a["p_target_by_deadline"] for a in risk["areas"]])
    sim = runs["simulate"]["result"]
    spend = frames["simulate spending by year"]
    assert list(spend["spending (USD bn)"]) == same([c / 1000 for c in sim["cost_musd"]["total"]])
    ranking = frames["sensitivity ranking"]
    assert list(ranking.iloc[:, 1]) == [
        r["max_ST"] for r in runs["sensitivity"]["result"]["ranking"]
    ]


def test_years_are_integers(book, stored):
    runs, _ = stored
    _, frames, wb, _ = book
    for name in ("assess areas by year", "simulate areas by year", "plan benchmarks"):
        assert frames[name]["year"].dtype == "int64", name
    assert frames["Sources"]["year"].dtype == "int64"
    # columns with "never" (an empty cell) hold whole years, stored as integers
    ws = wb["plan earliest year"]
    cells = [c.value for (c,) in ws.iter_rows(min_row=2, min_col=2, max_col=2)]
    want = [a["earliest_year"] for a in runs["plan"]["result"]["areas"]]
    assert cells == want and any(isinstance(c, int) for c in cells)
    assert all(c is None or type(c) is int for c in cells)
    ws = wb["assess areas"]
    heads = [c.value for c in ws[1]]
    j = heads.index("held from (ramp)") + 1
    held = [c.value for (c,) in ws.iter_rows(min_row=2, min_col=j, max_col=j)]
    assert held == [a["year_target_max_ramp"] for a in runs["assess"]["result"]["areas"]]
    assert all(c is None or type(c) is int for c in held)


def test_units_are_in_the_headers(book):
    _, frames, wb, _ = book
    dl = 2027
    heads = {n: [str(c) for c in df.columns] for n, df in frames.items()}
    assert f"coverage {dl} fastest ramp (%)" in heads["assess areas"]
    assert "value (USD bn)" in heads["plan money"]
    assert "defence spending (USD bn)" in heads["assess burden"]
    assert f"{dl} (days)" in heads["assess days of war"]
    assert "spending (USD bn)" in heads["plan spending by year"]
    for name, df in frames.items():
        if name in ("Run", "Contents", "Sources"):
            continue
        for col in df.columns:
            numeric = pd.api.types.is_numeric_dtype(df[col]) and df[col].notna().any()
            if numeric and "year" not in str(col):  # a year is its own unit
                assert str(col).endswith(")"), f"{name}: {col} has no unit"
    # shares carry a percent number format, money a thousands format
    ws = wb["assess areas"]
    assert ws.cell(2, 2).number_format.endswith("%")
    assert isinstance(ws.cell(2, 2).value, float)
    ws = wb["plan money"]
    assert ws.cell(2, 2).number_format == "#,##0.0"


def test_every_cell_is_clean_and_headers_bold_and_frozen(book):
    _, _, wb, _ = book
    for ws in wb:
        assert ws.freeze_panes == "B2", ws.title
        assert all(c.font.bold for c in ws[1]), ws.title
        assert all((ws.column_dimensions[c.column_letter].width or 0) >= 10 for c in ws[1]), (
            ws.title
        )
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, str) and re.search("[\ue000-\ue002]", v)), ws.title
                # numbers are numbers, never text such as "44%" or "1,234.5"
                number = isinstance(v, str) and re.fullmatch(r"-?\d[\d,]*(\.\d+)?%?", v)
                assert not number, (ws.title, v)


def test_sources_sheet_has_every_figure(book, sources):
    _, frames, _, _ = book
    src = frames["Sources"]
    assert list(src.columns) == workbook.SOURCE_HEADERS
    proc = run_cli("data", "sources", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert len(src) == len(listed) == len(load_world().figures) == len(sources)
    for row, s in zip(src.itertuples(index=False), listed, strict=True):
        assert (row.table, row.key, row.field) == (s["table"], s["key"], s["field"])
        assert row.value == s["value"] and row.year == s["year"]
        assert (pd.isna(row.low) and s["low"] is None) or row.low == s["low"]
    ws = book[2]["Sources"]
    col = workbook.SOURCE_HEADERS.index("source") + 1
    cells = [row[0] for row in ws.iter_rows(min_row=2, min_col=col, max_col=col)]
    linked = [c for c in cells if c.hyperlink is not None]
    assert linked and all(c.hyperlink.target in c.value for c in linked)
    assert all(c.hyperlink is not None for c in cells if "https://" in (c.value or ""))


def test_no_sources_no_sheet(stored, tmp_path):
    runs, _ = stored
    names = write_workbook([runs["risk"]], None, tmp_path / "r.xlsx")
    assert "Sources" not in names


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_folder_that_does_not_exist_leaves_nothing(stored, tmp_path):
    runs, _ = stored
    target = tmp_path / "missing" / "runs.xlsx"
    with pytest.raises(InputError, match="folder does not exist"):
        write_workbook([runs["assess"]], None, target)
    assert not target.parent.exists() and _left(tmp_path) == []


def test_a_folder_as_the_path_leaves_nothing(stored, tmp_path):
    runs, _ = stored
    with pytest.raises(InputError, match="folder"):
        write_workbook([runs["assess"]], None, tmp_path)
    assert _left(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_leaves_nothing(stored, tmp_path):
    runs, _ = stored
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(InputError, match="cannot write here"):
            write_workbook([runs["assess"]], None, folder / "runs.xlsx")
        assert _left(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_write_that_fails_halfway_leaves_the_old_file(stored, tmp_path, monkeypatch):
    """Interrupted after part of the file is written: the temporary file goes, and a workbook
    already at the path stays whole."""
    from openpyxl import Workbook

    runs, _ = stored
    target = tmp_path / "runs.xlsx"
    write_workbook([runs["risk"]], None, target)
    before = target.read_bytes()

    def broken(self, fh):
        fh.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", broken)
    with pytest.raises(OSError, match="No space"):
        write_workbook([runs["assess"]], None, target)
    assert _left(tmp_path) == ["runs.xlsx"]
    assert target.read_bytes() == before
    assert list(pd.read_excel(target, sheet_name=None)) == ["Run", "Contents", *SHEETS["risk"]]


def test_a_folder_that_refuses_the_file_leaves_nothing(stored, tmp_path, monkeypatch):
    """What a read-only folder does to any user but root, whatever user the suite runs as."""
    runs, _ = stored

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(workbook.os, "open", refuse)
    with pytest.raises(InputError, match=r"cannot write here \(Permission denied\)"):
        write_workbook([runs["assess"]], None, tmp_path / "runs.xlsx")
    monkeypatch.undo()
    assert _left(tmp_path) == []
