"""Queries analysts ask (engine/queries.py), worked by hand on the tiny world, from Python, the
CLI and the JSON API; and the bad input each refuses.

The tiny world (tests/fixtures/tiny, docs/method.md's worked example): France holds 4 tankers,
Germany 2, the US contributes 10; a tanker costs 100 USD m, offloads 100 t and lasts 10 years.
The requirement is today's holdings (1,600 t: the data has no requirement set). A French line
makes 1 tanker a year (ramp 1.5 a year, lead time 1 year, capital 10 USD m per tanker a year;
one seeker per tanker, 2 seekers a year); the US sells Europe 1 a year. Each European ally has
GDP 1,000 bn: 1 % of GDP buys 1,000,000 × 1 % × 0.25 equipment × 0.5 available = 1,250 USD m.
"""

from __future__ import annotations

import json
import math

import pytest
from fastapi.testclient import TestClient

from burdenshift import api
from burdenshift.engine import queries
from burdenshift.errors import InputError
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.schema import Scenario
from burdenshift.web.app import create_app
from tests.conftest import TINY, run_cli

SHORT = {"horizon": (2026, 2028), "deadline": 2027}
SHORT_YAML = "horizon: [2026, 2028]\ndeadline: 2027\n"


def scenario(**extra) -> Scenario:
    return Scenario(**SHORT, **extra)


@pytest.fixture(scope="module")
def tiny(tiny_world):
    return applied_world(tiny_world, scenario())


# -- time to stock -------------------------------------------------------------------------------
def test_time_to_stock_europe_worked_by_hand(tiny):
    """Europe's 6 tankers, 1 a year from the French line, 1/10 retiring: s_t = 10 − 4 · 0.9^t,
    which reaches 8 when 0.9^t ≤ 0.5, t ≥ ln 0.5 / ln 0.9 = 6.58: in 2033, after 7 years."""
    r = queries.time_to_stock(tiny, scenario(), "tanker", 8)
    assert r.reached and r.year == 2033 and r.years == 7
    assert r.pace == 1 and r.limit == pytest.approx(10)
    assert [p["year"] for p in r.path] == list(range(2026, 2034))
    for t, p in enumerate(r.path):
        assert p["stock"] == pytest.approx(10 - 4 * 0.9**t, abs=1e-6)
    assert r.path[-1]["stock"] == pytest.approx(8.086812, abs=1e-6)
    assert r.path[-2]["stock"] < 8


def test_time_to_stock_an_ally_and_never(tiny):
    """France holds 4 of Europe's 6: its default pace is 2/3 of the line's 1 a year, and its
    stock converges to 2/3 × 10 = 6.67. 6 is reached when 6.67 − 2.67 · 0.9^t ≥ 6,
    0.9^t ≤ 1/4, t ≥ 13.16: in 2040. 7 is above the limit: never."""
    r = queries.time_to_stock(tiny, scenario(), "tanker", 6, ally="FRA")
    assert r.share == pytest.approx(2 / 3) and r.pace == pytest.approx(2 / 3)
    assert r.year == 2040 and r.years == 14
    never = queries.time_to_stock(tiny, scenario(), "tanker", 7, ally="FRA")
    assert not never.reached and never.year is None and never.years is None
    assert never.limit == pytest.approx(20 / 3)
    assert never.answer.startswith("never") and "converges" in never.answer
    assert never.path[-1]["stock"] < 7
    already = queries.time_to_stock(tiny, scenario(), "tanker", 5)
    assert already.year == 2026 and already.years == 0 and len(already.path) == 1


def test_time_to_stock_with_transfers_to_ukraine(tiny):
    """0.5 tankers a year to Ukraine: at the line's 1 a year the stock converges to
    (1 − 0.5) × 10 = 5, so 7 is never reached; at 2 a year, 6 · 0.9 + 2 − 0.5 = 6.9 in 2027 and
    6.9 · 0.9 + 1.5 = 7.71 in 2028. France bears its 2/3 of the draw: 4 · 0.9 + 1 − 1/3."""
    sc = scenario(ukraine_support={"by_system": {"tanker": 0.5}})
    w = applied_world(tiny, sc)
    never = queries.time_to_stock(w, sc, "tanker", 7)
    assert not never.reached and never.limit == pytest.approx(5)
    assert never.draw_per_year == {"2027": 0.5}
    fast = queries.time_to_stock(w, sc, "tanker", 7, pace=2)
    assert fast.year == 2028 and [p["stock"] for p in fast.path] == pytest.approx([6, 6.9, 7.71])
    fra = queries.time_to_stock(w, sc, "tanker", 6, ally="FRA", pace=1)
    assert fra.path[1]["stock"] == pytest.approx(4 * 0.9 + 1 - 1 / 3)
    assert fra.limit == pytest.approx((1 - 1 / 3) * 10)
    # transfers that stop: after 2027 nothing is drawn, and 7 is reached again
    ends = scenario(ukraine_support={"by_system": {"tanker": 0.5}, "until": 2027})
    back = queries.time_to_stock(applied_world(tiny, ends), ends, "tanker", 7)
    assert back.reached and back.draw_per_year == {"2027": 0.5, "2028": 0.0}
    assert back.path[1]["stock"] == pytest.approx(5.9) and back.limit == pytest.approx(10)


