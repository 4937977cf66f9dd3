"""The counting of issue 11 on hand-worked tiny worlds: requirement sets, campaigns and days of
war, the Ukraine draw, availability, US-made dependence, a force ratio to a threat, and the
invariants every engine must keep.

The tiny world: France holds 4 tankers and 1 HQ, Germany 2 tankers, the US contributes 10
tankers and 1 HQ; a tanker gives 100 t of offload, an HQ 1. So Europe has E = 600 t and 1 HQ,
the US U = 1,000 t and 1 HQ.
"""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from burdenshift.domain.load import load_world
from burdenshift.engine import counting
from burdenshift.engine.assess import assess
from burdenshift.engine.simulate import simulate
from burdenshift.engine.threat import race
from burdenshift.errors import InputError
from burdenshift.scenario.apply import applied_world
from burdenshift.scenario.schema import Scenario

from .conftest import with_ranges

HEADER = "key,field,value,unit,year,source,confidence,note,low,high\n"
SETS = """default: hand
sets:
  hand: {name: Hand-worked set, description: for tests, fallback: null}
  partial: {name: Partial set, description: gives offload only, fallback: hand}
"""
QUANTITIES = (
    "hand:air_refuelling:offload_t,quantity,1200,cu,2026,t 2026,high,\n"
    "hand:c2:hq,quantity,4,cu,2026,t 2026,high,\n"
    "partial:air_refuelling:offload_t,quantity,3000,cu,2026,t 2026,high,\n"
    "partial,campaign_days,60,days,2026,t 2026,high,\n"
)


_COPIES = iter(range(10**6))


def world_with(folder: Path, **tables: str):
    """The tiny world plus the named files (`requirements_yaml` → requirements.yaml, …), in a
    fresh copy of the folder each time (worlds are cached by folder)."""
    fresh = folder.parent / f"{folder.name}-{next(_COPIES)}"
    shutil.copytree(folder, fresh)
    folder = fresh
    for name, text in tables.items():
        stem, ext = name.rsplit("_", 1)
        body = text if ext == "yaml" else with_ranges(HEADER + text)
        (folder / f"{stem}.{ext}").write_text(body)
    return load_world(folder)


@pytest.fixture
def sets_world(tiny_copy: Path):
    return world_with(tiny_copy, requirements_yaml=SETS, requirements_csv=QUANTITIES)


def scenario(**kw) -> Scenario:
    return Scenario(horizon=(2026, 2029), deadline=2027, coordination_withdrawal=None, **kw)


def metric(result, name: str) -> dict:
    return next(m for a in result.areas for m in a.metrics if m["metric"] == name)


def test_a_set_is_data_and_coverage_is_e_over_r(sets_world):
    result = assess(sets_world, scenario())
    offload, hq = metric(result, "air_refuelling:offload_t"), metric(result, "c2:hq")
    assert offload["requirement"] == 1200 and hq["requirement"] == 4
    assert offload["europe_share_now"] == pytest.approx(600 / 1200)
    assert hq["europe_share_now"] == pytest.approx(1 / 4)
    # the force share is E / (E + U), whatever the requirement
    assert offload["force_share_now"] == pytest.approx(600 / 1600)
    area = next(a for a in result.areas if a.area == "c2")
    assert area.force_share_now == pytest.approx(0.5)
    assert result.requirement.startswith("hand (Hand-worked set)")


def test_the_requirement_does_not_move_with_the_holdings(sets_world, tiny_copy):
    sc = scenario(
        overrides=[{"table": "holdings.csv", "key": "FRA:tanker", "field": "quantity", "value": 40}]
    )
    more = applied_world(sets_world, sc)
    assert metric(assess(more, sc), "air_refuelling:offload_t")["requirement"] == 1200
    # the comparator does move: it is today's holdings plus the US contribution
    today = scenario(requirement="today", overrides=sc.overrides)
    assert metric(assess(more, today), "air_refuelling:offload_t")["requirement"] == 4200 + 1000


def test_a_set_falls_back_where_it_gives_no_figure(sets_world):
    result = assess(sets_world, scenario(requirement="partial"))
    assert metric(result, "air_refuelling:offload_t")["requirement"] == 3000
    assert metric(result, "c2:hq")["requirement"] == 4
    assert result.campaign_days == 60


