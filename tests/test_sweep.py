"""sweep: stable task expansion and seeds, resume after a kill, Dask equals serial."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from burdenshift.errors import InputError
from burdenshift.store.database import Store
from burdenshift.sweep.runner import run_sweep
from burdenshift.sweep.spec import load_sweep

SWEEP = """
name: test-sweep
base: baseline-2027-blunt
engines: [assess, simulate, risk]
risk: {draws: 300}
seed: 11
grid:
  budget.multiplier: [0.8, 1.2]
  export.us_licences: [granted, refused]
"""


def _write(tmp_path: Path, text: str = SWEEP) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    return path


def _contents(path: Path, tasks) -> dict[str, dict]:
    return Store(path).task_results({t.id for t in tasks})


def _count_runs(path: Path) -> int:
    return len(Store(path).runs()) if path.exists() else 0


def test_expansion_is_stable_and_seeded(tmp_path):
    _, tasks = load_sweep(_write(tmp_path))
    assert len(tasks) == 2 * 2 * 3
    _, again = load_sweep(_write(tmp_path))
    assert [t.id for t in tasks] == [t.id for t in again]
    assert len({t.id for t in tasks}) == len(tasks)
    assert len({t.seed for t in tasks}) == len(tasks)
    assert tasks[0].scenario["budget"]["multiplier"] == 0.8


def test_dask_two_workers_equal_serial(tmp_path):
    _, tasks = load_sweep(_write(tmp_path))
    serial = run_sweep(tasks, Store(tmp_path / "serial.duckdb"), workers=0)
    parallel = run_sweep(tasks, Store(tmp_path / "dask.duckdb"), workers=2)
    assert serial == parallel
    assert _count_runs(tmp_path / "dask.duckdb") == len(tasks)


def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    # twelve tasks: runs that finish together are stored together, so with a handful the first
    # stored result could already be the last
    text = (
        SWEEP.replace("draws: 300", "draws: 2000")
        .replace("[assess, simulate, risk]", "[risk]")
        .replace("[0.8, 1.2]", "[0.7, 0.8, 0.9, 1.0, 1.1, 1.2]")
    )
    path = _write(tmp_path, text)
    db = tmp_path / "killed.duckdb"
    _, tasks = load_sweep(path)
    cmd = [sys.executable, "-m", "burdenshift", "sweep", str(path), "--db", str(db)]
    cmd += ["--workers", "2", "--json"]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            if db.exists() and len(_contents(db, tasks)) >= 1:
                break
        except InputError:  # the sweep holds the write lock for a moment
            continue
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _contents(db, tasks)
    assert 1 <= len(partial) < len(tasks), "the kill should land mid-sweep"
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["skipped"] == len(partial) and report["ran"] == len(tasks) - len(partial)
    clean = run_sweep(tasks, Store(tmp_path / "clean.duckdb"), workers=0)
    stored = _contents(db, tasks)
    assert [stored[t.id] for t in tasks] == clean
    assert _count_runs(db) == len(tasks)  # nothing duplicated


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("grid:\n  budget.multiplyer: [1]\n", "budget.multiplyer"),
        ("engines: [astrology]\n", "engines"),
        ("grid:\n  deadline: [2050]\n", "deadline"),
        ("grid: {a: [1]}\ncases: [{name: x}]\n", "either"),
    ],
)
def test_bad_sweep_files(tmp_path, text, needle):
    with pytest.raises(InputError) as err:
        load_sweep(_write(tmp_path, text))
    assert needle in err.value.message


PLAN_SWEEP = """
name: plan-sweep
base: tiny.yaml
engines: [plan]
plan: {chain: 3}
grid:
  budget.multiplier: [0.2, 0.5, 1.0, 2.0]
"""


def test_plan_sweep_warm_starts_in_fixed_chains(tmp_path):
    """Plan tasks re-solve a kept model in place, in chains fixed by task order: each chain's
    first plan builds, the rest warm-start, and 2 workers give the serial numbers exactly."""
    from tests.conftest import TINY

    (tmp_path / "tiny.yaml").write_text("horizon: [2026, 2028]\ndeadline: 2027\n")
    _, tasks = load_sweep(_write(tmp_path, PLAN_SWEEP))
    assert [t.chain for t in tasks] == ["plan-0", "plan-0", "plan-0", "plan-1"]
    serial = run_sweep(tasks, Store(tmp_path / "serial.duckdb"), workers=0, data=str(TINY))
    parallel = run_sweep(tasks, Store(tmp_path / "dask.duckdb"), workers=2, data=str(TINY))
    assert serial == parallel
    assert [r["warm_start"] for r in serial] == [False, True, True, False]
    assert all(r["status"] == "optimal" for r in serial)
    shortfall = [r["objective"]["shortfall"] for r in serial]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(shortfall))  # more money


def test_swept_levers_stay_fixed_in_risk(tmp_path):
    """A sweep over licences compares granted with refused: the granted case must not draw the
    licence level (the data's default distribution includes refusal), so licences granted is
    never less likely to hold a target than licences refused. Levers the sweep leaves alone
    stay uncertain."""
    from burdenshift.engine.draws import pinned
    from burdenshift.scenario.schema import Scenario
    from burdenshift.sweep.tasks import run_task

    _, tasks = load_sweep(_write(tmp_path))
    risks = [t for t in tasks if t.engine == "risk" and t.scenario["budget"]["multiplier"] == 0.8]
    # one seed for both cases (common random numbers): the same policy and data draws, so the
    # comparison shows the licences, not sampling noise
    out = {
        t.scenario["export"]["us_licences"]: run_task({**t.__dict__, "seed": 11})["result"]
        for t in risks
    }
    for result in out.values():
        assert "licence_level" not in result["parameters"]
        assert {"drawdown_path", "coordination_year"} <= set(result["parameters"])
    for granted, refused in zip(out["granted"]["areas"], out["refused"]["areas"], strict=True):
        assert granted["p_target_by_deadline"] >= refused["p_target_by_deadline"]
    assert any(
        g["p_target_by_deadline"] > r["p_target_by_deadline"]
        for g, r in zip(out["granted"]["areas"], out["refused"]["areas"], strict=True)
    )
    # the same rule outside sweeps: a lever moved from its default, or a whole block varied
    assert pinned(Scenario()) == set()
    assert pinned(Scenario(), ["export"]) == {"licence_level"}
    assert pinned(Scenario(), ["us_drawdown.start_year"]) == {"drawdown_path", "drawdown_start"}
    assert pinned(Scenario(coordination_withdrawal=None)) == {"coordination_year"}
