"""The JSON API with FastAPI's test client, and the page in headless Debian chromium against a
real uvicorn on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from burdenshift.web.app import create_app
from tests.test_report import ARGS, CHROMIUM, _need_browser, _not_blank


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("web") / "runs.duckdb"
    with TestClient(create_app(db, allowed_hosts=["testserver"])) as c:
        yield c


def test_scenarios(client):
    listed = client.get("/api/scenarios").json()
    assert {s["name"] for s in listed} >= {"baseline-2027-blunt", "pooled-procurement"}
    one = client.get("/api/scenarios/phased-2030").json()
    assert one["scenario"]["deadline"] == 2030 and "phased" in one["yaml"]
    ok = client.post("/api/validate", json={"yaml": "deadline: 2029\n"})
    assert ok.status_code == 200 and ok.json()["scenario"]["deadline"] == 2029
    bad = client.post("/api/validate", json={"yaml": "deadlin: 2029\n"}).json()
    assert bad["valid"] is False and bad["error"]["field"] == "deadlin"


def test_assess_and_simulate_follow_the_levers(client):
    base = client.post("/api/assess", json={}).json()
    later = client.post("/api/assess", json={"levers": {"deadline": 2032}}).json()
    assert base["deadline"] == 2027 and later["deadline"] == 2032
    areas = {a["area"]: a for a in base["areas"]}
    moved = {a["area"]: a for a in later["areas"]}
    assert all(
        moved[k]["share_at_deadline_max_ramp"] != areas[k]["share_at_deadline_max_ramp"]
        or moved[k]["share_at_deadline_max_ramp"] == 1.0
        for k in areas
        if k != "c2"
    )
    sim = client.post("/api/simulate", json={"levers": {"procurement": "pooled"}}).json()
    assert sim["run"]["applied"]["procurement"] == "pooled"
    assert set(sim) >= {"years", "areas", "cost_musd"}


def test_levers_name_what_they_change(client):
    """A kept run says which levers moved it away from its scenario; levers at the scenario's own
    values (the page always sends them all) leave it as it is."""
    same = {
        "deadline": 2030,
        "target_share": 0.5,
        "drawdown": "phased",
        "drawdown_end_year": 2030,
        "coordination_stays": True,
        "procurement": "national",
        "us_licences": "granted",
    }
    body = {"scenario": "phased-2030", "levers": same}
    assert client.post("/api/assess", json=body).json()["run"]["scenario"] == "phased-2030"
    body["levers"] = {**same, "deadline": 2031, "procurement": "pooled"}
    name = client.post("/api/assess", json=body).json()["run"]["scenario"]
    assert name == "phased-2030 + levers (deadline, procurement)"
    # the end year of a phased step-back does not touch a blunt one
    blunt = {"drawdown": "blunt", "drawdown_end_year": 2033}
    out = client.post("/api/assess", json={"levers": blunt}).json()["run"]
    assert (
        out["scenario"] == "baseline-2027-blunt"
        and out["applied"]["us_drawdown"]["end_year"] is None
    )


def test_drawdown_start_year_lever(client):
    """A blunt step-back in 2029 instead of the deadline (2027): the US contribution holds two
    more years, so the deterrence gap can only shrink, and it does where Europe falls short."""
    base = client.post("/api/simulate", json={}).json()
    later = client.post("/api/simulate", json={"levers": {"drawdown_start_year": 2029}}).json()
    assert later["run"]["applied"]["us_drawdown"]["start_year"] == 2029
    years = base["years"]
    for area, v in later["areas"].items():
        us_base, us_later = base["areas"][area]["us_share"], v["us_share"]
        assert us_later[years.index(2028)] == us_base[years.index(2026)]
        assert us_later[years.index(2029)] == pytest.approx(us_base[years.index(2029)])
        assert v["deterrence_gap_total"] <= base["areas"][area]["deterrence_gap_total"] + 1e-9
    gap = [sum(r["areas"][a]["deterrence_gap_total"] for a in r["areas"]) for r in (base, later)]
    assert gap[1] < gap[0]
    bad = client.post("/api/simulate", json={"levers": {"drawdown_start_year": 2026}})
    assert bad.status_code == 422


def test_budget_lever_per_ally(client):
    body = {"levers": {"budget_pct_gdp_2030_by_ally": {"DEU": 5.0}}}
    sim = client.post("/api/simulate", json=body).json()
    assert sim["run"]["applied"]["budget"]["by_ally"] == {"DEU": {"2030": 5.0}}
    base = client.post("/api/simulate", json={}).json()
    assert sum(sim["cost_musd"]["budget"]) > sum(base["cost_musd"]["budget"])
    bad = client.post("/api/simulate", json={"levers": {"budget_pct_gdp_2030_by_ally": {"XXX": 3}}})
    assert bad.status_code == 422 and "unknown ally" in bad.text
    high = client.post(
        "/api/simulate", json={"levers": {"budget_pct_gdp_2030_by_ally": {"DEU": 50}}}
    )
    assert high.status_code == 422


def test_plan_risk_runs_export_compare(client):
    plan = client.post("/api/plan", json={"store": True, "time_limit": 60}).json()
    assert plan["status"] == "optimal" and "run_id" in plan
    risk = client.post("/api/risk", json={"draws": 200, "seed": 3, "store": True}).json()
    assert risk["draws"] == 200 and len(risk["areas"]) == 12
    runs = client.get("/api/runs").json()
    ids = [r["run_id"] for r in runs]
    assert plan["run_id"] in ids and risk["run_id"] in ids
    one = client.get(f"/api/runs/{risk['run_id']}").json()
    assert one["result"]["seed"] == 3
    for fmt, needle in (
        ("csv", b"run_id,area"),
        ("yaml", b"deadline"),
        ("html", b"Plotly"),
        ("parquet", b"PAR1"),
    ):
        res = client.get(f"/api/runs/{plan['run_id']}/export", params={"format": fmt})
        assert res.status_code == 200 and needle in res.content[:200_000], fmt
    cmp = client.get("/api/compare", params={"a": plan["run_id"], "b": risk["run_id"]}).json()
    assert cmp["a"]["engine"] == "plan" and len(cmp["areas"]) == 12
    src = client.get("/api/sources", params={"area": "air_refuelling"}).json()
    assert src and all(r["source"] for r in src)


def test_weakest_ranks_an_areas_figures_under_the_levers(client):
    res = client.post("/api/weakest", json={"area": "munitions", "top": 5})
    assert res.status_code == 200, res.text
    w = res.json()
    swings = [r["swing"] for r in w["figures"]]
    assert len(swings) == 5 and swings == sorted(swings, reverse=True) and swings[0] > 0
    for r in w["figures"]:
        assert r["low"] <= r["value"] <= r["high"] and r["source"] and r["area"] == "munitions"
        assert abs(r["swing"] - abs(r["share_at_high"] - r["share_at_low"])) < 1e-5
    assert w["run"]["engine"] == "weakest" and w["deadline"] == 2027
    later = client.post("/api/weakest", json={"area": "munitions", "levers": {"deadline": 2030}})
    assert later.json()["deadline"] == 2030
    bad = client.post("/api/weakest", json={"area": "nowhere"})
    assert bad.status_code == 422 and "area" in bad.text and "munitions" in bad.text


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("/api/assess", {"yaml": "deadline: [2027\n"}, 422, "YAML"),
        ("/api/assess", {"yaml": "budget:\n  by_ally:\n    XXX: {2030: 3}\n"}, 422, "unknown ally"),
        ("/api/assess", {"levers": {"deadline": 2100}}, 422, "deadline"),
        ("/api/assess", {"levers": {"target_share": 1.5}}, 422, "target_share"),
        ("/api/assess", {"scenario": "no-such"}, 422, "no shipped scenario"),
        ("/api/risk", {"draws": 10_000_000}, 422, "draws"),
        ("/api/plan", {"time_limit": 9999}, 422, "time_limit"),
        ("/api/assess", {"levers": {"flux": 1}}, 422, "flux"),
    ],
)
def test_bad_input_is_4xx_never_500(client, path, body, status, needle):
    res = client.post(path, json=body)
    assert res.status_code == status, res.text
    assert needle in res.text


def test_oversized_body_is_refused(client):
    res = client.post(
        "/api/assess", content=b"x" * 300_000, headers={"content-type": "application/json"}
    )
    assert res.status_code == 422 and "limit" in res.text


def test_unknown_run_and_bad_export_format(client):
    assert client.get("/api/runs/nope").status_code == 422
    assert client.get("/api/runs/nope/export", params={"format": "exe"}).status_code == 422


def test_openapi_document_lists_the_api(client):
    doc = client.get("/openapi.json").json()
    for path in (
        "/api/scenarios",
        "/api/assess",
        "/api/simulate",
        "/api/plan",
        "/api/risk",
        "/api/runs",
        "/api/compare",
    ):
        assert path in doc["paths"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    db = tmp_path_factory.mktemp("serve") / "runs.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "burdenshift", "serve", "--port", str(port), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.communicate(timeout=20)


def _spending(text: str) -> float:
    """The simulated spending the page's cost line states, in USD bn."""
    import re

    found = re.search(r"spending ([\d,.]+) USD bn", text)
    assert found, text
    return float(found.group(1).replace(",", ""))