def test_the_today_comparator_is_labelled(tiny_world):
    result = assess(tiny_world, scenario())
    assert result.requirement_set == "today"
    assert "comparator" in result.requirement
    assert metric(result, "air_refuelling:offload_t")["requirement"] == 1600


def test_an_unknown_set_names_the_field(sets_world):
    with pytest.raises(InputError) as err:
        applied_world(sets_world, scenario(requirement="nato-2099"))
    assert err.value.field == "requirement" and "hand" in (err.value.fix or "")


def test_a_set_missing_a_metric_is_refused(tiny_copy):
    with pytest.raises(InputError) as err:
        world_with(
            tiny_copy,
            requirements_yaml=SETS,
            requirements_csv="hand:air_refuelling:offload_t,quantity,1200,cu,2026,t 2026,high,\n",
        )
    assert "c2:hq" in err.value.problem and err.value.file.endswith("requirements.csv")


CAMPAIGN = "air_refuelling:offload_t,daily_use,20,cu_per_day,2026,t 2026,high,\n"


@pytest.mark.parametrize("days", [10, 30, 60])
def test_a_campaign_sets_the_munition_requirement_and_days_of_war(tiny_copy, days):
    world = world_with(
        tiny_copy, requirements_yaml=SETS, requirements_csv=QUANTITIES, expenditure_csv=CAMPAIGN
    )
    result = assess(world, scenario(campaign_days=days))
    offload = metric(result, "air_refuelling:offload_t")
    assert offload["requirement"] == 20 * days
    assert offload["europe_share_now"] == pytest.approx(min(600 / (20 * days), 1.0))
    assert offload["days_of_war_now"] == pytest.approx(600 / 20)
    assert result.days_of_war["air_refuelling:offload_t"][2026] == pytest.approx(30)


def test_the_set_gives_the_campaign_days_by_default(tiny_copy):
    world = world_with(
        tiny_copy, requirements_yaml=SETS, requirements_csv=QUANTITIES, expenditure_csv=CAMPAIGN
    )
    assert metric(assess(world, scenario()), "air_refuelling:offload_t")["requirement"] == 600
    partial = assess(world, scenario(requirement="partial"))
    assert metric(partial, "air_refuelling:offload_t")["requirement"] == 20 * 60


def test_more_campaign_days_never_raise_coverage(tiny_copy):
    world = world_with(
        tiny_copy, requirements_yaml=SETS, requirements_csv=QUANTITIES, expenditure_csv=CAMPAIGN
    )
    shares = [assess(world, scenario(campaign_days=d)).share_max_ramp for d in (5, 20, 30, 90)]
    for lower, higher in pairwise(shares):
        assert np.all(higher <= lower + 1e-12)


def test_availability_counts_what_is_ready_on_both_sides(tiny_copy):
    world = world_with(
        tiny_copy,
        readiness_csv="tanker,availability,0.5,share,2026,t 2026,high,\n"
        "USA:tanker,availability,0.8,share,2026,t 2026,high,\n",
    )
    result = assess(world, scenario())
    offload = metric(result, "air_refuelling:offload_t")
    assert offload["europe"] == pytest.approx(300) and offload["us"] == pytest.approx(800)
    # the comparator counts ready forces too: 300 + 800
    assert offload["requirement"] == pytest.approx(1100)
    assert offload["force_share_now"] == pytest.approx(300 / 1100)


def test_the_dependence_floor_under_refused_and_capped_licences(tiny_copy):
    world = world_with(
        tiny_copy,
        readiness_csv="tanker,us_made,1,share,2026,t 2026,high,\n"
        "tanker,dependence_floor,0.4,share,2026,test,assumption,a test figure\n"
        "tanker,dependence_years,2,years,2026,test,assumption,a test figure\n",
    )
    years = np.array([2026, 2027, 2028, 2029])
    tanker = world.systems.index("tanker")

    def factor(licences: str) -> np.ndarray:
        sc = scenario(export={"us_licences": licences, "licence_cap_share": 0.5})
        return counting.europe_readiness(world, sc, years)[0, tanker]

    np.testing.assert_allclose(factor("granted"), [1, 1, 1, 1])
    np.testing.assert_allclose(factor("refused"), [1, 0.7, 0.4, 0.4])
    np.testing.assert_allclose(factor("capped"), [1, 0.85, 0.7, 0.7])
    # a European-made system keeps its availability
    hq = world.systems.index("hq")
    sc = scenario(export={"us_licences": "refused"})
    np.testing.assert_allclose(counting.europe_readiness(world, sc, years)[0, hq], 1.0)