# -- cost of a list ------------------------------------------------------------------------------
def test_cost_of_list_worked_by_hand(tiny):
    """3 tankers at 100 from the French line (European industry) and 2 headquarters at 50 that
    no line makes: 400 USD m. Pooled, the two operators' single run lowers the tanker's price by
    2^log2(0.9) = 0.9: 270 + 100 = 370."""
    r = queries.cost_of_list(tiny, scenario(), {"tanker": 3, "hq": 2})
    assert r.mode == "national" and r.total_musd == pytest.approx(400)
    tanker, hq = r.lines
    assert (tanker.industry, tanker.line, tanker.country) == ("Europe", "FRA-TANKER", "FRA")
    assert tanker.cost_musd == pytest.approx(300) and tanker.price_factor == 1
    assert (tanker.output_per_year, tanker.us_content_share) == (1, 0)
    assert (hq.industry, hq.line, hq.cost_musd) == ("no line", None, pytest.approx(100))
    assert r.by_industry == {"Europe": pytest.approx(300), "no line": pytest.approx(100)}
    pooled = queries.cost_of_list(tiny, scenario(), {"tanker": 3, "hq": 2}, mode="pooled")
    assert pooled.lines[0].price_factor == pytest.approx(0.9)
    assert pooled.total_musd == pytest.approx(370)
    assert queries.cost_of_list(tiny, scenario(procurement="pooled"), {"tanker": 1}).mode == (
        "pooled"
    )


def test_cost_of_list_us_industry_when_no_european_line(tiny_copy):
    """Without the French line the tanker comes from the US line: money to US industry."""
    (tiny_copy / "lines.yaml").write_text(
        "lines:\n  USA-TANKER: {producer: Tankers Inc, country: USA, system: tanker}\n"
    )
    rows = (tiny_copy / "lines.csv").read_text().splitlines()
    (tiny_copy / "lines.csv").write_text(
        "\n".join(r for r in rows if not r.startswith("FRA-TANKER")) + "\n"
    )
    world = api.load_world(tiny_copy)
    r = api.cost_of_list(world, {"tanker": 2}, scenario())
    assert (r.lines[0].industry, r.lines[0].line, r.total_musd) == ("US", "USA-TANKER", 200)
    assert (r.lines[0].output_per_year, r.lines[0].us_content_share) == (1, 1)  # 10 % of 10


# -- spending needed -----------------------------------------------------------------------------
def test_spending_needed_simulate_worked_by_hand(tiny):
    """50 % of 1,600 t in 2027 asks 8 tankers: 5.4 left of today's 6, so 2.6 delivered (1 from
    the US, 1.6 from France after 0.6 of new capacity). simulate spends 60 % of its money M on
    the French line (reach 1.5 against the US line's 1): 0.006 M ordered, new capacity
    (0.006 M − 1) / 1.1 (10 USD m per tanker a year paid from the unmet orders, 100 for the
    tanker delivered at once). 0.6 of it needs M = 276.7 USD m, 0.1107 % of GDP for both allies:
    the first step that holds is 0.15 %. At 0.10 % (M = 250) France adds 0.4545: coverage
    (5.4 + 2.4545) × 100 / 1,600 = 49.09 %."""
    r = queries.spending_needed(tiny, scenario(), "air_refuelling", engines=["simulate"])
    (a,) = r.answers
    assert a.engine == "simulate" and a.reachable
    assert a.pct_gdp == pytest.approx(0.15) and a.holds_below == pytest.approx(0.10)
    assert a.precision_pp == pytest.approx(0.05)
    assert a.coverage_at_answer == pytest.approx(0.525)  # the seekers cap France at 2
    at_010 = next(t for t in a.tried if t["pct_gdp"] == pytest.approx(0.10))
    assert at_010["coverage"] == pytest.approx((5.4 + 2 + 0.5 / 1.1) / 16, abs=1e-6)
    assert a.evaluations <= 9 and "simulate" in a.assumes
    assert r.pct_gdp_today == pytest.approx(2.0)
    assert r.pct_gdp_scenario == pytest.approx(2 + 1.5 / 9)  # the pledge path's 2027