@pytest.mark.browser
def test_page_moves_with_the_levers(server, tmp_path):
    _need_browser()
    from playwright.sync_api import sync_playwright

    bad = tmp_path / "bad.yaml"
    bad.write_text("deadline: 2027\nus_drawdown:\n  paht: blunt\n")
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text("name: '<img src=x onerror=\"window.__injected=1\">'\n")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors, outside = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None
        )
        try:
            page.goto(server + "/")
            page.wait_for_selector("#area-table table")
            assert "by 2027" in page.locator("#verdict").inner_text()
            # the verdict, panels and the engines side by side name their engine
            assert page.locator("#verdict").inner_text().startswith("assess (a ceiling): ")
            assert "Engine: assess (a ceiling): " in page.locator("#area-table").inner_text()
            engines = page.locator("#engines-table").inner_text()
            assert "assess (a ceiling)" in engines and "simulate (a buying rule)" in engines
            assert page.locator("#engines-table tbody tr").count() == 12
            assert page.locator("#chart-shares svg.main-svg").count() >= 1
            before = page.locator("#area-table").inner_text()
            traces = "document.getElementById('chart-shares').data"
            # one small chart per area: Europe, the US on its drawdown path, the target
            names = page.evaluate(f"{traces}.map(t => t.name)")
            assert len(names) == 3 * 12 and set(names) == {"Europe", "US contribution", "target"}
            _requirement_and_race(page)
            us = f"JSON.stringify({traces}.filter(t => t.name === 'US contribution').map(t => t.y))"
            europe = f"JSON.stringify({traces}.filter(t => t.name === 'Europe').map(t => t.y))"
            us_before = page.evaluate(us)
            page.fill("#deadline", "2031")
            page.dispatch_event("#deadline", "change")
            page.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('2031')"
            )
            assert page.locator("#area-table").inner_text() != before
            # the blunt step-back moves with the deadline, and the charts follow
            assert page.evaluate(us) != us_before
            europe_national = page.evaluate(europe)
            national = page.locator("#cost").inner_text()
            assert "national procurement" in national
            page.select_option("#procurement", "pooled")
            page.wait_for_function(
                "document.querySelector('#cost').textContent.includes('pooled procurement')"
            )
            # pooled buying costs less for the same deliveries: the spending figure moves
            assert _spending(page.locator("#cost").inner_text()) != _spending(national)
            assert page.evaluate(europe) != europe_national
            # a per-ally budget: Germany cutting to 0 % of GDP by 2030 spends less
            pooled = page.locator("#cost").inner_text()
            page.click("#by-ally summary")
            page.fill("#budget-DEU", "0")
            page.dispatch_event("#budget-DEU", "change")
            page.wait_for_function(
                "text => document.querySelector('#cost').textContent !== text", arg=pooled
            )
            spent = [_spending(t) for t in (pooled, page.locator("#cost").inner_text())]
            assert spent[1] < spent[0]
            # a risk run from the page is kept and listed
            page.fill("#draws", "200")
            page.click("#run-risk")
            page.wait_for_selector("#risk-chart svg.main-svg")
            # run on the levers set, risk joins the engines side by side
            assert (
                "risk (the rule under uncertainty)" in page.locator("#engines-table").inner_text()
            )
            page.wait_for_function(
                "Array.from(document.querySelectorAll('#runs td'))"
                ".some(td => td.textContent === 'risk')"
            )
            # a bad upload shows the error with its field, and nothing else breaks
            page.set_input_files("#upload", str(bad))
            page.wait_for_selector("#upload-error:not([hidden])")
            assert "us_drawdown.paht" in page.locator("#upload-error").inner_text()
            page.select_option("#scenario", "phased-2030")
            page.wait_for_selector("#upload-error[hidden]", state="attached")
            # the levers take the picked scenario's own settings (deadline 2030, the US stays
            # in coordination), so they do not override it with the last scenario's values
            page.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('by 2030')"
            )
            assert page.input_value("#deadline") == "2030"
            assert page.input_value("#drawdown") == "phased"
            assert page.is_checked("#coordination_stays")
            # a scenario's name is shown as text, never run as markup (the store is shared)
            page.set_input_files("#upload", str(hostile))
            page.wait_for_function("document.querySelector('#status').textContent === ''")
            # save a run and reopen it
            page.click("#save")
            page.wait_for_selector("#runs a.reopen")
            page.wait_for_function(
                "document.querySelector('#runs').textContent.includes('onerror')"
            )
            assert page.evaluate("window.__injected") is None
            assert page.locator("#runs img").count() == 0
            # saving keeps what the page shows: the assessment and the simulation
            engines = page.locator("#runs tbody tr td:nth-child(2)").all_inner_texts()
            assert {"assess", "simulate"} <= set(engines)
            page.click("#runs a.reopen")
            page.wait_for_function(
                "document.querySelector('#status').textContent.startsWith('reopened')"
            )
            _not_blank(page.screenshot())
            assert errors == []
            assert outside == []
        finally:
            browser.close()