def test_the_ukraine_draw_comes_out_of_the_stock(tiny_copy):
    world = world_with(
        tiny_copy, ukraine_csv="tanker,items_per_year,1,items_per_year,2026,t 2026,high,"
    )
    no_money = {"budget": {"multiplier": 0}}
    base = simulate(world, scenario(ukraine_support={"multiplier": 0}, **no_money))
    sent = simulate(world, scenario(**no_money))
    tanker = world.systems.index("tanker")
    # 6 tankers retiring 1/10 a year, minus one a year for Ukraine
    expected, s = [6.0], 6.0
    for _ in range(3):
        s = s * 0.9 - 1
        expected.append(s)
    np.testing.assert_allclose(sent.stock[0, tanker], expected)
    np.testing.assert_allclose(base.stock[0, tanker], [6, 5.4, 4.86, 4.374])
    until = simulate(world, scenario(ukraine_support={"until": 2027}, **no_money))
    assert until.stock[0, tanker, 3] == pytest.approx((6 * 0.9 - 1) * 0.81)


THREAT = (
    "air_refuelling:offload_t,stock,1000,cu,2026,t 2026,low,range 800-1200\n"
    "air_refuelling:offload_t,output_per_year,150,cu_per_year,2026,t 2026,low,a test figure\n"
    "air_refuelling:offload_t,use_per_year,50,cu_per_year,2026,t 2026,low,a test figure\n"
)


def test_a_force_ratio_to_the_threat(tiny_copy):
    world = world_with(
        tiny_copy, requirements_yaml=SETS, requirements_csv=QUANTITIES, threat_csv=THREAT
    )
    sc = scenario(requirement="ratio-to-russia", force_ratio=1.5)
    req = counting.requirement(world, sc, np.array(sc.years))
    offload = world.metrics.index("air_refuelling:offload_t")
    # Russia: 1,000 growing by 150 - 50 a year; the requirement is 1.5 times that
    np.testing.assert_allclose(req[offload], [1500, 1650, 1800, 1950])
    # where Russia has no estimate, the data's default set applies
    np.testing.assert_allclose(req[world.metrics.index("c2:hq")], 4)
    cov = metric(assess(world, sc), "air_refuelling:offload_t")["europe_share_now"]
    assert cov == pytest.approx(600 / 1500)


def test_the_race_against_the_threat(tiny_copy):
    world = world_with(tiny_copy, threat_csv=THREAT)
    result = race(world, scenario())
    (m,) = result.metrics
    assert m.russia_stock == (1000, 1100, 1200, 1300)
    assert m.europe_stock[0] == 600 and m.stock_ratio[0] == pytest.approx(0.6)
    # France's line makes 1 tanker (100 t) a year, ramping by 1.5 a year to 3 (300 t) from 2027
    assert m.europe_output[0] == pytest.approx(100)
    assert m.europe_output_max_ramp[1:] == pytest.approx((250, 300, 300))
    assert m.overtakes is None and m.overtakes_max_ramp == 2027


