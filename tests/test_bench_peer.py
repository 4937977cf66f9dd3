"""The benchmark's Pyomo peer (benchmarks/scale.py) is the plan's first stage: from the same
prepared arrays it reaches linopy's optimum with the same variables."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from burdenshift.engine.plan.prepared import prepare
from burdenshift.scenario.schema import Scenario

pytest.importorskip("pyomo")

SCALE = Path(__file__).parents[1] / "benchmarks" / "scale.py"


@pytest.fixture(scope="module")
def scale():
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _both(scale, d):
    lin = scale.peer_once(d, "linopy")
    pyo = scale.peer_once(d, "pyomo")
    return lin, pyo


@pytest.mark.parametrize(
    ("mode", "target"), [("national", 0.5), ("national", 0.8), ("pooled", 0.8)]
)
def test_peer_matches_linopy_on_the_tiny_world(scale, tiny_world, mode, target):
    sc = Scenario(horizon=(2026, 2030), deadline=2029, target_share=target)
    lin, pyo = _both(scale, prepare(tiny_world, sc, mode))
    # C2 cannot be bought in the tiny world: the optimum is not a trivial zero
    assert lin["objective"] > 0.1
    assert pyo["variables"] == lin["variables"]
    assert pyo["objective"] == pytest.approx(lin["objective"], rel=1e-7)


@pytest.mark.slow
def test_peer_matches_linopy_on_the_default_world(scale, default_world):
    from burdenshift.scenario.loader import load_scenario

    d = prepare(default_world, load_scenario(None), "national")
    lin, pyo = _both(scale, d)
    assert lin["objective"] > 1e-3
    assert pyo["variables"] == lin["variables"]
    assert pyo["nonzeros"] <= lin["nonzeros"]  # Pyomo drops the idle cap row
    assert pyo["objective"] == pytest.approx(lin["objective"], rel=1e-7)