def _requirement_and_race(page) -> None:
    """The page names the requirement set it measured against, labels coverage, force share and
    US-made in the payload's words, shows days of war and the race, and follows the requirement
    levers; it leaves the levers as it found them."""
    api = "async (p) => await (await fetch(p, {method: 'POST', body: '{}', headers: "
    api += "{'Content-Type': 'application/json'}})).json()"
    assessed = page.evaluate(api, "/api/assess")
    raced = page.evaluate(api, "/api/threat")
    assert assessed["requirement"] in page.locator("#requirement-used").inner_text()
    force = page.get_attribute("#area-table th:text-is('share of the allied force now')", "title")
    assert force and force in assessed["measures"]["force_share"]
    coverage = page.get_attribute("#area-table th:text-is('coverage now')", "title")
    assert coverage and coverage in assessed["measures"]["coverage"] and coverage != force
    assert page.locator("#area-table th:text-is('US-made')").count() == 1
    assert page.locator("#measures dt").count() >= 3
    assert page.locator("#days-table tbody tr").count() == len(assessed["days_of_war"])
    rows = page.locator("#race-table tbody tr")
    assert raced["metrics"] and rows.count() == len(raced["metrics"])
    weak = [m["name"] for m in raced["metrics"] if m["weak"]]
    if weak:
        assert page.locator("#race-table .weak").first.inner_text() == weak[0] + " *"
    page.select_option("#requirement", "ratio-to-russia")
    page.wait_for_function(
        "document.querySelector('#requirement-used').textContent.includes('ratio-to-russia')"
    )
    page.fill("#campaign_days", "90")
    page.dispatch_event("#campaign_days", "change")
    page.wait_for_function("document.querySelector('#days-table').textContent.includes('90 days')")
    page.select_option("#requirement", "")
    page.fill("#campaign_days", "")
    page.dispatch_event("#campaign_days", "change")
    page.wait_for_function(
        "([t, d]) => document.querySelector('#requirement-used').textContent.includes(t)"
        " && document.querySelector('#days-table').textContent.includes(d)",
        arg=[assessed["requirement"], f"asks for {assessed['campaign_days']:g} days"],
    )


