"""sweep: every case is checked before anything runs (file, line, case and field named; exit 2;
nothing stored), a grid over the task cap is refused from its sizes alone, option bounds hold,
and a failing task is reported in one paragraph while the finished ones stay stored."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from burdenshift.errors import InputError
from burdenshift.store.database import Store
from burdenshift.sweep import tasks as sweep_tasks
from burdenshift.sweep.runner import SweepFailed, _outputs, run_sweep
from burdenshift.sweep.spec import MAX_TASKS, load_sweep, read_sweep
from tests.conftest import TINY, run_cli

BAD_CASE = """name: one-bad-case
engines: [assess]
cases:
  - name: ok
    set: {deadline: 2028}
  - name: bad
    set: {target_share_by_area: {atlantis: 0.5}}
"""


def _write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _runs(db: Path) -> int:
    return len(Store(db).runs()) if db.exists() else 0


def _sweep(tmp_path: Path, text: str, *extra: str):
    """Run `burdenshift sweep` on `text` in process (workers 0) with a store of its own."""
    db = tmp_path / "store.duckdb"
    path = _write(tmp_path, text)
    proc = run_cli("sweep", str(path), "--workers", "0", "--db", str(db), "--json", *extra)
    return proc, path, db


def _one_paragraph(stderr: str) -> str:
    text = stderr.strip()
    assert text.startswith("error: "), text
    assert "\n" not in text and "Traceback" not in text, text
    return text


def test_bad_case_stops_the_sweep_before_anything_is_stored(tmp_path):
    """The reproducer of issue 10 item 8: the good case must not be stored either."""
    proc, path, db = _sweep(tmp_path, BAD_CASE)
    assert proc.returncode == 2, proc.stderr
    msg = _one_paragraph(proc.stderr)
    assert f"{path}, line 7:" in msg  # the line of `set: {target_share_by_area: …}`
    assert "case 'bad'" in msg
    assert "field 'target_share_by_area.atlantis'" in msg
    assert "unknown area 'atlantis'" in msg and "Fix: use one of: isr" in msg
    assert proc.stdout == ""
    assert _runs(db) == 0
    assert not db.exists()  # the store is not even opened


@pytest.mark.parametrize(
    ("text", "line", "needles"),
    [
        # a grid value out of the schema's range: the line of that grid key
        (
            "engines: [assess]\ngrid:\n  deadline: [2028]\n  budget.multiplier: [1.0, 20]\n",
            4,
            ["case 'deadline=2028, budget.multiplier=20'", "field 'budget.multiplier'", "10"],
        ),
        # a deadline outside the base's horizon
        ("grid:\n  deadline: [2028, 2050]\n", 2, ["field 'deadline'", "outside the horizon"]),
        # NaN in a case's value
        (
            "cases:\n  - name: nan\n    set:\n      budget.multiplier: .nan\n",
            4,
            ["case 'nan'", "field 'budget.multiplier'", "finite"],
        ),
        # a dotted key that is no scenario field
        (
            "cases:\n  - {name: ok}\n  - {name: typo, set: {budget.multiplyer: 1}}\n",
            3,
            ["case 'typo'", "field 'budget.multiplyer'", "not a scenario field"],
        ),
        # an override naming a line the World does not have (checked as a run checks it)
        (
            "cases:\n  - name: o\n    set:\n      overrides:\n"
            "        - {table: lines.csv, key: NOPE, field: capacity_ceiling_per_year, value: 5}\n",
            4,
            ["case 'o'", "field 'overrides", "NOPE"],
        ),
        # an unknown ally in a closed route, deep in a case's value
        (
            "cases:\n  - name: route\n    set:\n      export.closed_routes:\n"
            "        - {from_country: DEU, to: [XXX]}\n",
            5,
            ["case 'route'", "field 'export.closed_routes.0.to", "unknown ally 'XXX'"],
        ),
    ],
)
def test_bad_cases_name_file_line_case_and_field(tmp_path, text, line, needles):
    proc, path, db = _sweep(tmp_path, text)
    assert proc.returncode == 2, proc.stderr
    msg = _one_paragraph(proc.stderr)
    assert f"{path}, line {line}:" in msg
    for needle in needles:
        assert needle in msg
    assert "Fix: " in msg
    assert _runs(db) == 0


def test_cases_are_checked_against_the_data_folder_given(tmp_path):
    """`--data`: a case naming an area the embedded data have but the folder lacks fails."""
    from burdenshift.domain.load import load_world

    tiny = load_world(TINY)
    missing = next(a for a in load_world().areas if a not in tiny.areas)
    text = (
        "base: tiny.yaml\ncases:\n  - {name: fine}\n"
        f"  - {{name: other-area, set: {{target_share_by_area: {{{missing}: 0.6}}}}}}\n"
    )
    _write(tmp_path, "horizon: [2026, 2028]\ndeadline: 2027\n", "tiny.yaml")
    proc, path, db = _sweep(tmp_path, text, "--data", str(TINY))
    assert proc.returncode == 2, proc.stderr
    msg = _one_paragraph(proc.stderr)
    assert f"{path}, line 4:" in msg and "case 'other-area'" in msg
    assert f"unknown area '{missing}'" in msg
    assert _runs(db) == 0


def test_a_bad_base_is_reported_at_the_base_file(tmp_path):
    """The base itself does not fit the data (its horizon starts before the base year): the
    error names the base file, not a case."""
    _write(tmp_path, "horizon: [2025, 2030]\ndeadline: 2027\n", "early.yaml")
    proc, _, db = _sweep(tmp_path, "base: early.yaml\ngrid:\n  deadline: [2028]\n")
    assert proc.returncode == 2, proc.stderr
    msg = _one_paragraph(proc.stderr)
    assert "early.yaml" in msg and "base year" in msg and "field 'horizon'" in msg
    assert _runs(db) == 0


def test_grid_over_the_cap_is_refused_fast_with_its_sizes(tmp_path):
    """A 900,000-case grid took 3.2 GB and printed nothing for a minute: now it is refused
    from the grid's sizes, before a single case is built."""

    def values(n: int, start: float) -> str:
        return ", ".join(f"{start + i / 1000:.3f}" for i in range(n))

    text = (
        "engines: [assess, risk]\ngrid:\n"
        f"  budget.multiplier: [{values(100, 0.5)}]\n"
        f"  target_share: [{values(100, 0.3)}]\n"
        f"  requirement_growth: [{values(90, 1.0)}]\n"
    )
    path = _write(tmp_path, text)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError) as err:
            read_sweep(path)
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert took < 1.0  # about 0.02 s on an idle machine; the grid's cases took a minute
    assert peak < 20_000_000  # bytes; the grid's cases took 3.2 GB
    msg = err.value.message
    assert msg.startswith(f"{path}, line 2: field 'grid':")
    assert "900,000 cases × 2 engines = 1,800,000 tasks" in msg
    assert "budget.multiplier 100, target_share 100, requirement_growth 90" in msg
    assert f"{MAX_TASKS:,}" in msg and "split the sweep" in msg