def test_invariants_on_random_tiny_worlds(tiny_copy):
    """Coverage = min(E / R, 1) and force share = E / (E + U); both and availability in [0, 1];
    a larger requirement never raises coverage."""
    rng = np.random.default_rng(11)
    for _ in range(6):
        a_e, a_u = rng.uniform(0.1, 1, 2)
        r_off, r_hq = rng.uniform(100, 3000), rng.uniform(0.5, 6)
        folder = tiny_copy.parent / f"w{_}"
        shutil.copytree(tiny_copy, folder)
        world = world_with(
            folder,
            requirements_yaml=SETS,
            requirements_csv=f"hand:air_refuelling:offload_t,quantity,{r_off},cu,2026,t 2026,"
            f"high,\nhand:c2:hq,quantity,{r_hq},cu,2026,t 2026,high,\n",
            readiness_csv=f"tanker,availability,{a_e},share,2026,t 2026,high,\n"
            f"USA:tanker,availability,{a_u},share,2026,t 2026,high,\n",
        )
        shares = []
        for growth in (0.5, 1.0, 2.0):
            result = assess(world, scenario(requirement_growth=growth))
            off = metric(result, "air_refuelling:offload_t")
            e, u = 600 * a_e, 1000 * a_u
            assert off["europe_share_now"] == pytest.approx(min(e / (r_off * growth), 1.0))
            assert off["force_share_now"] == pytest.approx(e / (e + u))
            assert 0 <= off["europe_share_now"] <= 1
            shares.append(result.share_max_ramp)
        ready = counting.europe_readiness(world, scenario(), np.array([2026, 2030]))
        assert np.all((ready >= 0) & (ready <= 1))
        for lower, higher in pairwise(shares):
            assert np.all(higher <= lower + 1e-12)
            assert np.all((higher >= 0) & (higher <= 1))


def test_a_requirement_file_named_by_a_scenario_file(tiny_copy, tmp_path):
    (tmp_path / "mine.csv").write_text(
        HEADER + "air_refuelling:offload_t,quantity,2400,cu,2026,my study,assumption,a guess,"
        "1200,3600\nc2:hq,quantity,3,cu,2026,my study,assumption,a guess,2,4\n"
    )
    (tmp_path / "sc.yaml").write_text(
        "horizon: [2026, 2029]\ndeadline: 2027\nrequirement: mine.csv\n"
    )
    from burdenshift.scenario.loader import load_scenario, parse_scenario

    sc = load_scenario(tmp_path / "sc.yaml")
    world = applied_world(load_world(tiny_copy), sc)
    result = assess(world, sc)
    assert metric(result, "air_refuelling:offload_t")["requirement"] == 2400
    assert result.requirement.startswith("file (mine.csv)")
    # a scenario sent as text never reads the file it names
    text = parse_scenario((tmp_path / "sc.yaml").read_text(), "upload")
    with pytest.raises(InputError) as err:
        applied_world(load_world(tiny_copy), text)
    assert err.value.field == "requirement"
    (tmp_path / "bad.csv").write_text(HEADER + "nowhere:x,quantity,1,cu,2026,s (2026),high,\n")
    (tmp_path / "sc2.yaml").write_text("horizon: [2026, 2029]\nrequirement: bad.csv\n")
    with pytest.raises(InputError) as err:
        applied_world(load_world(tiny_copy), load_scenario(tmp_path / "sc2.yaml"))
    assert err.value.file.endswith("bad.csv") and err.value.line == 2
    # a file that leaves out a metric the data has no set for is refused, naming the file
    (tmp_path / "part.csv").write_text(HEADER + "c2:hq,quantity,3,cu,2026,s (2026),high,\n")
    (tmp_path / "sc3.yaml").write_text("horizon: [2026, 2029]\nrequirement: part.csv\n")
    with pytest.raises(InputError) as err:
        applied_world(load_world(tiny_copy), load_scenario(tmp_path / "sc3.yaml"))
    assert err.value.file.endswith("part.csv") and "air_refuelling:offload_t" in err.value.problem


def test_the_threat_path_when_the_war_ends(tiny_copy):
    world = world_with(tiny_copy, threat_csv=THREAT.replace("use_per_year,50", "use_per_year,400"))
    offload = world.metrics.index("air_refuelling:offload_t")
    years = np.array([2026, 2027, 2028, 2029, 2030, 2031])
    # at war: 1,000 + 150 − 400 a year, floored at zero and staying there
    at_war = counting.threat_stock_path(world, scenario(), years)[offload]
    np.testing.assert_allclose(at_war, [1000, 750, 500, 250, 0, 0])
    # the war ends in 2027: from 2028 output adds to the stock
    sc = scenario(russia_war_ends=2027)
    np.testing.assert_allclose(
        counting.threat_stock_path(world, sc, years)[offload], [1000, 750, 900, 1050, 1200, 1350]
    )