def _wait(client, job_id: str, until) -> dict:
    """Poll a job until `until(status)` holds (at most 20 s)."""
    for _ in range(1_000):
        s = client.get(f"/api/jobs/{job_id}").json()
        if until(s):
            break
        time.sleep(0.02)
    return s


def test_jobs_report_progress_and_can_be_cancelled(client):
    started = client.post("/api/jobs/risk", json={"draws": 20_000, "seed": 1}).json()
    assert started["state"] == "running"
    seen = _wait(client, started["id"], lambda s: s["progress"] > 0)["progress"]
    assert client.delete(f"/api/jobs/{started['id']}").status_code == 200
    s = _wait(client, started["id"], lambda s: s["state"] != "running")
    assert s["state"] == "cancelled" and s["result"] is None
    assert 0 < seen < 1
    done = client.post("/api/jobs/risk", json={"draws": 300, "seed": 2}).json()
    s = _wait(client, done["id"], lambda s: s["state"] != "running")
    assert s["state"] == "done" and s["progress"] == 1.0 and s["result"]["draws"] == 300
    assert client.get("/api/jobs/nope").status_code == 422


def test_plan_job_reports_solver_progress_and_cancel_stops_the_solver(client):
    """A plan short of money solves for seconds: its progress moves with the solver stages,
    and cancelling interrupts HiGHS mid-solve rather than waiting for the plan."""
    slow = "name: short-of-money\nbudget: {multiplier: 0.02}\n"
    started = client.post("/api/jobs/plan", json={"yaml": slow}).json()
    s = _wait(client, started["id"], lambda s: s["progress"] >= 0.1 or s["state"] != "running")
    assert s["state"] == "running" and 0.1 <= s["progress"] < 0.5
    assert client.delete(f"/api/jobs/{started['id']}").status_code == 200
    s = _wait(client, started["id"], lambda s: s["state"] != "running")
    assert s["state"] == "cancelled" and s["result"] is None
    assert s["progress"] < 0.9  # stopped inside a solve, before the plan was done