FRA_ONLY = {
    "budget": {"pct_gdp": {2027: 0.0}},
    "target_share_by_area": {"air_refuelling": 0.521875},
}


def test_spending_needed_both_engines_side_by_side(tiny):
    """France alone pays (Germany spends nothing), for 52.1875 % = 8.35 tankers: 2.95
    delivered, 0.95 of new French capacity. simulate needs (1 + 1.1 · 0.95) / 0.006 = 340.8
    USD m, 0.2727 % of France's GDP: 0.30. The plan starts there; with two solves it is left
    between 0.10 % and 0.30 %: at 0.10 % (125 USD m) the cheapest capability is 1.25 tankers,
    (5.4 + 1.25) / 16 = 41.56 %."""
    sc = scenario(**FRA_ONLY)
    w = applied_world(tiny, sc)
    r = queries.spending_needed(w, sc, "air_refuelling", ally="FRA", max_plan_solves=2)
    sim, plan = r.answers
    assert (sim.engine, plan.engine) == ("simulate", "plan")
    assert sim.pct_gdp == pytest.approx(0.30) and sim.holds_below == pytest.approx(0.25)
    assert [t["pct_gdp"] for t in plan.tried] == pytest.approx([0.30, 0.10])
    assert [t["holds"] for t in plan.tried] == [True, False]
    assert plan.tried[1]["coverage"] == pytest.approx(6.65 / 16, abs=1e-6)
    assert plan.pct_gdp == pytest.approx(0.30) and plan.holds_below == pytest.approx(0.10)
    assert plan.precision_pp == pytest.approx(0.20) and "the solves ran out" in plan.answer
    assert all(t["status"] in ("optimal", "time_limit") for t in plan.tried)
    assert r.who == "FRA" and r.pct_gdp_scenario == pytest.approx(0.0)
    assert "plan" in plan.assumes and "shortfall" in plan.assumes


@pytest.mark.slow
def test_spending_needed_plan_beats_the_rule_by_a_step(tiny):
    """The same search to the end: the plan buys exactly 8.35 tankers, 295 USD m for tankers +
    9.5 for capacity = 304.5 USD m, 0.2436 % of France's GDP: 0.25 — a step below simulate's
    0.30. At 0.20 % (250 USD m) it does not hold."""
    sc = scenario(**FRA_ONLY)
    r = queries.spending_needed(applied_world(tiny, sc), sc, "air_refuelling", ally="FRA")
    sim, plan = r.answers
    assert sim.pct_gdp == pytest.approx(0.30)
    assert plan.pct_gdp == pytest.approx(0.25) and plan.holds_below == pytest.approx(0.20)
    assert plan.coverage_at_answer >= 0.521875 - 1e-6
    assert plan.evaluations == 4 <= queries.MAX_PLAN_SOLVES


def test_spending_needed_not_reachable_and_already_held(tiny):
    """60 % asks 9.6 tankers, 4.2 delivered in 2027, but seekers and the US line give 3 at most:
    not reachable at 10 % (coverage (5.4 + 3) / 16 = 52.5 %). C2 has no line at all. With
    Germany on its pledge path (2.17 % in 2027, 2,708 USD m) France need spend nothing."""
    sc = scenario(target_share_by_area={"air_refuelling": 0.6})
    r = queries.spending_needed(applied_world(tiny, sc), sc, "air_refuelling", engines=["simulate"])
    (a,) = r.answers
    assert not a.reachable and a.pct_gdp is None and a.evaluations == 1
    assert a.coverage_at_answer == pytest.approx(0.525)
    assert "not reachable at 10 % of GDP" in a.answer
    held = queries.spending_needed(tiny, scenario(), "air_refuelling", "FRA", ["simulate"])
    assert held.answers[0].pct_gdp == 0 and held.answers[0].precision_pp == 0
    assert "even at 0 %" in held.answers[0].answer


