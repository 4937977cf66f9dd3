"""plan's start-up: a plan imports neither dask nor requests; xarray still knows dask arrays once
dask is imported (a sweep's workers), and requests stays importable."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import TINY

PLAN_THEN_DASK = f"""
import json, sys
from burdenshift.domain.load import load_world
from burdenshift.engine.plan import plan
from burdenshift.scenario.schema import Scenario

result = plan(load_world({str(TINY)!r}), Scenario(horizon=(2026, 2028), deadline=2027))
after_plan = sorted(m for m in sys.modules if m == "dask" or m.startswith("dask."))
requests_after_plan = "requests" in sys.modules
import requests
import dask.array as da
import xarray as xr

chunked = xr.DataArray(da.zeros(4, chunks=2), dims="x")
print(json.dumps({{
    "status": result.status.value,
    "dask_after_plan": after_plan,
    "requests_after_plan": requests_after_plan,
    "requests": callable(requests.get),
    "chunks": [list(c) for c in chunked.chunks],
    "lazy": type((chunked + 1).data).__module__.startswith("dask"),
    "sum": float((chunked + 1).sum()),
}}))
"""


def test_a_plan_imports_neither_dask_nor_requests_and_both_still_work():
    out = subprocess.run(
        [sys.executable, "-c", PLAN_THEN_DASK], capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["status"] == "optimal"
    assert got["dask_after_plan"] == [] and not got["requests_after_plan"]
    assert got["requests"]
    assert got["chunks"] == [[2, 2]] and got["lazy"] and got["sum"] == 4.0