@pytest.mark.browser
def test_the_sources_panel_links_its_sources_and_fits_1024_pixels(server):
    """Every figure's range, confidence, note and linked source, in a 1,024-pixel window
    without a horizontal scroll bar."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 800})
        try:
            page.goto(server + "/")
            page.wait_for_selector("#area-table table")
            page.locator("#sources-panel summary").click()
            page.wait_for_selector("#sources table tbody tr")
            page.select_option("#source-area", "munitions")
            page.wait_for_selector("#sources tbody tr:has-text('EUR:shell_155')")
            head = page.locator("#sources thead").inner_text()
            assert "range" in head and "confidence" in head and "source and note" in head
            row = page.locator("#sources tbody tr", has_text="EUR:shell_155 · quantity")
            assert row.count() == 1
            text = row.inner_text()
            assert "1,000,000" in text and "300,000–2,000,000" in text and "assumption" in text
            rows = page.locator("#sources tbody").inner_text()
            # a medium figure shows its table's default range; a range risk never draws says so
            assert "default ±" in rows and ", not drawn" in rows
            every = page.locator("#sources tbody tr").count()
            page.select_option("#source-filter", "weak")
            page.wait_for_function(
                f"document.querySelectorAll('#sources tbody tr').length < {every}"
            )
            confidences = page.locator("#sources tbody tr td:nth-child(6)").all_inner_texts()
            assert confidences and set(confidences) <= {"low", "assumption"}
            assert f"of {every} figures" in page.locator("#sources p.meta").inner_text()
            page.select_option("#source-filter", "all")
            page.wait_for_function(
                f"document.querySelectorAll('#sources tbody tr').length == {every}"
            )
            assert row.locator("a[href^='https://']").count() >= 1
            assert row.locator("details.note").count() == 1
            assert page.locator("a[href^='javascript:']").count() == 0
            page.wait_for_selector("#weakest table tbody tr")
            assert "Check these first" in page.locator("#weakest h3").inner_text()
            first = page.locator("#weakest tbody tr").first.inner_text()
            assert " pts" in first and "→" in first
            wide = page.evaluate(
                "document.documentElement.scrollWidth > document.documentElement.clientWidth"
            )
            assert not wide, "the page scrolls sideways at 1,024 px"
        finally:
            browser.close()


def test_compare_names_each_runs_time_and_levers(client):
    """The compare payload says when each side was made and the scenario it ran on, so the page
    can label A and B with their levers."""
    a = client.post("/api/assess", json={"store": True}).json()["run_id"]
    body = {"store": True, "levers": {"deadline": 2030, "procurement": "pooled"}}
    b = client.post("/api/simulate", json=body).json()["run_id"]
    cmp = client.get("/api/compare", params={"a": a, "b": b}).json()
    assert cmp["a"]["run_id"] == a and cmp["b"]["run_id"] == b
    assert cmp["a"]["created_at"] <= cmp["b"]["created_at"]
    assert cmp["a"]["applied"]["deadline"] == 2027 and cmp["b"]["applied"]["deadline"] == 2030
    assert cmp["b"]["applied"]["procurement"] == "pooled"
    assert cmp["money"]["spending_usd_bn"]["b"] > 0 and cmp["money"]["unit"]


def _open(pw, server: str, width: int = 1280, height: int = 900, path: str = "/"):
    """A browser on the page at `path`, its first results drawn and its runs listed."""
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server + path)
    page.wait_for_selector("#area-table table")
    page.wait_for_function("document.querySelector('#status').textContent === ''")
    return browser, page


def _set(page, selector: str, value: str) -> None:
    page.fill(selector, value)
    page.dispatch_event(selector, "change")


def _save(page) -> tuple[str, str]:
    """Click "Save this run" and return the assess and simulate run ids it reports."""
    import re

    page.click("#save")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('saved')")
    found = re.search(r"assess run (\S+) and simulate run (\S+)", page.inner_text("#status"))
    assert found, page.inner_text("#status")
    page.wait_for_selector(f"#cmp-a option[value='{found[2]}']", state="attached")
    return found[1], found[2]


def _no_sideways_scroll(page) -> None:
    for width, height in ((1024, 768), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        # charts re-lay out after a debounced resize: give a loaded machine up to 5 s
        fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        with contextlib.suppress(Exception):
            page.wait_for_function(fits, timeout=5000)
        sizes = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert sizes[0] <= sizes[1], f"the page scrolls sideways at {width} × {height}: {sizes}"


@pytest.mark.browser
def test_an_invalid_lever_greys_the_results_and_marks_the_input(server):
    """Target 1.5: the input is marked with the message beside it, the upload box stays clear,
    and the results on screen are greyed under a banner until the lever is fixed."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page = _open(pw, server)
        try:
            verdict = page.inner_text("#verdict")
            assert page.locator("#results.stale").count() == 0
            assert page.locator("#stale-banner").is_hidden()
            _set(page, "#target", "1.5")
            page.wait_for_selector("#results.stale")
            banner = page.locator("#stale-banner")
            assert banner.is_visible()
            assert "results are for the last valid levers" in banner.inner_text()
            assert page.get_attribute("#target", "aria-invalid") == "true"
            assert "invalid" in (page.get_attribute("#target", "class") or "")
            beside = page.locator("#target + .lever-error")
            assert beside.is_visible() and "1" in beside.inner_text()
            assert page.get_attribute("#target", "aria-describedby") == "target-error"
            # the message is by the lever, not under the upload box; the stale results stay
            assert page.locator("#upload-error").is_hidden()
            assert page.inner_text("#verdict") == verdict
            opacity = page.evaluate("getComputedStyle(document.getElementById('verdict')).opacity")
            assert float(opacity) < 1
            # one mark at a time: a second bad lever moves it
            _set(page, "#target", "0.5")
            page.wait_for_selector("#results:not(.stale)")
            _set(page, "#deadline", "2200")
            page.wait_for_selector("#deadline[aria-invalid='true']")
            assert page.locator("#levers .lever-error").count() == 1
            assert page.get_attribute("#target", "aria-invalid") is None
            _set(page, "#deadline", "2027")
            page.wait_for_selector("#results:not(.stale)")
            # a per-ally budget past its range is refused for the levers as a whole: the ally's
            # input is the one marked
            page.click("#by-ally summary")
            _set(page, "#budget-DEU", "50")
            page.wait_for_selector("#budget-DEU[aria-invalid='true']")
            assert page.locator("#budget-DEU + .lever-error").is_visible()
            assert page.locator("#results.stale").count() == 1
            _set(page, "#budget-DEU", "")
            _set(page, "#target", "0.6")
            page.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('cover 60%')"
            )
            assert page.locator("#results.stale").count() == 0
            assert page.locator("#stale-banner").is_hidden()
            assert page.locator("#levers .lever-error").count() == 0
            assert page.locator("#levers [aria-invalid]").count() == 0
        finally:
            browser.close()


