"""The run store on damaged and foreign files: every failure is one clear paragraph (exit 2,
the file, the problem and a fix), nothing is written into a file that is not a burdenshift
store, and export paths never reach SQL unquoted (issue 10, item 10)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from burdenshift.store.database import Store
from tests.conftest import TINY, run_cli

TINY_SCENARIO = "horizon: [2026, 2028]\ndeadline: 2027\n"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    sc = tmp_path_factory.mktemp("sc") / "s.yaml"
    sc.write_text(TINY_SCENARIO)
    return sc


@pytest.fixture(scope="module")
def good_store(tmp_path_factory, scenario_file) -> tuple[Path, str]:
    """A real store with one assess run in it, built through the CLI."""
    db = tmp_path_factory.mktemp("good") / "good.duckdb"
    proc = run_cli("assess", "--data", str(TINY), "--scenario", str(scenario_file), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    (run,) = Store(db).runs()
    return db, run["run_id"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def assert_clean_error(proc, path: Path, fix_contains: str | None = None) -> str:
    """Exit 2, one paragraph naming the file with a fix, and no traceback."""
    err = proc.stderr.strip()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and path.name in err and "Fix: " in err, err
    if fix_contains is not None:
        assert fix_contains in err.split("Fix: ", 1)[1], err
    return err


def _edit(db: Path, *statements: str) -> None:
    import duckdb

    con = duckdb.connect(str(db))
    try:
        for stmt in statements:
            con.execute(stmt)
    finally:
        con.close()


def _truncate(at: int):
    def damage(db: Path) -> None:
        os.truncate(db, at)

    return damage


def _overwrite(at: int, n: int):
    def damage(db: Path) -> None:
        data = bytearray(db.read_bytes())
        data[at : at + n] = b"\xff" * n
        db.write_bytes(bytes(data))

    return damage


def _sql(*statements: str):
    return lambda db: _edit(db, *statements)


# every damage breaks every command; the file name holds "lock" so that a damaged file could
# not pass for a locked one by a substring of its path
BROKEN = {
    "truncated-in-a-block": (_truncate(5000), "damaged"),
    "truncated-in-the-header": (_truncate(100), "damaged"),
    "truncated-to-6-bytes": (_truncate(6), "not a DuckDB file"),
    "checksum-mismatch": (_overwrite(4096, 8192), "damaged"),
    "header-overwritten": (_overwrite(0, 16), "not a DuckDB file"),
    "schema-version-abc": (_sql("UPDATE meta SET value = 'abc'"), "'abc', not a number"),
    "schema-version-row-missing": (_sql("DELETE FROM meta"), "schema_version is missing"),
    "meta-dropped": (_sql("DROP TABLE meta"), "schema_version is missing"),
    "runs-dropped": (_sql("DROP TABLE runs"), "runs are missing"),
    "results-dropped": (_sql("DROP TABLE results"), "results are missing"),
    "payloads-dropped": (_sql("DROP TABLE payloads"), "payloads are missing"),
    "column-dropped": (_sql("ALTER TABLE runs DROP COLUMN task_id"), "lacks column(s) task_id"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("command", ["list", "show", "assess"])
def test_damaged_store_is_one_clear_error(tmp_path, good_store, scenario_file, case, command):
    damage, says = BROKEN[case]
    db = tmp_path / "unlocked-store.duckdb"
    shutil.copy(good_store[0], db)
    damage(db)
    before, names = _digest(db), _files(tmp_path)
    args = {
        "list": ["runs", "list"],
        "show": ["runs", "show", good_store[1]],
        "assess": ["assess", "--data", str(TINY), "--scenario", str(scenario_file)],
    }[command]
    proc = run_cli(*args, "--db", str(db))
    err = assert_clean_error(proc, db)
    assert says in err
    assert "wait for the other" not in err  # the fix for a lock, not for a damaged file
    assert "kept as run" not in proc.stderr
    assert _digest(db) == before and _files(tmp_path) == names  # nothing written


@pytest.mark.parametrize("column", ["payloads.json", "runs.applied_json"])
def test_bad_json_names_the_run_and_how_to_remove_it(tmp_path, good_store, column):
    db = tmp_path / "runs.duckdb"
    shutil.copy(good_store[0], db)
    table, field = column.split(".")
    _edit(db, f"UPDATE {table} SET {field} = '{{not json'")
    listed = run_cli("runs", "list", "--json", "--db", str(db))
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1
    err = assert_clean_error(run_cli("runs", "show", good_store[1], "--db", str(db)), db)
    assert good_store[1] in err and f"runs delete {good_store[1]}" in err
    # the named fix works
    assert run_cli("runs", "delete", good_store[1], "--db", str(db)).returncode == 0
    assert Store(db).runs() == []


def test_missing_payload_row_is_named(tmp_path, good_store):
    db = tmp_path / "runs.duckdb"
    shutil.copy(good_store[0], db)
    _edit(db, "DELETE FROM payloads")
    err = assert_clean_error(run_cli("runs", "show", good_store[1], "--db", str(db)), db)
    assert "cannot be read" in err


def test_other_programs_duckdb_is_refused_and_left_alone(tmp_path, scenario_file):
    import duckdb

    db = tmp_path / "other-app.duckdb"
    _edit(
        db,
        "CREATE TABLE customers (id INTEGER, name VARCHAR)",
        "INSERT INTO customers VALUES (1, 'a')",
    )
    before = _digest(db)
    for args in (
        ["assess", "--data", str(TINY), "--scenario", str(scenario_file)],
        ["runs", "list"],
    ):
        err = assert_clean_error(run_cli(*args, "--db", str(db)), db)
        assert "another program" in err and "customers" in err
    assert _digest(db) == before
    con = duckdb.connect(str(db), read_only=True)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    con.close()
    assert tables == {"customers"}


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    "make, says",
    [
        (lambda p: p.write_text("these are my notes\n" * 20), "a text file"),
        (_sqlite, "a SQLite database"),
        (lambda p: p.write_bytes(bytes(range(256)) * 4), "header is not DuckDB's"),
    ],
    ids=["text", "sqlite", "binary"],
)
def test_a_file_that_is_not_duckdb_is_refused_unopened(tmp_path, scenario_file, make, says):
    db = tmp_path / "store.duckdb"
    make(db)
    before, names = _digest(db), _files(tmp_path)
    proc = run_cli("assess", "--data", str(TINY), "--scenario", str(scenario_file), "--db", str(db))
    err = assert_clean_error(proc, db)
    assert "not a burdenshift run store" in err and says in err
    assert _digest(db) == before and _files(tmp_path) == names


def test_an_empty_file_or_a_new_path_becomes_a_store(tmp_path, scenario_file):
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    listed = run_cli("runs", "list", "--db", str(empty))
    assert_clean_error(listed, empty, fix_contains="run an engine first")
    for db in (empty, tmp_path / "new.duckdb"):
        proc = run_cli(
            "assess", "--data", str(TINY), "--scenario", str(scenario_file), "--db", str(db)
        )
        assert proc.returncode == 0, proc.stderr
        assert len(Store(db).runs()) == 1
    assert not [n for n in _files(tmp_path) if n.startswith(".")]  # no staging file left


def test_store_in_a_missing_folder_fails_before_the_engine(tmp_path, scenario_file):
    db = tmp_path / "missing-folder" / "m.duckdb"
    proc = run_cli("risk", "--data", str(TINY), "--scenario", str(scenario_file), "--db", str(db))
    assert_clean_error(proc, db, fix_contains="create the folder")
    assert not db.parent.exists()


def test_a_folder_as_store_is_refused(tmp_path):
    err = assert_clean_error(run_cli("runs", "list", "--db", str(tmp_path)), tmp_path)
    assert "is a folder" in err


def test_lock_is_told_apart_from_damage(tmp_path, good_store):
    """The lock message keeps its 'wait' fix; the damage message (above) never has it."""
    import subprocess

    db = tmp_path / "runs.duckdb"
    shutil.copy(good_store[0], db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        from burdenshift.errors import InputError

        with pytest.raises(InputError) as exc:
            Store(db, wait=0.3).runs()
        assert "busy" in exc.value.problem and "wait for the other" in (exc.value.fix or "")
        assert "damaged" not in exc.value.message
    finally:
        holder.kill()
        holder.communicate()


@pytest.mark.parametrize(
    "name", ["o'brien.csv", "'; DROP TABLE runs; --.csv", "it's'; DROP TABLE runs; --.parquet"]
)
def test_export_path_with_quotes_is_quoted_not_executed(tmp_path, good_store, name):
    import duckdb

    db = tmp_path / "runs.duckdb"
    shutil.copy(good_store[0], db)
    target = tmp_path / name
    fmt = "parquet" if name.endswith(".parquet") else "csv"
    proc = run_cli("runs", "export", good_store[1], f"--{fmt}", str(target), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert target.exists()
    con = duckdb.connect()
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    n = con.execute(f"SELECT count(*) FROM {reader}(?)", [str(target)]).fetchall()[0][0]
    con.close()
    store = Store(db)
    assert n == len(store.results(good_store[1])) > 0
    assert [r["run_id"] for r in store.runs()] == [good_store[1]]  # runs still there
    assert not [p for p in _files(tmp_path) if p.endswith(".tmp")]


def test_export_to_a_missing_folder_writes_nothing(tmp_path, good_store):
    target = tmp_path / "nope" / "x.csv"
    proc = run_cli(
        "runs", "export", good_store[1], "--csv", str(target), "--db", str(good_store[0])
    )
    assert_clean_error(proc, target, fix_contains="create the folder")
    assert not target.parent.exists()


# -- fuzz ------------------------------------------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    """The CLI in this process (a subprocess per example would cost a second each)."""
    from burdenshift.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["burdenshift", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.argv = argv
    return code, err.getvalue()


damage = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(b"")),
    st.tuples(st.just("flip"), st.floats(0, 1), st.binary(min_size=1, max_size=64)),
)


@settings(
    max_examples=int(os.environ.get("FUZZ_SCALE", "1")) * 20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(how=damage)
def test_fuzz_corrupted_store_works_or_fails_cleanly(good_store, how):
    """Truncate a real store at a random offset or overwrite random bytes: `runs list` and
    `runs show` either work or exit 2 with one paragraph, never a traceback."""
    kind, where, junk = how
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "fuzzed.duckdb"
        shutil.copy(good_store[0], db)
        size = db.stat().st_size
        at = int(where * size)
        if kind == "truncate":
            os.truncate(db, at)
        else:
            data = bytearray(db.read_bytes())
            data[at : at + len(junk)] = junk
            db.write_bytes(bytes(data[:size]))
        for args in (["runs", "list", "--json"], ["runs", "show", good_store[1], "--json"]):
            code, err = _cli(*args, "--db", str(db))
            assert code in (0, 2), (how, err)
            if code == 2:
                line = err.strip()
                assert len(line.splitlines()) == 1 and "Fix: " in line and db.name in line, line


def test_threads_creating_a_store_at_once_lose_nothing(tmp_path, good_store):
    """The web server saves from threads: the first saves into a new file race to create the
    schema, which DuckDB reports as a write-write conflict unless one thread creates it."""
    import threading

    payload = Store(good_store[0]).payload(good_store[1])
    store = Store(tmp_path / "new.duckdb")
    errors: list[BaseException] = []

    def save() -> None:
        try:
            store.save("assess", payload, 0.0)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(store.runs()) == 6
