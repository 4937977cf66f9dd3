"""One story across engines (issue 12, items 4 and 5): every output names its engine in the
words of `runinfo.ENGINES`, money is said in one vocabulary (`output.COSTS`), `plan --mode
both` and `compare` agree, and the pooled + refused-licences run's mechanism on the tiny world."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from burdenshift.domain.load import load_world
from burdenshift.engine.assess import assess
from burdenshift.engine.plan import plan
from burdenshift.engine.runinfo import ENGINES, engine_label, engine_tag, run_info
from burdenshift.engine.simulate import simulate
from burdenshift.output import COSTS, assessment_json, plan_money, simulation_json
from burdenshift.report.measures import compare
from burdenshift.report.page import headline, render_compare, render_runs
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.schema import Scenario
from tests.conftest import TINY


@pytest.fixture(scope="module")
def tiny_runs(tiny_world):
    sc = Scenario(horizon=(2026, 2028), deadline=2027)
    w = applied_world(tiny_world, sc)
    a = assessment_json(assess(w, sc), run_info("assess", w, sc))
    s = simulation_json(simulate(w, sc), run_info("simulate", w, sc))
    return a, s


def _run(engine: str, payload: dict, run_id: str) -> dict:
    return {
        "run_id": run_id,
        "engine": engine,
        "scenario": payload["run"]["scenario"],
        "version": "test",
        "data_hash": payload["run"]["data_hash"],
        "seed": None,
        "created_at": "2026-01-01T00:00:00",
        "applied": payload["run"]["applied"],
        "result": payload,
    }


def test_every_engine_has_one_label_and_every_run_carries_it(tiny_world):
    assert {"assess", "simulate", "plan", "risk", "sensitivity", "threat"} <= set(ENGINES)
    assert engine_label("assess").startswith("assess (a ceiling): the most each area could get")
    assert "buying rule" in engine_label("simulate") and "optimiser" in engine_label("plan")
    assert "under uncertainty" in engine_label("risk")
    sc = Scenario(horizon=(2026, 2028), deadline=2027)
    for engine in ENGINES:
        info = run_info(engine, tiny_world, sc).as_dict()
        assert info["engine_label"] == engine_label(engine)
        assert info["engine_counts"].startswith(engine_tag(engine))


def test_tables_print_the_label_and_the_verdict_names_its_engine(tiny_runs):
    from burdenshift import tables

    a, s = tiny_runs
    with tables.console.capture() as cap:
        tables.print_assessment(a)
        tables.print_simulation(s)
    out = " ".join(cap.get().split())
    assert f"Engine: {engine_label('assess')}" in out
    assert f"Engine: {engine_label('simulate')}" in out
    assert "assess (a ceiling): Europe can cover 50% of the requirement" in out
    assert re.search(r"simulate \(a buying rule\): spending [\d.,]+ USD bn", out)
    assert headline("assess", a).startswith("assess (a ceiling): Europe can cover")


def test_report_sections_tables_and_charts_name_their_engine(tiny_runs):
    import html

    a, s = tiny_runs
    page, md, figs = render_runs([_run("assess", a, "A"), _run("simulate", s, "S")], None)
    for engine in ("assess", "simulate"):
        label = html.escape(engine_label(engine))
        assert f"<p class='engine'>Engine: {label}</p>" in page
        assert f"<caption>Engine: {label}</caption>" in page
        assert f"*Engine: {engine_label(engine)}*" in md
    assert "<p class='verdict'>assess (a ceiling): Europe can cover" in page
    titles = [fig.layout.title.text for _, fig in figs]
    assert titles and all(
        t.startswith(("assess (a ceiling): ", "simulate (a buying rule): ")) for t in titles
    )


@pytest.fixture(scope="module")
def tiny_plans(tiny_world):
    sc = Scenario(horizon=(2026, 2028), deadline=2027)
    w = applied_world(tiny_world, sc)
    info = run_info("plan", w, sc).as_dict()
    results = {m: plan(w, sc, m).as_dict() for m in ("national", "pooled")}
    return w, sc, results, info


def test_plan_money_splits_spending_by_the_lines_countries(tiny_plans):
    w, sc, results, _ = tiny_plans
    p = results["national"]
    money = plan_money(p, w, sc)
    assert set(money["terms"]) == {f"{t}_usd_bn" for t in COSTS}
    assert money["unit"] == "USD bn (constant 2025)"
    # tankers cost 100 USD m from either line (no pooled learning in national mode)
    us = sum(r["items"] for r in p["plan"]["deliveries"] if r["line"] == "USA-TANKER")
    eu = sum(r["items"] for r in p["plan"]["deliveries"] if r["line"] == "FRA-TANKER")
    capital = sum(10 * r["items_per_year"] for r in p["plan"]["expansions"])
    assert us > 0 and eu > 0
    assert money["money_to_us_industry_usd_bn"] == pytest.approx(us * 100 / 1000)
    assert money["money_to_european_industry_usd_bn"] == pytest.approx((eu * 100 + capital) / 1000)
    assert money["capital_for_new_capacity_usd_bn"] == pytest.approx(capital / 1000)
    parts = money["money_to_european_industry_usd_bn"] + money["money_to_us_industry_usd_bn"]
    assert parts + money["one_off_variant_costs_usd_bn"] == pytest.approx(
        money["spending_usd_bn"], abs=1e-5
    )
    assert money["discounted_cost_usd_bn"] == pytest.approx(p["objective"]["cost_musd"] / 1000)


def test_plan_both_and_compare_report_the_same_saving(tiny_plans):
    """`plan --mode both` reports the saving in discounted cost (the plan's objective);
    compare reports spending and, for plans, the discounted cost: the latter is the same
    figure, and each says which it is."""
    from burdenshift.cli import _difference
    from burdenshift.output import with_plan_money
    from burdenshift.tables import console, print_compare, print_plan_difference

    w, sc, results, info = tiny_plans
    results = {m: with_plan_money(r, w, sc) for m, r in results.items()}
    diff = _difference(results)
    nat, poo = ({**results[m], "run": info} for m in ("national", "pooled"))
    cmp = compare(_run("plan", nat, "N"), _run("plan", poo, "P"))
    money = cmp["money"]
    saved = poo["objective"]["cost_musd"] - nat["objective"]["cost_musd"]
    assert money["discounted_cost_usd_bn"]["diff"] * 1000 == pytest.approx(saved, abs=1e-3)
    assert diff["money"]["discounted_cost_usd_bn"] * 1000 == pytest.approx(saved, abs=1e-3)
    spending = poo["cost_musd"]["total"] - nat["cost_musd"]["total"]
    assert money["spending_usd_bn"]["diff"] * 1000 == pytest.approx(spending)
    assert diff["money"]["spending_usd_bn"] * 1000 == pytest.approx(spending, abs=1e-3)
    assert cmp["cost_musd"]["measure"] == "spending"
    assert cmp["cost_musd"]["diff"] == pytest.approx(spending)
    with console.capture() as cap:
        print_plan_difference(diff)
        print_compare(cmp)
    out = " ".join(cap.get().split())
    saving = f"{diff['money']['discounted_cost_usd_bn']:+,.1f} USD bn"
    assert f"discounted cost {saving}" in out
    assert f"Discounted cost: A {nat['objective']['cost_musd'] / 1000:,.1f} USD bn" in out
    assert f"B − A {saving}" in out
    assert "Spending: A" in out
    _, page = render_compare(_run("plan", nat, "N"), _run("plan", poo, "P"))
    assert "USD m" not in page and "Discounted cost: A" in page and "Spending: A" in page


def test_pooled_buying_keeps_the_routes_open_to_any_member(tmp_path: Path):
    """Tiny world: FRA-TANKER gets 5 % US content. With licences refused, France still buys
    its own line in national mode; pooled Europe, which includes France, must be able to
    buy at least as much from it."""
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    with (data / "lines.csv").open("a") as f:
        f.write("FRA-TANKER,us_content_share,0.05,share,2026,hand-worked test world (2026),high,\n")
    world = load_world(data)
    out = {}
    for mode in ("national", "pooled"):
        sc = Scenario(
            horizon=(2026, 2028),
            deadline=2027,
            procurement=mode,
            export={"us_licences": "refused"},
        )
        sim = simulate(applied_world(world, sc), sc)
        out[mode] = sim.line_output[0, list(sim.lines).index("FRA-TANKER")].sum()
    assert out["national"] > 0  # France buys its own line: no licence needed
    assert out["pooled"] >= out["national"] - 1e-9