@pytest.mark.browser
def test_a_shared_url_reproduces_the_levers(server):
    """A link with a scenario and levers sets the inputs and the results follow; the address
    follows the levers; unknown or invalid values are ignored with a note, never run."""
    _need_browser()
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    hostile = quote('<img src=x onerror="window.__injected=1">')
    link = (
        "/?scenario=phased-2030&deadline=2031&target_share=0.6&procurement=pooled"
        f"&us_licences=refused&ally.DEU=4&flux=1&drawdown={hostile}&force_ratio=1.5e3"
        "&campaign_days=9999"
    )
    with sync_playwright() as pw:
        browser, page = _open(pw, server, path=link)
        try:
            assert page.input_value("#scenario") == "phased-2030"
            assert page.input_value("#deadline") == "2031"
            assert page.input_value("#target") == "0.6"
            assert page.input_value("#procurement") == "pooled"
            assert page.input_value("#licences") == "refused"
            assert page.input_value("#budget-DEU") == "4"
            # ignored: not a lever, not one of its choices, not a number, out of range; the
            # scenario's own values stay
            note = page.locator("#url-note")
            assert note.is_visible()
            text = note.inner_text()
            for key in ("flux=1", "drawdown=", "force_ratio=1.5e3", "campaign_days=9999"):
                assert key in text, (key, text)
            assert page.input_value("#drawdown") == "phased"
            assert page.input_value("#force_ratio") == "1"
            assert page.input_value("#campaign_days") == ""
            assert page.evaluate("window.__injected") is None
            assert note.locator("img").count() == 0
            # the results follow the link's levers
            verdict = page.inner_text("#verdict")
            assert "cover 60%" in verdict and "by 2031" in verdict
            assert "pooled procurement" in page.inner_text("#cost")
            assert page.locator("#results.stale").count() == 0
            # the address holds the levers applied, and follows them as they move
            assert "deadline=2031" in page.url and "scenario=phased-2030" in page.url
            assert "flux" not in page.url
            _set(page, "#deadline", "2032")
            page.wait_for_function("location.search.includes('deadline=2032')")
            page.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('by 2032')"
            )
            shared, verdict, cost = page.url, page.inner_text("#verdict"), page.inner_text("#cost")
            other = browser.new_page(viewport={"width": 1280, "height": 900})
            other.goto(shared)
            other.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('by 2032')"
            )
            other.wait_for_function("document.querySelector('#status').textContent === ''")
            assert other.inner_text("#verdict") == verdict
            assert other.inner_text("#cost") == cost
            assert other.input_value("#licences") == "refused"
            assert other.input_value("#budget-DEU") == "4"
            assert other.locator("#url-note").is_hidden()
        finally:
            browser.close()


