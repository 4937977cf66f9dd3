"""The run store: round trip, a crash mid-write, two writers at once, schema versions, export."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from burdenshift.errors import InputError
from burdenshift.store.database import SCHEMA_VERSION, Store
from burdenshift.store.records import rows_for
from tests.conftest import TINY, run_cli

TINY_SCENARIO = "horizon: [2026, 2028]\ndeadline: 2027\n"


@pytest.fixture(scope="module")
def assess_payload(tmp_path_factory):
    sc = tmp_path_factory.mktemp("sc") / "s.yaml"
    sc.write_text(TINY_SCENARIO)
    proc = run_cli("assess", "--data", str(TINY), "--scenario", str(sc), "--json", "--no-store")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_round_trip(tmp_path, assess_payload):
    store = Store(tmp_path / "runs.duckdb")
    run_id = store.save("assess", assess_payload, 0.5)
    assert store.payload(run_id) == assess_payload
    info = store.run(run_id)
    assert info["engine"] == "assess" and info["scenario"] == assess_payload["run"]["scenario"]
    assert info["data_hash"] == assess_payload["run"]["data_hash"]
    assert info["applied"] == assess_payload["run"]["applied"]
    rows = store.results(run_id)
    assert len(rows) == info["result_rows"] == len(rows_for("assess", assess_payload))
    shares = {(r[0], r[5]): r[6] for r in rows}
    tank = next(a for a in assess_payload["areas"] if a["area"] == "air_refuelling")
    assert shares["air_refuelling", "share_at_deadline_max_ramp"] == pytest.approx(
        tank["share_at_deadline_max_ramp"]
    )
    assert [r["run_id"] for r in store.runs()] == [run_id]


def test_crash_mid_write_leaves_no_trace(tmp_path, assess_payload):
    store = Store(tmp_path / "runs.duckdb")
    kept = store.save("assess", assess_payload, 0.1)
    with pytest.raises(RuntimeError):
        store.save("assess", assess_payload, 0.1, _fail_after_results=True)
    assert [r["run_id"] for r in store.runs()] == [kept]
    assert len(store.results(kept)) == len(rows_for("assess", assess_payload))
    # the store is still writable and consistent
    again = store.save("assess", assess_payload, 0.1)
    assert {r["run_id"] for r in store.runs()} == {kept, again}


WRITER = """
import json, sys
from pathlib import Path
from burdenshift.store.database import Store
payload = json.loads(Path(sys.argv[2]).read_text())
store = Store(Path(sys.argv[1]))
for _ in range(5):
    store.save("assess", payload, 0.0)
"""


def test_two_writers_at_once_lose_nothing(tmp_path, assess_payload):
    db = tmp_path / "runs.duckdb"
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(assess_payload))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), str(payload)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    runs = Store(db).runs()
    assert len(runs) == 10 and len({r["run_id"] for r in runs}) == 10
    for r in runs:
        assert Store(db).payload(r["run_id"]) == assess_payload


def test_busy_store_gives_up_with_a_clear_message(tmp_path, assess_payload):
    import duckdb

    db = tmp_path / "runs.duckdb"
    Store(db).save("assess", assess_payload, 0.0)
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
        with pytest.raises(InputError) as err:
            Store(db, wait=0.5).save("assess", assess_payload, 0.0)
        assert "busy" in err.value.problem and err.value.fix
    finally:
        holder.kill()
        holder.communicate()
    assert duckdb  # imported only to state the dependency of this test


def test_newer_schema_is_refused(tmp_path, assess_payload):
    import duckdb

    db = tmp_path / "runs.duckdb"
    Store(db).save("assess", assess_payload, 0.0)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(InputError) as err:
        Store(db).runs()
    assert "schema version" in err.value.problem and "upgrade" in (err.value.fix or "")


def test_export_csv_and_parquet(tmp_path, assess_payload):
    import duckdb

    store = Store(tmp_path / "runs.duckdb")
    run_id = store.save("assess", assess_payload, 0.0)
    store.export(run_id, tmp_path / "r.csv", "csv")
    with open(tmp_path / "r.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(store.results(run_id))
    assert set(rows[0]) == {
        "run_id",
        "area",
        "ally",
        "system",
        "line",
        "year",
        "metric",
        "value",
        "unit",
    }
    store.export(run_id, tmp_path / "r.parquet", "parquet")
    n = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'r.parquet'}'").fetchall()[0][0]
    assert n == len(rows)
    # pandas reads it with the installed packages, and the run rides along as metadata
    import json

    import pandas as pd
    import pyarrow.parquet as pq

    table = pd.read_parquet(tmp_path / "r.parquet", dtype_backend="numpy_nullable")
    assert len(table) == n and str(table["year"].dtype) == "Int32"
    meta = json.loads(pq.read_schema(tmp_path / "r.parquet").metadata[b"burdenshift"])
    assert meta["run_id"] == run_id and meta["engine"] == "assess"


def test_runs_cli_lists_assess_plan_and_risk(tmp_path):
    env = {"BURDENSHIFT_DB": str(tmp_path / "cli.duckdb")}
    sc = tmp_path / "s.yaml"
    sc.write_text(TINY_SCENARIO)
    common = ["--data", str(TINY), "--scenario", str(sc)]
    for args in (["assess"], ["plan"], ["risk", "--draws", "200"]):
        proc = run_cli(*args, *common, env=env)
        assert proc.returncode == 0, proc.stderr
        assert "kept as run" in proc.stderr
    listed = json.loads(run_cli("runs", "list", "--json", env=env).stdout)
    assert [r["engine"] for r in listed] == ["assess", "plan", "risk"]
    shown = json.loads(run_cli("runs", "show", listed[2]["run_id"], "--json", env=env).stdout)
    assert shown["seed"] == 2027 and shown["result"]["draws"] == 200
    gone = run_cli("runs", "delete", listed[0]["run_id"], env=env)
    assert gone.returncode == 0
    assert len(json.loads(run_cli("runs", "list", "--json", env=env).stdout)) == 2
    missing = run_cli("runs", "show", "nope", env=env)
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr
