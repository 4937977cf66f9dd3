"""assess on the hand-worked tiny world (tests/fixtures/tiny; the numbers are worked out in
docs/method.md's example) and invariants on the default world."""

from __future__ import annotations

import numpy as np
import pytest

from burdenshift.engine.assess import assess, first_year_held
from burdenshift.scenario.schema import Export, Scenario


def _area(result, name):
    return next(a for a in result.areas if a.area == name)


def test_tiny_world_hand_worked(tiny_world, tiny_scenario):
    r = assess(tiny_world, tiny_scenario)
    tank = _area(r, "air_refuelling")
    # Europe 6 tankers x 100 t = 600 t, US 10 x 100 t = 1000 t, requirement 1600 t
    assert tank.europe_share_now == pytest.approx(600 / 1600)
    assert tank.europe + tank.us == pytest.approx(1.0)
    # today's rates: 1 French + 1 US (10 % of 10) a year; 10 % retire each year
    assert tank.share_at_deadline_current_rates == pytest.approx((6 * 0.9 + 2) * 100 / 1600)
    # fastest ramp: French capacity 1 + 0.5 x 3 = 2.5 after a 1-year lead time, but only 2
    # seekers a year: 2 + 1 delivered in 2027
    assert tank.share_at_deadline_max_ramp == pytest.approx((6 * 0.9 + 3) * 100 / 1600)
    assert tank.year_target_max_ramp == 2027
    assert tank.year_target_current_rates == 2028
    assert tank.binding == "none (target met)"
    c2 = _area(r, "c2")
    # 1 HQ of 2 held, retiring at 1/20 a year; after the US leaves coordination in 2027 C2
    # counts at 1 - 0.5 x (1 - 0.475)
    assert c2.share_at_deadline_max_ramp == pytest.approx(0.475 * (1 - 0.5 * (1 - 0.475)))
    assert c2.binding == "no European producer"
    assert c2.year_target_max_ramp is None  # held in 2026, lost in 2027: never held for good
    assert tank.weak_share == pytest.approx(200 / 1600)  # Germany's 2 tankers are 'low'


def test_critical_input_binds_when_target_is_missed(tiny_world):
    sc = Scenario(horizon=(2026, 2028), deadline=2027, target_share=0.6)
    tank = _area(assess(tiny_world, sc), "air_refuelling")
    assert tank.share_at_deadline_max_ramp < 0.6
    # without the seeker limit the French line would deliver 2.5, the biggest single gain
    assert tank.binding == "critical input"


def test_refused_licences_cut_us_supply(tiny_world):
    sc = Scenario(horizon=(2026, 2028), export=Export(us_licences="refused"))
    tank = _area(assess(tiny_world, sc), "air_refuelling")
    assert tank.share_at_deadline_current_rates == pytest.approx((6 * 0.9 + 1) * 100 / 1600)


def test_first_year_held_needs_the_target_to_stay_met():
    years = np.array([2026, 2027, 2028, 2029])
    share = np.array([[0.6, 0.4, 0.55, 0.7], [0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.5, 0.5]])
    assert first_year_held(share, 0.5, years) == [2028, None, 2026]


def test_default_world_invariants(default_world):
    r = assess(default_world, Scenario())
    assert len(r.areas) == 12
    # Europe + US make up the whole requirement only against the `today` comparator, and only
    # where no metric is a munition (whose requirement is a campaign's use, expenditure.csv)
    today = assess(default_world, Scenario(requirement="today"))
    campaign = ~np.isnan(default_world.daily_use)
    campaign_area = (default_world.metric_to_area()[campaign] > 0).any(0)
    assert [a.area for a in r.areas] == list(default_world.areas)
    for a, t, consumable in zip(r.areas, today.areas, campaign_area, strict=True):
        for share in (
            a.europe_share_now,
            a.share_at_deadline_current_rates,
            a.share_at_deadline_max_ramp,
        ):
            assert 0.0 <= share <= 1.0
        # the fastest ramp never does worse than today's rates
        assert a.share_at_deadline_max_ramp >= a.share_at_deadline_current_rates - 1e-9
        if not consumable:
            assert t.europe + t.us == pytest.approx(1.0)
        assert 0.0 <= a.europe <= 1.0 and a.us >= 0.0
        if a.year_target_max_ramp is not None and a.year_target_current_rates is not None:
            assert a.year_target_max_ramp <= a.year_target_current_rates
    spend = sum(b.spending_share for b in r.allies)
    assert spend == pytest.approx(1.0)
    assert {b.ally for b in r.allies}.isdisjoint({"USA"})


def test_higher_requirement_lowers_every_share(default_world):
    base = assess(default_world, Scenario())
    harder = assess(default_world, Scenario(requirement_growth=1.3))
    for a, b in zip(base.areas, harder.areas, strict=True):
        assert b.europe_share_now <= a.europe_share_now + 1e-12
        assert b.share_at_deadline_max_ramp <= a.share_at_deadline_max_ramp + 1e-12


def test_frames(tiny_world, tiny_scenario):
    r = assess(tiny_world, tiny_scenario)
    df = r.to_frame()
    assert df.loc["air_refuelling", "year_target_max_ramp"] == 2027
    allies = r.allies_frame()
    assert allies["spending_share"].sum() == pytest.approx(1.0)
    assert allies.loc["FRA", "contribution_air_refuelling"] == pytest.approx(4 / 6)


def test_assess_spends_the_budget_simulate_spends(tiny_world):
    """`budget.multiplier` scales assess's money as it scales simulate's: with none, nothing is
    delivered and every share follows today's stock as it retires."""
    base = dict(horizon=(2026, 2028), deadline=2027, coordination_withdrawal=None)
    none = assess(tiny_world, Scenario(budget={"multiplier": 0}, **base))
    full = assess(tiny_world, Scenario(**base))
    a = tiny_world.areas.index("air_refuelling")
    # 6 tankers of 100 t retiring a tenth a year, against today's 1,600 t
    np.testing.assert_allclose(none.share_max_ramp[a], [600 / 1600, 540 / 1600, 486 / 1600])
    assert full.share_max_ramp[a, 1] > none.share_max_ramp[a, 1]