@pytest.mark.slow
def test_spending_needed_plan_europe_and_unreachable(tiny):
    """The plan for all of Europe: 266 USD m (2.6 tankers and 0.6 of capacity), 0.1064 %: 0.15,
    as simulate; at 60 % the plan cannot hold either."""
    r = queries.spending_needed(tiny, scenario(), "air_refuelling", engines=["plan"])
    assert r.answers[0].pct_gdp == pytest.approx(0.15)
    assert r.answers[0].holds_below == pytest.approx(0.10)
    sc = scenario(target_share_by_area={"air_refuelling": 0.6})
    far = queries.spending_needed(applied_world(tiny, sc), sc, "air_refuelling")
    assert [a.reachable for a in far.answers] == [False, False]
    assert far.answers[1].evaluations == 1


def test_search_stops_when_the_solves_run_out():
    """Bisection on the 0.05 grid; a budget of solves leaves the answer bracketed."""
    seen: list[float] = []

    def holds(x: float) -> tuple[bool, float, str | None]:
        seen.append(x)
        return x >= 3.32, 0.0, None

    probe = queries._Probe(holds)
    k, below = queries._search(probe, budget=100)
    assert (k, below) == (67, 66) and len(seen) <= 9  # 3.35 holds, 3.30 does not
    short = queries._Probe(holds)
    k, below = queries._search(short, budget=3, hint=80)
    assert len(short.tried) == 3 and k is not None and k >= 67
    answer = queries._answer("plan", short, k, below, 0.5, "Tankers", None)
    assert "the solves ran out" in answer.answer and answer.precision_pp > 0.05


# -- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda w: queries.time_to_stock(w, scenario(), "tank", 8), "system"),
        (lambda w: queries.time_to_stock(w, scenario(), "tanker", 0), "target"),
        (lambda w: queries.time_to_stock(w, scenario(), "tanker", -3), "target"),
        (lambda w: queries.time_to_stock(w, scenario(), "tanker", math.nan), "target"),
        (lambda w: queries.time_to_stock(w, scenario(), "tanker", 8, pace=0), "pace"),
        (lambda w: queries.time_to_stock(w, scenario(), "tanker", 8, ally="ITA"), "ally"),
        (lambda w: queries.time_to_stock(w, scenario(), "tanker", 8, ally="USA"), "ally"),
        (lambda w: queries.cost_of_list(w, scenario(), {"tank": 1}), "items"),
        (lambda w: queries.cost_of_list(w, scenario(), {"tanker": 0}), "items.tanker"),
        (lambda w: queries.cost_of_list(w, scenario(), {"tanker": -1}), "items.tanker"),
        (lambda w: queries.cost_of_list(w, scenario(), {}), "items"),
        (lambda w: queries.cost_of_list(w, scenario(), {"tanker": 1}, "joint"), "mode"),
        (lambda w: queries.spending_needed(w, scenario(), "ISR"), "area"),
        (lambda w: queries.spending_needed(w, scenario(), "c2", "USA"), "ally"),
        (lambda w: queries.spending_needed(w, scenario(), "c2", None, ["assess"]), "engine"),
        (lambda w: queries.spending_needed(w, scenario(), "c2", None, [], None), "engine"),
        (lambda w: queries.spending_needed(w, scenario(), "c2", time_limit=0), "time_limit"),
    ],
)
def test_bad_input_names_the_field(tiny, call, field):
    with pytest.raises(InputError) as exc:
        call(tiny)
    assert exc.value.field == field and exc.value.fix


# -- the Python API, the CLI and the JSON API give the same answers -------------------------------
def test_python_api(tiny_world):
    r = api.time_to_stock(tiny_world, scenario(), system="tanker", target=8)
    assert r.year == 2033
    assert api.cost_of_list(tiny_world, {"tanker": 3}, scenario(), "pooled").total_musd == 270
    s = api.spending_needed(tiny_world, scenario(), area="air_refuelling", engines=["simulate"])
    assert s.answers[0].pct_gdp == pytest.approx(0.15)


def _cli(tmp_path, *args: str):
    path = tmp_path / "short.yaml"
    path.write_text(SHORT_YAML)
    return run_cli("query", *args, "--data", str(TINY), "--scenario", str(path))