def test_grid_cap_from_the_cli_stores_nothing(tmp_path):
    keys = "\n".join(f"  budget.pct_gdp.{2027 + k}: [2, 3, 4, 5]" for k in range(8))
    proc, _, db = _sweep(tmp_path, f"grid:\n{keys}\n")
    # 4^8 = 65,536 cases; the keys are no scenario fields a sweep can set, but the size comes first
    assert proc.returncode == 2, proc.stderr
    msg = _one_paragraph(proc.stderr)
    assert "65,536 cases × 1 engine = 65,536 tasks" in msg
    assert _runs(db) == 0


def test_astronomical_grid_is_refused_without_computing_it(tmp_path):
    """70 keys of 2 values: 2^70 cases; the count is never multiplied out in full."""
    keys = "\n".join(f"  k{i}: [0, 1]" for i in range(70))
    path = _write(tmp_path, f"grid:\n{keys}\n")
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        read_sweep(path)
    assert time.perf_counter() - start < 1.0
    assert "more than 10^18 cases (70 grid keys)" in err.value.message
    assert "and 62 more keys" in err.value.message


def test_cases_list_over_the_cap(tmp_path):
    cases = "\n".join(f"  - {{name: c{i}}}" for i in range(2_501))
    path = _write(tmp_path, f"engines: [assess, simulate, risk, plan]\ncases:\n{cases}\n")
    with pytest.raises(InputError) as err:
        read_sweep(path)
    assert "2,501 cases × 4 engines = 10,004 tasks" in err.value.message
    assert "line 2" in err.value.message