def test_the_plan_draws_for_ukraine_and_reports_days_of_war(tiny_copy):
    from burdenshift.engine.plan import plan
    from burdenshift.engine.plan.prepared import prepare

    world = world_with(
        tiny_copy,
        requirements_yaml=SETS,
        requirements_csv=QUANTITIES,
        expenditure_csv=CAMPAIGN,
        ukraine_csv="tanker,items_per_year,1,items_per_year,2026,t 2026,high,",
    )
    sc = scenario()
    d = prepare(world, sc, "national")
    # 6 tankers, a tenth retiring each year, one a year to Ukraine while the stock lasts
    np.testing.assert_allclose(d.sent.sel(system="tanker").values, [1, 1, 1])
    np.testing.assert_allclose(d.sent.sel(system="hq").values, [0, 0, 0])
    result = plan(world, sc)
    days = result.days_of_war["air_refuelling:offload_t"]
    assert set(days) == {"2027", "2028", "2029"}
    stock = result.as_dict()["days_of_war"]["air_refuelling:offload_t"]["2027"]
    assert stock == pytest.approx(days["2027"]) and stock > 0
    # without transfers the plan ends with at least as many tankers' worth of days
    none = plan(world, scenario(ukraine_support={"multiplier": 0}))
    assert none.days_of_war["air_refuelling:offload_t"]["2029"] >= days["2029"] - 1e-6


def test_training_use_draws_on_the_stock(tiny_copy):
    world = world_with(
        tiny_copy,
        requirements_yaml=SETS,
        requirements_csv=QUANTITIES,
        expenditure_csv=CAMPAIGN
        + "air_refuelling:offload_t,training_use_per_year,50,cu_per_year,2026,t 2026,high,\n",
    )
    years = np.array([2026, 2027, 2028])
    drawn = counting.yearly_draw(world, scenario(), years)
    # 50 t a year of offload is half a tanker (100 t each); nothing in the base year
    np.testing.assert_allclose(drawn[world.systems.index("tanker")], [0, 0.5, 0.5])
    sim = simulate(world, scenario(budget={"multiplier": 0}))
    tanker = world.systems.index("tanker")
    assert sim.stock[0, tanker, 1] == pytest.approx(6 * 0.9 - 0.5)


def test_a_requirement_figure_is_overridden_like_any_other(sets_world):
    sc = scenario(
        overrides=[
            {"table": "requirements.csv", "key": "hand:c2:hq", "field": "quantity", "value": 2}
        ]
    )
    result = assess(applied_world(sets_world, sc), sc)
    assert metric(result, "c2:hq")["requirement"] == 2
    assert metric(result, "c2:hq")["europe_share_now"] == pytest.approx(0.5)
    # and growth scales whatever set applies
    grown = assess(sets_world, scenario(requirement_growth=2.0))
    assert metric(grown, "air_refuelling:offload_t")["requirement"] == 2400


DELIVERY = "tanker,lag_years,1,years,2026,t 2026,high,\n"


def test_orders_arrive_after_the_delivery_lag(tiny_copy):
    """With a one-year lag, 2027's orders arrive in 2028; in 2027 today's output arrives on
    orders placed before the base year (France's 1 tanker and a tenth of the US line's 10)."""
    world = world_with(tiny_copy, delivery_csv=DELIVERY)
    assert set(world.line_lag_years) == {1}
    ordered = np.zeros((len(world.lines), 4))
    ordered[:, 1] = 5.0  # five items ordered from each line in 2027
    arrived = counting.arrivals(world, ordered)
    fra, usa = world.lines.index("FRA-TANKER"), world.lines.index("USA-TANKER")
    np.testing.assert_allclose(arrived[fra], [0, 1, 5, 0])
    np.testing.assert_allclose(arrived[usa], [0, 1, 5, 0])
    # simulate: deliveries into stock lag the line's output by a year, and the backlog shows it
    sim = simulate(world, scenario())
    out = sim.line_output[0, fra]
    np.testing.assert_allclose(sim.backlog[0, fra, 1:3], out[1:3])
    lag0 = simulate(world_with(tiny_copy, delivery_csv=DELIVERY.replace(",1,", ",0,")), scenario())
    assert np.all(sim.stock[0].sum(0) <= lag0.stock[0].sum(0) + 1e-9)


