"""simulate: hand-worked numbers on the tiny world, and invariants on the default world."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from burdenshift.engine.params import NEVER, from_scenario
from burdenshift.engine.simulate import simulate
from burdenshift.scenario.schema import Budget, Scenario


def test_tiny_world_hand_worked(tiny_world, tiny_scenario):
    sim = simulate(tiny_world, tiny_scenario)
    t = tiny_world.systems.index("tanker")
    # 2027: the French line expands 1 -> 2.5 (lead time 1: online the same year), capped at 2 by
    # seekers, plus 1 US tanker; 2028: 3 again
    np.testing.assert_allclose(sim.deliveries[0, t], [0, 3, 3])
    np.testing.assert_allclose(sim.stock[0, t], [6, 6 * 0.9 + 3, (6 * 0.9 + 3) * 0.9 + 3])
    fra = tiny_world.lines.index("FRA-TANKER")
    np.testing.assert_allclose(sim.line_capacity[0, fra], [1, 2.5, 3])
    # each ally pays half of 3 tankers at 100 and half the capacity: 1.5 x 10 then 0.5 x 10
    fra_i, deu_i = tiny_world.allies.index("FRA"), tiny_world.allies.index("DEU")
    np.testing.assert_allclose(sim.purchases_musd[0, fra_i], [0, 150, 150])
    np.testing.assert_allclose(sim.capex_musd[0, deu_i], [0, 7.5, 2.5])
    a = tiny_world.areas.index("air_refuelling")
    np.testing.assert_allclose(sim.europe_share[0, a], [0.375, 0.525, 0.66])
    # the US drops to its 20 % floor in 2027: gap = (1600 - 840 - 200) / 1600
    assert sim.gap[0, a, 1] == pytest.approx((1600 - 840 - 200) / 1600)


def test_money_splits_between_european_and_us_industry(tiny_world, tiny_scenario):
    """Tiny world: 2027 and 2028 each bring 1 US tanker and 2 French ones at 100 USD m; France
    and Germany pay 10 USD m per tanker a year of new French capacity (1.5 then 0.5)."""
    from burdenshift.engine.runinfo import run_info
    from burdenshift.output import simulation_json

    sim = simulate(tiny_world, tiny_scenario)
    usa, fra = tiny_world.lines.index("USA-TANKER"), tiny_world.lines.index("FRA-TANKER")
    np.testing.assert_allclose(sim.line_purchases_musd[0, usa], [0, 100, 100])
    np.testing.assert_allclose(sim.line_purchases_musd[0, fra], [0, 200, 200])
    money = simulation_json(sim, run_info("simulate", tiny_world, tiny_scenario))["money"]
    assert money["money_to_us_industry_usd_bn"] == pytest.approx(0.2)
    assert money["money_to_european_industry_usd_bn"] == pytest.approx(0.4 + 0.02)
    split = money["money_to_us_industry_usd_bn"] + money["money_to_european_industry_usd_bn"]
    assert split == pytest.approx(money["spending_usd_bn"])


def test_pooled_buys_the_same_for_less_when_capacity_binds(tiny_world, tiny_scenario):
    national = simulate(tiny_world, tiny_scenario)
    pooled = simulate(tiny_world, tiny_scenario.model_copy(update={"procurement": "pooled"}))
    # the same tankers arrive (the lines are full either way) ...
    np.testing.assert_allclose(pooled.europe_share, national.europe_share)
    # ... but one pooled variant replaces two national ones: Wright's law with a 0.9 learning
    # rate makes each tanker 2^log2(0.9) = 0.9 times as dear; capital costs are unchanged
    np.testing.assert_allclose(pooled.purchases_musd.sum(1), 0.9 * national.purchases_musd.sum(1))
    np.testing.assert_allclose(pooled.capex_musd.sum(1), national.capex_musd.sum(1))


def test_money_left_over_buys_spare_output_toward_the_full_requirement(tmp_path, tiny_scenario):
    """The tiny world plus a German headquarters line (1 a year, 50 USD m each). With a C2
    target of 0.25 nothing in C2 falls short, so the first pass sends all money to tankers,
    whose lines are full; the money left over buys the spare headquarters."""
    import shutil

    from burdenshift.domain.load import load_world
    from tests.conftest import TINY

    folder = tmp_path / "tiny-hq"
    shutil.copytree(TINY, folder)
    with (folder / "lines.yaml").open("a") as f:
        f.write("  DEU-HQ: {producer: Staffs GmbH, country: DEU, system: hq}\n")
    with (folder / "lines.csv").open("a") as f:
        for field, value, unit in [
            ("capacity_per_year", 1, "items_per_year"),
            ("capacity_ceiling_per_year", 1, "items_per_year"),
            ("max_ramp_share_per_year", 0, "share"),
            ("lead_time_years", 1, "years"),
            ("capex_musd_per_unit_capacity", 0, "USD_m"),
        ]:
            f.write(f"DEU-HQ,{field},{value},{unit},2026,hand-worked test world (2026),high,\n")
    world = load_world(folder)
    sc = tiny_scenario.model_copy(update={"target_share_by_area": {"c2": 0.25}})
    sim = simulate(world, sc)
    t, hq = world.systems.index("tanker"), world.systems.index("hq")
    # tankers as in the hand-worked run above: the first pass is unchanged
    np.testing.assert_allclose(sim.deliveries[0, t], [0, 3, 3])
    # one headquarters a year: 1 x 0.95 + 1 in 2027, then 1.95 x 0.95 + 1
    np.testing.assert_allclose(sim.deliveries[0, hq], [0, 1, 1])
    np.testing.assert_allclose(sim.stock[0, hq], [1, 1.95, 1.95 * 0.95 + 1])
    # C2 coverage 1.95 / 2 after the US leaves in 2027: x (1 - 0.5 x (1 - 0.975))
    c2 = world.areas.index("c2")
    assert sim.europe_share[0, c2, 1] == pytest.approx(0.975 * (1 - 0.5 * 0.025))
    assert sim.europe_share[0, c2, 2] == pytest.approx(1.0)
    # France and Germany, with the same money, each pay half of the 50 USD m headquarters
    fra = world.allies.index("FRA")
    np.testing.assert_allclose(sim.purchases_musd[0, fra], [0, 150 + 25, 150 + 25])


@pytest.fixture(scope="module")
def default_run(default_world):
    return simulate(default_world, Scenario())


def test_stock_balance(default_run):
    sim = default_run
    expected = (
        sim.stock[:, :, :-1]
        - sim.retirements[:, :, 1:]
        + sim.deliveries[:, :, 1:]
        - sim.transfers[:, :, 1:]
    )
    np.testing.assert_allclose(sim.stock[:, :, 1:], expected, rtol=1e-9, atol=1e-6)


def test_budgets_never_exceeded(default_run):
    sim = default_run
    assert np.all(sim.cost_musd <= sim.budget_musd * (1 + 1e-9) + 1e-6)
    assert np.all(sim.purchases_musd >= 0) and np.all(sim.capex_musd >= 0)
    assert sim.cost_musd.sum() > 0


def test_shares_and_gaps_in_unit_interval(default_run):
    for arr in (default_run.europe_share, default_run.gap):
        assert np.all(arr >= 0) and np.all(arr <= 1 + 1e-12)


def test_capacity_never_exceeds_ceiling(default_world, default_run):
    ceiling = np.maximum(default_world.capacity_ceiling_per_year, default_world.capacity_per_year)
    assert np.all(default_run.line_capacity <= ceiling[None, :, None] + 1e-6)


def test_deliveries_never_exceed_what_lines_offer_europe(default_world, default_run):
    """Both passes together stay within each line's capacity and its share for Europe."""
    offer = default_run.line_capacity * default_world.europe_share[None, :, None]
    assert np.all(default_run.line_output <= offer + 1e-6)