@pytest.mark.parametrize(
    ("text", "line", "needles"),
    [
        ("name: a\nengines: [assess]\nname: b\n", 3, ["gives the key 'name' twice", "line 1"]),
        (
            "grid:\n  deadline: [2028]\n  deadline: [2029]\n",
            3,
            ["gives the key 'deadline' twice"],
        ),
        ("name: s\n\nengines: [assess]\nriks: {draws: 3}\n", 4, ["field 'riks'", "unknown field"]),
        (
            "engines: [risk]\nrisk:\n  draws: 100\n  seeds: 3\n",
            4,
            ["field 'risk.seeds'", "unknown field"],
        ),
        ("engines: [risk]\nrisk: {draws: .nan}\n", 2, ["field 'risk.draws'", "finite"]),
        ("engines: [risk]\nrisk: {draws: .inf}\n", 2, ["field 'risk.draws'", "finite"]),
        ("engines: [risk]\nrisk: {draws: 1000001}\n", 2, ["field 'risk.draws'", "100000"]),
        ("engines: [plan]\nplan: {time_limit: .inf}\n", 2, ["field 'plan.time_limit'", "finite"]),
        ("engines: [plan]\nplan: {time_limit: 86400}\n", 2, ["field 'plan.time_limit'", "3600"]),
        ("engines: [plan]\nplan: {time_limit: 0}\n", 2, ["field 'plan.time_limit'"]),
        ("seed: 9223372036854775808\n", 1, ["field 'seed'", "below 9223372036854775808"]),
        ("seed: -1\n", 1, ["field 'seed'"]),
        ("engines: [assess, risk, assess]\n", 1, ["field 'engines.2'", "twice"]),
        ("cases:\n  - {name: a}\n  - {name: a}\n", 3, ["field 'cases.1.name'", "twice"]),
        ('cases:\n  - {name: "red\\e[31m"}\n', 2, ["field 'cases.0.name'", "control"]),
        ("grid:\n  deadline: []\n", 2, ["field 'grid.deadline'", "no values"]),
        ("grid: {deadline: [2028]}\ncases: [{name: x}]\n", 2, ["field 'cases'", "either"]),
        ("- just\n- a list\n", 1, ["not a mapping"]),
        ("grid:\n  deadline: &d [2028]\n  horizon: *d\n", 3, ["alias"]),
    ],
)
def test_bad_sweep_layout_and_option_bounds(tmp_path, text, line, needles):
    proc, path, db = _sweep(tmp_path, text)
    assert proc.returncode == 2, proc.stderr
    msg = _one_paragraph(proc.stderr)
    assert msg.startswith(f"error: {path}, line {line}:"), msg
    for needle in needles:
        assert needle in msg
    assert _runs(db) == 0


def test_sweep_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError) as err:
        read_sweep(path)
    assert "cannot be read" in err.value.message and "UTF-8" in err.value.message


def test_bounds_admit_the_largest_allowed_values(tmp_path):
    """The bounds refuse only what is beyond them: the limits themselves pass."""
    text = (
        "engines: [risk, plan]\nrisk: {draws: 100000}\nplan: {time_limit: 3600}\n"
        "seed: 9223372036854775807\n"
    )
    sweep, tasks = load_sweep(_write(tmp_path, text))
    assert sweep.risk.draws == 100_000 and sweep.plan.time_limit == 3600
    assert len(tasks) == 2


def test_expansion_keeps_task_ids_and_lines(tmp_path):
    """Checking cases changes nothing a stored sweep depends on: ids come from engine,
    scenario, options and seed as before; each task knows its case's line."""
    text = "engines: [assess]\ncases:\n  - {name: a, set: {deadline: 2028}}\n  - {name: b}\n"
    _, tasks = load_sweep(_write(tmp_path, text))
    assert [t.case for t in tasks] == ["a", "b"]
    assert [t.line for t in tasks] == [3, 4]
    assert tasks[0].scenario["deadline"] == 2028
    assert tasks[0].scenario["name"] == "baseline-2027-blunt [a]"


def test_progress_is_shown_for_many_cases_and_silent_with_json(tmp_path, monkeypatch):
    """2,000+ cases show a progress bar on stderr while they are checked; --json stays quiet."""
    import burdenshift.cli as cli

    values = ", ".join(f"{0.5 + i / 1000:.3f}" for i in range(50))
    shares = ", ".join(f"{0.3 + i / 1000:.3f}" for i in range(50))
    text = f"grid:\n  budget.multiplier: [{values}]\n  target_share: [{shares}]\n"
    path = _write(tmp_path, text)
    db = tmp_path / "store.duckdb"
    seen: list[tuple[int, str, bool, int]] = []
    real = cli._progress

    def spy(total: int, what: str, quiet: bool, minimum: int = 5_000):
        seen.append((total, what, quiet, minimum))
        return real(total, what, quiet, minimum)

    def no_run(tasks, *args, **kwargs):
        failed = {"index": 0, "case": "c", "engine": "assess", "line": 2, "kind": "input"}
        failed |= {"problem": "stopped by the test", "field": None, "fix": None}
        raise SweepFailed([failed], 0, len(tasks))

    monkeypatch.setattr(cli, "_progress", spy)
    monkeypatch.setattr("burdenshift.sweep.runner.run_sweep", no_run)
    for flag in ([], ["--json"]):
        with pytest.raises(InputError, match="stopped by the test"):
            CliRunner().invoke(
                cli.app, ["sweep", str(path), "--db", str(db), *flag], catch_exceptions=False
            )
    checks = [s for s in seen if s[1] == "checking cases"]
    assert checks == [
        (2_500, "checking cases", False, 2_000),
        (2_500, "checking cases", True, 2_000),
    ]
    assert _runs(db) == 0