@pytest.mark.browser
def test_compare_shows_both_runs_their_deadlines_and_cost(server):
    """A and B by engine, scenario, run id and deadline; shares at each run's deadline, gap and
    cost in USD bn; a sentence when the engines or the deadlines differ."""
    import re

    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page = _open(pw, server)
        try:
            a, b = _save(page)
            page.select_option("#cmp-a", a)
            page.select_option("#cmp-b", b)
            option = page.locator(f"#cmp-a option[value='{a}']").inner_text()
            assert option.startswith("assess · baseline-2027-blunt") and "deadline 2027" in option
            assert option.endswith(a) and re.search(r" · \d{4}-\d\d-\d\d \d\d:\d\d · ", option)
            page.click("#compare")
            page.wait_for_selector("#compare-view table")
            view = page.locator("#compare-view")
            labels = view.locator("dl.ab").inner_text()
            assert "A" in labels and "B" in labels
            assert a in labels and b in labels and "baseline-2027-blunt" in labels
            assert "assess" in labels and "simulate" in labels and "deadline 2027" in labels
            assert "at the deadline, 2027" in view.locator("h3").first.inner_text()
            text = view.inner_text()
            assert (
                "A is an assess ceiling, B a simulate path: the difference mixes engine and levers."
                in text
            )
            assert "share A (2027)" in text and "gap B" in text and "USD bn" in text
            assert "spending" in text and "USD m" not in text
            assert view.locator("tbody tr").first.is_visible()
            # a second pair at a later deadline: titled at each run's deadline
            _set(page, "#deadline", "2030")
            page.select_option("#procurement", "pooled")
            page.wait_for_function(
                "document.querySelector('#cost').textContent.includes('pooled procurement')"
                " && document.querySelector('#verdict').textContent.includes('by 2030')"
            )
            _, b2 = _save(page)
            page.select_option("#cmp-a", a)
            page.select_option("#cmp-b", b2)
            option = page.locator(f"#cmp-b option[value='{b2}']").inner_text()
            assert "deadline 2030" in option and "pooled procurement" in option
            page.click("#compare")
            page.wait_for_function(
                "b => document.querySelector('#compare-view').textContent.includes(b)", arg=b2
            )
            title = view.locator("h3").first.inner_text()
            assert "at each run's deadline" in title and "2027" in title and "2030" in title
            text = view.inner_text()
            assert "share A (2027)" in text and "share B (2030)" in text
            assert "deadlines differ" in text and "mixes engine and levers" in text
            # the runs table gives the levers' values, not only their names
            row = page.locator("#runs tbody tr", has_text=b2).inner_text()
            assert "deadline 2030" in row and "pooled procurement" in row
        finally:
            browser.close()