def test_a_longer_lag_never_delivers_earlier(tiny_copy):
    stocks = []
    for lag in (0, 1, 2, 3):
        world = world_with(tiny_copy, delivery_csv=DELIVERY.replace(",1,", f",{lag},"))
        ordered = np.zeros((len(world.lines), 5))
        ordered[:, 1:] = 3.0
        arrived = np.cumsum(
            counting.arrivals(world, ordered) - counting.arrivals(world, np.zeros_like(ordered)),
            axis=1,
        )
        stocks.append(arrived)
    for shorter, longer in pairwise(stocks):
        assert np.all(longer <= shorter + 1e-12)


def test_the_plan_waits_for_the_lag(tiny_copy):
    from burdenshift.engine.plan import plan
    from burdenshift.engine.plan.prepared import prepare

    world = world_with(tiny_copy, delivery_csv=DELIVERY)
    sc = scenario()
    d = prepare(world, sc, "national")
    # orders placed before 2026 bring France's 1 and a tenth of the US line's 10 in 2027
    np.testing.assert_allclose(d.prior_arrivals.sel(system="tanker").values, [2, 0, 0])
    result = plan(world, sc)
    stock = result.benchmarks.sel(area="air_refuelling").values
    # 2027: 6 tankers less a tenth retiring plus the 2 prior arrivals, whatever the plan buys
    assert stock[0] == pytest.approx((6 * 0.9 + 2) * 100 / 1600, abs=1e-6)
    # what a line delivered this year is its backlog at the year's end (a one-year lag)
    for line in ("FRA-TANKER", "USA-TANKER"):
        made = result.deliveries.sel(line=line).sum("ally").values
        waiting = result.backlog.get(line, {})
        for t, year in enumerate(("2027", "2028", "2029")):
            assert waiting.get(year, 0.0) == pytest.approx(made[t], abs=1e-6)


GREENFIELD_YAML = """families:
  GF-TANKER: {name: New tanker line, system: tanker, hosts: [DEU]}
"""
GREENFIELD_CSV = (
    "GF-TANKER,lead_time_years,1,years,2026,t 2026,high,\n"
    "GF-TANKER,capex_musd_per_unit_capacity,10,USD_m,2026,t 2026,high,\n"
    "GF-TANKER,min_capacity_per_year,2,items_per_year,2026,t 2026,high,\n"
    "GF-TANKER,max_capacity_per_year,4,items_per_year,2026,t 2026,high,\n"
)


def test_a_greenfield_plant_is_a_line_that_starts_from_nothing(tiny_copy):
    world = world_with(tiny_copy, greenfield_yaml=GREENFIELD_YAML, greenfield_csv=GREENFIELD_CSV)
    new = world.lines.index("NEW-GF-TANKER-DEU")
    assert world.line_greenfield[new] and world.line_greenfield.sum() == 1
    assert world.capacity_per_year[new] == 0
    assert world.capacity_ceiling_per_year[new] == 4 and world.line_min_capacity[new] == 2
    assert world.allies[world.line_country[new]] == "DEU"
    # its critical inputs are those of the system's European lines (France's: 1 seeker a tanker)
    assert world.input_use[new, world.inputs.index("seekers")] == 1


def test_the_plan_builds_a_plant_whole_or_not_at_all(tiny_copy):
    """No line makes headquarters in the tiny world; a plant for them (2 to 4 a year) lets the
    plan close C2's gap (1 held of 4 required), and it is never built below its smallest size."""
    from burdenshift.engine.plan import plan

    hq = GREENFIELD_CSV.replace("GF-TANKER", "GF-HQ")
    world = world_with(
        tiny_copy,
        greenfield_yaml="families:\n  GF-HQ: {name: New HQ, system: hq, hosts: [FRA]}\n",
        greenfield_csv=hq,
        requirements_yaml=SETS,
        requirements_csv=QUANTITIES,
    )
    result = plan(world, scenario())
    built = float(result.build.sel(line="NEW-GF-HQ-FRA").sum())
    assert 2 - 1e-6 <= built <= 4 + 1e-6
    # and without the plant the gap stays: the plant is what closes it
    bare = world_with(tiny_copy, requirements_yaml=SETS, requirements_csv=QUANTITIES)
    none = plan(bare, scenario())
    assert none.shortfall > result.shortfall + 1e-6
