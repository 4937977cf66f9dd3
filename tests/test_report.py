"""Reports in a real browser (Debian's chromium driven by Playwright, no download, offline) and
`compare` checked by hand on the tiny world."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from burdenshift.errors import InputError
from tests.conftest import TINY, run_cli

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TINY_SCENARIO = "horizon: [2026, 2028]\ndeadline: 2027\n"


def _need_browser() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("BURDENSHIFT_REQUIRE_BROWSER"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed here (.ci/run installs it)")


@pytest.fixture(scope="module")
def stored_runs(tmp_path_factory):
    """assess, plan, risk and sensitivity runs of the default data in a fresh store."""
    folder = tmp_path_factory.mktemp("runs")
    env = {"BURDENSHIFT_DB": str(folder / "runs.duckdb")}
    for args in (
        ["assess"],
        ["simulate"],
        ["plan"],
        ["risk", "--draws", "1000"],
        ["sensitivity", "--n", "64"],
    ):
        proc = run_cli(*args, env=env)
        assert proc.returncode == 0, proc.stderr
    runs = json.loads(run_cli("runs", "list", "--json", env=env).stdout)
    return env, [r["run_id"] for r in runs], folder


def _open(path: Path):
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen: dict[str, list[str]] = {"requests": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return pw, browser, page, seen


def _not_blank(png: bytes) -> None:
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    lo, hi = img.getextrema()
    assert hi - lo > 100, "the screenshot is blank"
    assert len(set(img.resize((64, 64)).tobytes())) > 10


def test_report_lists_the_figures_to_check_first(stored_runs):
    env, runs, folder = stored_runs
    html, md = folder / "weakest.html", folder / "weakest.md"
    proc = run_cli("report", runs[-1], "--html", str(html), "--md", str(md), env=env)
    assert proc.returncode == 0, proc.stderr
    text = md.read_text()
    head = text.index("## Figures to check first")
    rows = [r for r in text[head:].splitlines() if r.startswith("| ") and r[2].isdigit()]
    assert len(rows) == 10
    swings = [float(r.split(" | ")[6].removesuffix(" pts")) for r in rows]
    assert swings == sorted(swings, reverse=True) and swings[0] > 0
    page = html.read_text()
    assert "Figures to check first" in page and page.index("Figures to check first") < page.index(
        "Data sources: every figure"
    )


@pytest.mark.browser
def test_report_renders_every_chart_offline(stored_runs):
    _need_browser()
    env, runs, folder = stored_runs
    html, md, png = folder / "report.html", folder / "report.md", folder / "png"
    proc = run_cli(
        "report", *runs, "--html", str(html), "--md", str(md), "--png", str(png), env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert html.read_text().count("Plotly.newPlot") == 8  # plotly.js inline, once
    pw, browser, page, seen = _open(html)
    try:
        charts = page.locator(".chart .js-plotly-plot")
        # assess 3, simulate 1, plan 1, risk 2, sensitivity 1
        assert charts.count() == 8
        for i in range(charts.count()):
            chart = charts.nth(i)
            assert chart.locator("svg.main-svg").count() >= 1
            box = chart.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 200
            assert chart.locator("g.trace path").count() > 0  # data drawn, not only axes
        assert page.get_by_text("Data sources: every figure").count() == 1
        assert page.get_by_text("Bottlenecks").count() >= 1
        _not_blank(page.screenshot(full_page=False))
        assert seen["errors"] == []
        assert [u for u in seen["requests"] if not u.startswith(("file:", "data:", "blob:"))] == []
    finally:
        browser.close()
        pw.stop()
    assert "## assess" in md.read_text() and "| area |" in md.read_text()
    pngs = sorted(png.glob("*.png"))
    assert len(pngs) == 8
    _not_blank(pngs[0].read_bytes())


def test_compare_by_hand_on_the_tiny_world(tmp_path):
    env = {"BURDENSHIFT_DB": str(tmp_path / "runs.duckdb")}
    base = tmp_path / "base.yaml"
    base.write_text(TINY_SCENARIO)
    refused = tmp_path / "refused.yaml"
    refused.write_text(TINY_SCENARIO + "export: {us_licences: refused}\n")
    for sc in (base, refused):
        proc = run_cli("simulate", "--data", str(TINY), "--scenario", str(sc), env=env)
        assert proc.returncode == 0, proc.stderr
    a, b = (r["run_id"] for r in json.loads(run_cli("runs", "list", "--json", env=env).stdout))
    out = tmp_path / "cmp.html"
    proc = run_cli("compare", a, b, "--json", "--html", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    cmp = json.loads(proc.stdout)
    tank = next(r for r in cmp["areas"] if r["area"] == "air_refuelling")
    # A: 2 French + 1 US tanker in 2027 -> (5.4 + 3) x 100 / 1600; B: no US tanker
    assert tank["share_at_deadline"]["a"] == pytest.approx(840 / 1600)
    assert tank["share_at_deadline"]["b"] == pytest.approx(740 / 1600)
    assert tank["share_at_deadline"]["diff"] == pytest.approx(-100 / 1600)
    # B buys one tanker (100 USD m) less in each of 2027 and 2028
    assert cmp["cost_musd"]["diff"] == pytest.approx(-200.0, abs=1e-6)
    # deterrence gap: 16 tankers required, the US down to 0.2 x 10 from 2027 (blunt); nothing
    # missing in 2026 (6 + 10); A in 2027: 16 - 8.4 - 2 = 5.6 tankers; B lacks 1 more in 2027
    # and 1 + 0.9 more in 2028 (the 2027 tanker would have retired by a tenth)
    assert tank["gap"]["a"] > 5.6 / 16
    assert tank["gap"]["diff"] == pytest.approx((1 + 1.9) / 16)
    assert cmp["gap"]["diff"] == pytest.approx(sum(r["gap"]["diff"] for r in cmp["areas"]))
    assert out.exists() and "Plotly" in out.read_text()


@pytest.mark.browser
def test_compare_page_renders(tmp_path, stored_runs):
    _need_browser()
    env, runs, folder = stored_runs
    out = folder / "compare.html"
    proc = run_cli("compare", runs[0], runs[1], "--html", str(out), env=env)
    assert proc.returncode == 0, proc.stderr
    pw, browser, page, seen = _open(out)
    try:
        assert page.locator(".js-plotly-plot svg.main-svg").count() >= 1
        assert seen["errors"] == []
    finally:
        browser.close()
        pw.stop()


@pytest.fixture(scope="module")
def race_report(default_world):
    """An assess and a simulate run of the default data as the store gives them back, and the
    race against Russia as its payload, rendered in one report."""
    from burdenshift.engine.assess import assess
    from burdenshift.engine.runinfo import run_info
    from burdenshift.engine.simulate import simulate
    from burdenshift.engine.threat import race
    from burdenshift.output import assessment_json, race_json, simulation_json
    from burdenshift.report.page import render_runs
    from burdenshift.scenario.apply import applied_world
    from burdenshift.scenario.schema import Scenario

    sc = Scenario(campaign_days=60)
    w = applied_world(default_world, sc)
    payloads = {
        "assess": assessment_json(assess(w, sc), run_info("assess", w, sc)),
        "simulate": simulation_json(simulate(w, sc), run_info("simulate", w, sc)),
    }
    # as the store gives them back: JSON (tuples become lists, year keys strings)
    runs = [
        {
            "run_id": f"run-{engine}",
            "engine": engine,
            "scenario": sc.name,
            "version": "test",
            "data_hash": w.data_hash,
            "seed": None,
            "created_at": "2026-01-01T00:00:00",
            "result": json.loads(json.dumps(p)),
        }
        for engine, p in payloads.items()
    ]
    raced = json.loads(json.dumps(race_json(race(w, sc), run_info("threat", w, sc))))
    page, md, figs = render_runs(runs, None, race=raced)
    return page, md, figs, payloads["assess"], raced


def _section(page: str, title: str) -> str:
    """The table right after the heading `title`."""
    start = page.index(f"<h3>{title}")
    return page[start : page.index("</table>", start)]


def test_report_names_the_requirement_and_shows_the_race(race_report):
    import html

    page, md, figs, assessed, raced = race_report
    req = assessed["requirement"]
    assert f"<p class='requirement'>Requirement set: {html.escape(req)}</p>" in page
    # each run says what it measured against, the race included
    assert page.count(f"Requirement set: {html.escape(req)}</p>") == 1 + 3
    area = _section(page, "Per area")
    heads = area.split("</thead>")[0]
    assert heads.index("coverage now") < heads.index("share of the allied force now")
    assert heads.index("share of the allied force now") < heads.index("US now")
    assert "US-made" in heads
    for key in ("coverage", "force_share", "days_of_war"):
        # in the payload's words, without the JSON field names they open with
        text = assessed["measures"][key].split(": ", 1)[-1]
        assert f"<dd>{html.escape(text)}</dd>" in page, key
    first = assessed["areas"][0]
    row = area.split("<tbody>")[1].split("</tr>")[0]
    assert f"<td>{first['force_share_now']:.0%}</td>" in row
    # days of war for every munition, against the 60 days asked for
    days = _section(page, "Days of war: how long Europe&#x27;s munition stocks last (at the")
    assert "asks for 60 days" in days
    assert days.count("<tr>") == 1 + len(assessed["days_of_war"])
    # the race: one row per metric with a Russian estimate, weak figures flagged
    assert raced["metrics"], "the default data estimates Russia's forces"
    table = _section(page, "Race against Russia")
    assert table.count("<tr>") == 1 + len(raced["metrics"])
    for m in raced["metrics"]:
        name = html.escape(m["name"] + (" *" if m["weak"] else ""))
        assert f"<td>{name}</td>" in table
    if any(m["weak"] for m in raced["metrics"]):
        assert "low-confidence or assumptions" in page
    assert "## threat" in md and "### Race against Russia" in md
    assert f"**Requirement set: {req}**" in md
    assert len(figs) == 4  # assess 3, simulate 1: the race adds a table, not a chart


@pytest.mark.browser
def test_report_with_the_race_renders(race_report, tmp_path):
    _need_browser()
    page_html = race_report[0]
    path = tmp_path / "race.html"
    path.write_text(page_html)
    pw, browser, page, seen = _open(path)
    try:
        assert page.locator("h2", has_text="threat").count() == 1
        assert page.locator("dl.measures").count() >= 3
        assert page.locator("p.requirement").first.is_visible()
        _not_blank(page.screenshot())
        assert seen["errors"] == []
    finally:
        browser.close()
        pw.stop()


def test_report_writes_the_page_when_png_export_fails(stored_runs, tmp_path, monkeypatch):
    """Without a browser for the PNGs the page and the Markdown are still written, the error
    says so and why, and no PNG folder is left half-filled."""
    from typer.testing import CliRunner

    from burdenshift import cli
    from burdenshift.report import page

    env, runs, _ = stored_runs

    def no_browser(figs, folder, progress=None):
        raise InputError(
            "PNG export failed: no Chromium found", field="--png", fix="install a Chromium"
        )

    monkeypatch.setattr(page, "write_pngs", no_browser)
    html, md, png = tmp_path / "r.html", tmp_path / "r.md", tmp_path / "png"
    result = CliRunner().invoke(
        cli.app,
        ["report", runs[0], "--html", str(html), "--md", str(md), "--png", str(png)],
        env=env,
    )
    assert isinstance(result.exception, InputError)
    assert "wrote" in result.exception.problem and "no Chromium found" in result.exception.problem
    assert html.read_text().startswith("<!DOCTYPE html>") and md.read_text().startswith("#")
    assert not png.exists() and not list(tmp_path.glob(".burdenshift-png-*"))