def test_more_budget_never_lowers_a_share(default_world):
    runs = [simulate(default_world, Scenario(budget=Budget(multiplier=m))) for m in (0.1, 0.5, 1.5)]
    for low, high in itertools.pairwise(runs):
        assert np.all(high.europe_share >= low.europe_share - 1e-9)
        assert high.cost_musd.sum() > low.cost_musd.sum()


def test_more_budget_never_lowers_a_share_in_the_tiny_world(tiny_world, tiny_scenario):
    shares = [
        simulate(
            tiny_world, tiny_scenario.model_copy(update={"budget": Budget(multiplier=m)})
        ).europe_share
        for m in (0.0001, 0.001, 0.01, 0.1, 1.0)
    ]
    for lo, hi in itertools.pairwise(shares):
        assert np.all(hi >= lo - 1e-12)


def test_batch_of_identical_sets_equals_copies(default_world):
    sc = Scenario()
    one = simulate(default_world, sc)
    many = simulate(default_world, sc, from_scenario(default_world, sc).repeat(5))
    for name in ("europe_share", "gap", "stock", "cost_musd", "line_capacity"):
        got = getattr(many, name)
        assert got.shape[0] == 5
        np.testing.assert_allclose(got, np.repeat(getattr(one, name), 5, axis=0), atol=1e-12)