@pytest.mark.browser
def test_save_keeps_the_runs_on_screen_once(server):
    """Saving stores the assessment and simulation on screen once; a second click, or a click
    after a risk run (kept when it ran), says it is already saved and stores nothing."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    count = "async () => (await (await fetch('/api/runs')).json()).length"
    with sync_playwright() as pw:
        browser, page = _open(pw, server)
        try:
            _set(page, "#target", "0.55")
            page.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('cover 55%')"
            )
            before = page.evaluate(count)
            a, s = _save(page)
            assert page.evaluate(count) == before + 2
            page.click("#save")
            page.wait_for_function(
                "document.querySelector('#status').textContent.startsWith('already saved')"
            )
            assert a in page.inner_text("#status") and s in page.inner_text("#status")
            assert page.evaluate(count) == before + 2
            # back to the same levers after a move: still saved
            _set(page, "#target", "0.5")
            page.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('cover 50%')"
            )
            _set(page, "#target", "0.55")
            page.wait_for_function(
                "document.querySelector('#verdict').textContent.includes('cover 55%')"
            )
            page.click("#save")
            page.wait_for_function(
                "document.querySelector('#status').textContent.startsWith('already saved')"
            )
            page.fill("#draws", "200")
            page.click("#run-risk")
            page.wait_for_selector("#risk-chart svg.main-svg")
            page.wait_for_function("document.querySelector('#status').textContent === ''")
            assert page.evaluate(count) == before + 3
            page.click("#save")
            page.wait_for_function(
                "document.querySelector('#status').textContent.startsWith('already saved')"
            )
            assert "risk run" in page.inner_text("#status")
            page.wait_for_timeout(300)
            assert page.evaluate(count) == before + 3
        finally:
            browser.close()


@pytest.mark.browser
def test_the_page_at_1024_and_1440_pixels_has_no_horizontal_scroll(server):
    """With a risk run, the saved runs and a comparison on screen, at 1,024 × 768 and at
    1,440 × 900; the marked lever and its banner fit too."""
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page = _open(pw, server, 1024, 768, "/?procurement=pooled&deadline=2030")
        try:
            _no_sideways_scroll(page)
            page.fill("#draws", "200")
            page.click("#run-risk")
            page.wait_for_selector("#risk-chart svg.main-svg")
            page.wait_for_function("document.querySelector('#status').textContent === ''")
            page.wait_for_selector("#cmp-a option", state="attached")
            page.click("#compare")
            page.wait_for_selector("#compare-view table")
            page.locator("#sources-panel summary").click()
            page.wait_for_selector("#sources table tbody tr")
            _no_sideways_scroll(page)
            _set(page, "#target", "1.5")
            page.wait_for_selector("#results.stale")
            _no_sideways_scroll(page)
        finally:
            browser.close()
