"""Capacity already financed (`planned_capacity_per_year` from `planned_capacity_year`), worked
by hand on the tiny world: the French tanker line makes 1 a year today, its ceiling is 3, and
seekers allow 2 tankers a year."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from burdenshift.domain.load import load_world
from burdenshift.engine.assess import assess
from burdenshift.engine.plan import plan
from burdenshift.engine.simulate import simulate
from burdenshift.errors import InputError
from tests.conftest import TINY
from tests.test_plan import C2_SHORTFALL


def _world(tmp_path, capacity: float, year: int):
    folder = tmp_path / f"tiny-planned-{capacity}-{year}"
    shutil.copytree(TINY, folder)
    with (folder / "lines.csv").open("a") as f:
        f.write(
            f"FRA-TANKER,planned_capacity_per_year,{capacity},items_per_year,{year},t 2026,high,\n"
        )
        f.write(f"FRA-TANKER,planned_capacity_year,{year},year,{year},t 2026,high,\n")
    return load_world(folder)


def test_assess_counts_financed_capacity_at_todays_rates(tmp_path, tiny_world, tiny_scenario):
    world = _world(tmp_path, 2, 2028)
    a = world.areas.index("air_refuelling")
    base = assess(tiny_world, tiny_scenario).share_current[a]
    more = assess(world, tiny_scenario).share_current[a]
    # 1 French + 1 US tanker a year; from 2028 two French: 6 -> 7.4 -> 7.4 x 0.9 + 3 = 9.66
    np.testing.assert_allclose(base, [6 / 16, 7.4 / 16, (7.4 * 0.9 + 2) / 16])
    np.testing.assert_allclose(more, [6 / 16, 7.4 / 16, (7.4 * 0.9 + 3) / 16])


def test_simulate_orders_less_new_capacity(tmp_path, tiny_world, tiny_scenario):
    """The financed step (1 -> 2 in 2028) counts against the ceiling of 3 from the start: in
    2027 the line may add only 1 (not its 1.5 ramp), in 2028 nothing. The same tankers arrive
    (seekers cap the line at 2), for 10 USD m of new capacity instead of 20."""
    base = simulate(tiny_world, tiny_scenario)
    sim = simulate(_world(tmp_path, 2, 2028), tiny_scenario)
    np.testing.assert_allclose(sim.europe_share, base.europe_share)
    fra = tiny_world.lines.index("FRA-TANKER")
    np.testing.assert_allclose(sim.line_capacity[0, fra], [1, 2, 3])
    np.testing.assert_allclose(base.capex_musd[0].sum(0), [0, 15, 5])
    np.testing.assert_allclose(sim.capex_musd[0].sum(0), [0, 10, 0])


def test_plan_keeps_financed_capacity_within_the_ceiling(tmp_path, tiny_scenario):
    """With all 3 a year of the ceiling financed for 2028, nothing more can be built in 2027:
    2027 gets 1 French + 1 US tanker against the 2.6 the target needs, 0.6 x 100 t of 1,600 t
    short; 2028 is covered by the financed line."""
    result = plan(_world(tmp_path, 3, 2028), tiny_scenario)
    assert float(result.build.sum()) == pytest.approx(0.0, abs=1e-9)
    assert result.shortfall - C2_SHORTFALL == pytest.approx(60 / 1600, abs=1e-6)


@pytest.mark.parametrize(
    ("rows", "needle"),
    [
        (
            "FRA-TANKER,planned_capacity_per_year,4,items_per_year,2028,t 2026,high,\n"
            "FRA-TANKER,planned_capacity_year,2028,year,2028,t 2026,high,\n",
            "below the planned",
        ),
        ("FRA-TANKER,planned_capacity_per_year,2,items_per_year,2028,t 2026,high,\n", "no year"),
        (
            "FRA-TANKER,planned_capacity_per_year,2,items_per_year,2028,t 2026,high,\n"
            "FRA-TANKER,planned_capacity_year,2026,year,2026,t 2026,high,\n",
            "not after the base year",
        ),
    ],
)
def test_bad_planned_capacity_is_a_data_error(tmp_path, rows, needle):
    folder = tmp_path / "bad"
    shutil.copytree(TINY, folder)
    with (folder / "lines.csv").open("a") as f:
        f.write(rows)
    with pytest.raises(InputError) as err:
        load_world(folder)
    assert needle in str(err.value) and "lines.csv" in str(err.value)