def test_batch_rows_are_independent(default_world):
    sc = Scenario()
    p = from_scenario(default_world, sc).repeat(2)
    p.budget_multiplier[1] *= 0.0
    sim = simulate(default_world, sc, p)
    alone = simulate(default_world, sc)
    np.testing.assert_allclose(sim.europe_share[0], alone.europe_share[0])
    assert sim.cost_musd[1].sum() == 0.0


@pytest.mark.parametrize("detail", [True, False])
def test_a_large_batch_runs_in_chunks_with_the_same_numbers(default_world, monkeypatch, detail):
    """A batch larger than a chunk is simulated chunk by chunk: the rows, their order and every
    number are those of one pass, and the drawn data follow their rows."""
    import burdenshift.engine.simulate as sim_module
    from burdenshift.engine import data_draws, draws

    sc = Scenario()
    sp = draws.space(default_world, sc)
    rng = np.random.default_rng(3)
    p = draws.to_params(default_world, sc, sp, draws.monte_carlo(sp, 11, rng))
    ds = data_draws.data_space(default_world, sc)
    data = data_draws.monte_carlo(ds, rng.random((11, len(ds.groups))))
    whole = simulate(default_world, sc, p, detail=detail, data=data)
    monkeypatch.setattr(sim_module, "CHUNK", 4)
    chunked = simulate(default_world, sc, p, detail=detail, data=data)
    for name in sim_module.BATCHED:
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name), err_msg=name)
    assert chunked.europe_share.shape[0] == 11
    # the rows differ (a chunk that repeated another's rows would pass the comparison above
    # only if every row were the same)
    assert np.ptp(whole.europe_share[:, :, -1], axis=0).max() > 0


def test_same_inputs_same_outputs(default_world):
    a = simulate(default_world, Scenario())
    b = simulate(default_world, Scenario())
    np.testing.assert_array_equal(a.europe_share, b.europe_share)


def test_labelled_results(tiny_world, tiny_scenario):
    ds = simulate(tiny_world, tiny_scenario).to_xarray()
    assert ds["europe_share"].sel(area="air_refuelling", year=2027).item() == pytest.approx(0.525)
    assert ds["stock"].attrs["unit"] == "items"
    assert "USD_m" in ds["capex_musd"].attrs["unit"]


def test_shares_and_gaps_are_the_area_means_of_the_detailed_capability(default_world):
    """The compiled pass's shares and gaps, rebuilt in numpy from the detailed view of the same
    draws (drawn data, drawn metric weights, the integration penalty after the US leaves
    coordination): min(E / R, 1) and max(0, R − E − U) / R per metric, then each area's mean
    by its weights renormalised per draw; the lean run gives the same numbers."""
    from burdenshift.engine import data_draws, draws

    sc = Scenario()
    sp = draws.space(default_world, sc)
    rng = np.random.default_rng(8)
    p = draws.to_params(default_world, sc, sp, draws.monte_carlo(sp, 7, rng))
    p.coordination_year[:] = sc.years[2]
    ds = data_draws.data_space(default_world, sc)
    data = data_draws.monte_carlo(ds, rng.random((7, len(ds.groups))))
    assert (data.weight != 1.0).any() and (data.penalty != 1.0).any()
    full = simulate(default_world, sc, p, detail=True, data=data)
    lean = simulate(default_world, sc, p, detail=False, data=data)
    req = full.requirement[None] * data.requirement[:, :, None]  # (draw, metric, year)
    e, u = full.europe_capability, full.us_capability
    inv = np.divide(1.0, req, out=np.zeros_like(req), where=req > 0)
    cov = np.where(req > 0, np.minimum(e * inv, 1.0), 1.0)
    gap = np.maximum(0.0, req - e - u) * inv
    w = data.weight * default_world.metric_weight  # (draw, metric)
    member = default_world.metric_to_area() > 0  # (metric, area)
    total = w @ member

    def mean(x: np.ndarray) -> np.ndarray:
        return np.einsum("bmt,bm,ma->bat", x, w, member) / total[:, :, None]

    np.testing.assert_allclose(full.europe_share, mean(cov), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(full.gap, mean(gap), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(lean.europe_share, full.europe_share, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(lean.gap, full.gap, rtol=1e-13, atol=1e-13)
    # the penalty bites after the withdrawal and not before
    p.coordination_year[:] = NEVER
    stays = simulate(default_world, sc, p, detail=False, data=data)
    np.testing.assert_array_equal(stays.europe_share[:, :, :2], lean.europe_share[:, :, :2])
    assert np.all(lean.europe_share <= stays.europe_share + 1e-12)
    assert (lean.europe_share[:, :, 2:] < stays.europe_share[:, :, 2:] - 1e-6).any()
