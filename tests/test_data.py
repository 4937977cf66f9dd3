"""The embedded default data: complete, sourced, and consistent."""

from __future__ import annotations

import numpy as np

from burdenshift.domain.checks import check_all
from burdenshift.domain.figures import CONFIDENCE, WEAK
from burdenshift.domain.reader import read_folder

AREAS = {
    "isr",
    "long_range_strike",
    "iamd",
    "munitions",
    "air_refuelling",
    "strategic_airlift",
    "sead_ew",
    "c2",
    "sustainment",
    "land_forces",
    "combat_air",
    "maritime",
}


def test_default_data_pass_every_check():
    problems = check_all(read_folder())
    assert problems == [], [p.message for p in problems[:5]]


def test_every_figure_has_source_year_confidence(default_world):
    assert len(default_world.figures) >= 400
    for f in default_world.figures:
        assert f.source.strip(), f
        assert 1990 <= f.year <= 2036, f
        assert f.confidence in CONFIDENCE, f
        if f.confidence in WEAK:
            assert f.note.strip(), f


def test_coverage_of_the_default_data(default_world):
    w = default_world
    assert len(w.allies) == 32 and "USA" in w.allies and "CAN" in w.allies
    assert set(w.areas) == AREAS
    assert len(w.systems) >= 50
    assert len(w.lines) >= 40
    assert w.line_is_us.any() and (~w.line_is_us).any()
    assert w.base_year == 2026
    # every system is held by someone (Europe or the US contribution) or produced somewhere
    held = (w.holdings.sum(0) + w.us_contribution) > 0
    produced = np.isin(np.arange(len(w.systems)), w.line_system)
    orphans = [s for s, ok in zip(w.systems, held | produced, strict=True) if not ok]
    assert orphans == []
    # every area has a requirement: someone holds something in each metric
    req = (w.holdings.sum(0) + w.us_contribution) @ w.system_to_metric()
    assert np.all(req > 0), [m for m, r in zip(w.metrics, req, strict=True) if r <= 0]


def test_metric_weights_sum_to_one_per_area(default_world):
    w = default_world
    np.testing.assert_allclose(w.metric_to_area().sum(0), 1.0)


def test_shares_are_fractions(default_world):
    w = default_world
    for arr in (
        w.equipment_share,
        w.integration_penalty,
        w.us_floor_share,
        w.europe_share,
        w.us_content_share,
        w.max_ramp_share_per_year,
    ):
        assert np.all((arr >= 0) & (arr <= 1))
    assert np.all(w.capacity_ceiling_per_year >= w.capacity_per_year)


def test_the_embedded_yaml_reads_the_same_with_the_bounded_reader():
    """The shipped definitions are parsed with libyaml for speed; the bounded reader (the one
    every user file and request goes through) must accept them and give the same data."""
    from burdenshift.domain.reader import DEFAULT_DATA
    from burdenshift.yamltext import read_yaml

    files = sorted(DEFAULT_DATA.glob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        text = path.read_text(encoding="utf-8")
        bounded, fast = read_yaml(text, str(path)), read_yaml(text, str(path), embedded=True)
        assert bounded.data == fast.data, path.name