def test_cli_json(tmp_path):
    out = json.loads(
        _cli(tmp_path, "time-to-stock", "--system", "tanker", "--target", "8", "--json").stdout
    )
    assert out["year"] == 2033 and out["query"] == "time-to-stock"
    assert out["run"]["engine"] == "query time-to-stock" and out["run"]["data_hash"]
    assert set(out) >= {"holder", "pace", "pace_basis", "limit", "reached", "path", "answer"}
    cost = json.loads(
        _cli(tmp_path, "cost-of-list", "tanker=3", "hq=2", "--mode", "pooled", "--json").stdout
    )
    assert cost["total_musd"] == pytest.approx(370)
    assert [c["industry"] for c in cost["lines"]] == ["Europe", "no line"]
    proc = _cli(tmp_path, "spending-needed", "--area", "air_refuelling", "--engine", "simulate")
    assert proc.returncode == 0 and "must spend 0.15 % of GDP" in proc.stdout, proc.stderr


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("time-to-stock", "--system", "tanker", "--target", "0"), "'--target'"),
        (("cost-of-list", "tanker=-2"), "'ITEMS (tanker=…)'"),
    ],
)
def test_cli_bad_input_exits_2_naming_the_option(tmp_path, args, field):
    proc = _cli(tmp_path, *args)
    assert proc.returncode == 2 and field in proc.stderr and "Fix:" in proc.stderr
    assert proc.stdout == ""


def test_cli_names_each_option():
    """Every field a query can refuse maps to the option or argument that carries it."""
    from burdenshift import cli

    with pytest.raises(InputError) as exc, cli._query_fields({"ally": "--ally"}):
        raise InputError("unknown ally 'X'", field="ally", fix="use FRA")
    assert exc.value.field == "--ally" and exc.value.fix == "use FRA"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    db = tmp_path_factory.mktemp("queries") / "runs.duckdb"
    with TestClient(create_app(db, TINY, allowed_hosts=["testserver"])) as c:
        yield c


def test_web_queries(client):
    r = client.post(
        "/api/query/time-to-stock", json={"yaml": SHORT_YAML, "system": "tanker", "target": 8}
    )
    assert r.status_code == 200 and r.json()["year"] == 2033
    r = client.post(
        "/api/query/cost-of-list",
        json={"yaml": SHORT_YAML, "items": {"tanker": 3, "hq": 2}, "mode": "pooled"},
    )
    assert r.status_code == 200 and r.json()["total_musd"] == pytest.approx(370)
    r = client.post(
        "/api/query/spending-needed",
        json={"yaml": SHORT_YAML, "area": "air_refuelling", "engine": "simulate"},
    )
    assert r.status_code == 200 and r.json()["answers"][0]["pct_gdp"] == pytest.approx(0.15)
    assert r.json()["run"]["engine"] == "query spending-needed"


@pytest.mark.slow
def test_web_spending_needed_with_plan(client):
    r = client.post(
        "/api/query/spending-needed",
        json={"yaml": SHORT_YAML, "area": "air_refuelling", "time_limit": 30},
    )
    assert r.status_code == 200
    assert [a["pct_gdp"] for a in r.json()["answers"]] == pytest.approx([0.15, 0.15])


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("time-to-stock", {"system": "tank", "target": 8}, ["body", "system"]),
        ("time-to-stock", {"system": "tanker", "target": 0}, ["body", "target"]),
        ("time-to-stock", {"system": "tanker", "target": 8, "pace": -1}, ["body", "pace"]),
        ("time-to-stock", {"system": "tanker", "target": 8, "ally": "USA"}, ["body", "ally"]),
        ("time-to-stock", {"target": 8}, ["body", "system"]),
        ("time-to-stock", {"system": "tanker", "target": "8"}, ["body", "target"]),
        ("time-to-stock", {"system": "tanker", "target": 8, "store": True}, ["body", "store"]),
        ("cost-of-list", {"items": {"tank": 1}}, ["body", "items"]),
        ("cost-of-list", {"items": {"tanker": 0}}, ["body", "items", "tanker"]),
        ("cost-of-list", {"items": {}}, ["body", "items"]),
        ("cost-of-list", {"items": {"tanker": 1}, "mode": "joint"}, ["body", "mode"]),
        ("spending-needed", {"area": "ISR"}, ["body", "area"]),
        ("spending-needed", {"area": "c2", "ally": "ITA"}, ["body", "ally"]),
        ("spending-needed", {"area": "c2", "engine": "assess"}, ["body", "engine"]),
        ("spending-needed", {"area": "c2", "time_limit": 0}, ["body", "time_limit"]),
        ("spending-needed", {"area": "c2", "file": "/etc/passwd"}, ["body", "file"]),
    ],
)
def test_web_bad_input_is_422_naming_the_field(client, path, body, loc):
    r = client.post(f"/api/query/{path}", json={"yaml": SHORT_YAML, **body})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"][0]
    assert detail["loc"] == loc and detail["fix"]
