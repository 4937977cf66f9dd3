"""Exit 2 leaves nothing behind: output paths are checked before any engine runs or any run
is kept (issue 10, item 8), and user text in a name never acts on the terminal (item 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from burdenshift.store.database import Store
from tests.conftest import TINY, run_cli
from tests.test_store_damage import assert_clean_error

EVIL = "x\x1b[2J\x1b]0;t\x07\x9b1m\u202e [red]r[/red] [link=https://e.x]l[/link] :warning:"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    sc = tmp_path_factory.mktemp("sc") / "s.yaml"
    sc.write_text("horizon: [2026, 2028]\ndeadline: 2027\n")
    return sc


def _common(sc: Path, db: Path) -> list[str]:
    return ["--data", str(TINY), "--scenario", str(sc), "--db", str(db)]


def _run_ids(db: Path) -> list[str]:
    return [r["run_id"] for r in Store(db).runs()] if db.exists() else []


@pytest.mark.parametrize(
    "target, says",
    [
        ("missing-folder/x.csv", "the folder does not exist"),
        (".", "is a folder"),
        ("runs.duckdb", "is the run store itself"),
    ],
)
@pytest.mark.parametrize("existing_store", [False, True])
def test_simulate_bad_csv_stores_nothing(tmp_path, scenario_file, target, says, existing_store):
    db = tmp_path / "runs.duckdb"
    if existing_store:
        ok = run_cli("assess", *_common(scenario_file, db))
        assert ok.returncode == 0, ok.stderr
    before = _run_ids(db)
    csv = tmp_path / target
    proc = run_cli("simulate", *_common(scenario_file, db), "--csv", str(csv))
    err = assert_clean_error(proc, csv)
    assert says in err and "--csv" in err
    assert _run_ids(db) == before
    assert db.exists() == existing_store  # a missing store is not even created
    assert not (tmp_path / "missing-folder").exists()


def test_a_failed_write_after_storing_removes_the_run(tmp_path, scenario_file, monkeypatch):
    """If the CSV cannot be written after all (the folder vanished, the disk filled), the run
    kept a moment before is deleted again."""
    from typer.testing import CliRunner

    from burdenshift import cli
    from burdenshift.errors import InputError

    db = tmp_path / "runs.duckdb"
    calls: list[Path] = []

    def fail(path: Path, rows, run, run_id) -> None:
        calls.append(path)
        raise InputError("disk full", file=str(path), fix="free some space")

    monkeypatch.setattr(cli, "_write_csv", fail)
    result = CliRunner().invoke(
        cli.app, ["simulate", *_common(scenario_file, db), "--csv", str(tmp_path / "x.csv")]
    )
    assert isinstance(result.exception, InputError) and calls
    assert db.exists() and _run_ids(db) == []


def test_assess_into_a_missing_folder_fails_before_running(tmp_path, scenario_file):
    db = tmp_path / "no" / "m.duckdb"
    proc = run_cli("assess", *_common(scenario_file, db))
    assert_clean_error(proc, db)
    assert not db.parent.exists()


@pytest.fixture(scope="module")
def kept(tmp_path_factory, scenario_file) -> tuple[Path, str]:
    db = tmp_path_factory.mktemp("kept") / "runs.duckdb"
    proc = run_cli("assess", *_common(scenario_file, db))
    assert proc.returncode == 0, proc.stderr
    return db, _run_ids(db)[0]


@pytest.mark.parametrize(
    "bad",
    [
        ["--html", "nofolder/r.html"],
        ["--html", "OK/r.html", "--md", "nofolder/r.md"],
        ["--html", "OK/r.html", "--png", "OK/r.html"],
    ],
    ids=["html", "md", "png-is-a-file"],
)
def test_report_checks_every_output_before_writing_any(tmp_path, kept, bad):
    (tmp_path / "OK").mkdir()
    (tmp_path / "OK" / "r.html").write_text("an older page")  # must stay untouched
    args = [str(tmp_path / a) if not a.startswith("--") else a for a in bad]
    proc = run_cli("report", kept[1], *args, "--db", str(kept[0]))
    assert_clean_error(proc, Path(args[-1]))
    assert (tmp_path / "OK" / "r.html").read_text() == "an older page"
    assert sorted(p.name for p in (tmp_path / "OK").iterdir()) == ["r.html"]
    assert not (tmp_path / "nofolder").exists()


def test_compare_checks_html_before_reading(tmp_path, kept):
    html = tmp_path / "nofolder" / "c.html"
    proc = run_cli("compare", kept[1], "nope", "--html", str(html), "--db", str(kept[0]))
    assert_clean_error(proc, html)  # the path is refused, not the unknown run


# -- terminal safety -------------------------------------------------------------------------


def test_clean_shows_every_control_character_and_keeps_the_rest():
    from burdenshift.tables import clean

    for code in [*range(0x20), *range(0x7F, 0xA0), 0x202E, 0x2066, 0x2028]:
        out = clean(f"a{chr(code)}b")
        assert chr(code) not in out and out.startswith("a") and out.endswith("b")
    assert clean("x\x1b[2J") == "x\\x1b[2J"
    text = "Ünïcode – naïve 日本 [bold] 50 %"
    assert clean(text) == text


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory) -> tuple[Path, str, str]:
    folder = tmp_path_factory.mktemp("evil")
    sc = folder / "evil.yaml"
    sc.write_text(
        f"name: {json.dumps(EVIL)}\nhorizon: [2026, 2028]\ndeadline: 2027\n", encoding="utf-8"
    )
    db = folder / "runs.duckdb"
    proc = run_cli("assess", *_common(sc, db))
    assert proc.returncode == 0, proc.stderr
    return db, _run_ids(db)[0], proc.stdout


def _assert_inert(stdout: str) -> None:
    for bad in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert bad not in stdout
    flat = "".join(stdout.split())  # a table may wrap a name at its spaces
    assert "\\x1b[2J" in flat and "\\u202e" in flat  # shown, not acted on
    for literal in ("[red]r[/red]", "[link=https://e.x]l[/link]", ":warning:"):
        assert literal in flat  # markup and emoji codes printed as typed
    assert "⚠" not in stdout


def test_assess_prints_a_hostile_name_inert(evil_run):
    _assert_inert(evil_run[2])


def test_runs_list_and_show_print_a_hostile_name_inert(evil_run):
    db, run_id, _ = evil_run
    for args in (["runs", "list"], ["runs", "show", run_id]):
        proc = run_cli(*args, "--db", str(db))
        assert proc.returncode == 0, proc.stderr
        _assert_inert(proc.stdout)


def test_an_unknown_run_id_is_quoted_inert(kept):
    proc = run_cli("runs", "show", "a\x1b[2Jb", "--db", str(kept[0]))
    assert proc.returncode == 2 and "\x1b" not in proc.stderr and "\\x1b" in proc.stderr