def _failing_run_task(bad_index: int, exc: Exception):
    real = sweep_tasks.run_task

    def run_task(task, data=None, solvers=None):
        if task["index"] == bad_index:
            raise exc
        return real(task, data, solvers)

    return run_task


GOOD = "engines: [assess]\ncases:\n  - {name: a}\n  - {name: b, set: {deadline: 2028}}\n" + (
    "  - {name: c, set: {deadline: 2029}}\n"
)


@pytest.mark.parametrize(
    ("exc", "code", "needles"),
    [
        (RuntimeError("solver exploded\nsecond line"), 1, ["internal error:", "RuntimeError"]),
        (MemoryError(), 1, ["error:", "ran out of memory", "fewer workers"]),
        (InputError("a figure is off", field="budget.multiplier", fix="lower it"), 2, []),
    ],
)
def test_failed_task_is_one_paragraph_and_finished_tasks_stay(
    tmp_path, monkeypatch, exc, code, needles
):
    """A task that raises in a worker: no traceback, the task named, the others stored, and a
    rerun (once the cause is gone) runs only the failed task."""
    import burdenshift.cli as cli

    path = _write(tmp_path, GOOD)
    db = tmp_path / "store.duckdb"
    monkeypatch.setattr(sweep_tasks, "run_task", _failing_run_task(1, exc))
    args = ["sweep", str(path), "--db", str(db), "--workers", "0", "--json"]
    result = CliRunner().invoke(cli.app, args)
    if code == 2:
        assert isinstance(result.exception, InputError)
        msg = result.exception.message
        assert msg.startswith(f"{path}, line 4: field 'budget.multiplier':")
        assert "a figure is off" in msg and "Fix: lower it, then rerun" in msg
    else:
        assert result.exit_code == code, result.output
        msg = result.stderr
        assert "Traceback" not in msg and msg.strip().count("\n") == 0
        for needle in needles:
            assert needle in msg
        assert "second line" not in msg
    assert "task 1 (case 'b', engine assess) failed" in msg
    assert "2 of 3 tasks are stored" in msg
    assert _runs(db) == 2
    monkeypatch.undo()
    proc = run_cli("sweep", str(path), "--db", str(db), "--workers", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["skipped"], report["ran"]) == (2, 1)
    assert _runs(db) == 3


def test_run_sweep_reports_every_failure_after_storing_the_rest(tmp_path, monkeypatch):
    _, tasks = load_sweep(_write(tmp_path, GOOD))
    monkeypatch.setattr(sweep_tasks, "run_task", _failing_run_task(2, ValueError("boom")))
    db = tmp_path / "store.duckdb"
    with pytest.raises(SweepFailed) as err:
        run_sweep(tasks, Store(db), workers=0)
    assert not err.value.input_only
    (failure,) = err.value.failures
    assert failure["index"] == 2 and failure["case"] == "c" and failure["line"] == 5
    assert failure["problem"] == "ValueError: boom"
    assert (err.value.stored, err.value.total) == (2, 3)
    assert _runs(db) == 2


def test_a_dead_worker_is_a_failure_record_not_a_traceback(tmp_path):
    """Dask re-raises whatever ended a worker (KilledWorker, a lost connection): the runner turns
    it into the chain's first task failing."""
    _, tasks = load_sweep(_write(tmp_path, GOOD))

    class KilledWorker(Exception):
        pass

    def result():
        raise KilledWorker("worker tcp://127.0.0.1:1 died")

    (out,) = _outputs(SimpleNamespace(result=result), tasks[1:2])
    assert out["failed"]["index"] == 1 and out["failed"]["kind"] == "internal"
    assert out["failed"]["problem"] == "KilledWorker: worker tcp://127.0.0.1:1 died"


def test_failure_in_a_dask_worker_comes_back_as_data(tmp_path):
    """The real Dask path: every task fails in its worker (the data folder vanished after the
    check) and the runner reports them, with no worker traceback and nothing stored."""
    _, tasks = load_sweep(_write(tmp_path, GOOD))
    db = tmp_path / "store.duckdb"
    with pytest.raises(SweepFailed) as err:
        run_sweep(tasks, Store(db), workers=2, data=str(tmp_path / "gone"))
    assert err.value.input_only
    assert [f["index"] for f in err.value.failures] == [0, 1, 2]
    assert "gone" in err.value.failures[0]["problem"]
    assert _runs(db) == 0
