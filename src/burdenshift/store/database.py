"""The run store: one DuckDB file. The only module that imports duckdb.

Tables (schema version in `meta`):
  runs(run_id, engine, created_at, version, scenario, scenario_hash, applied_json, data_hash,
       seed, status, wall_time_s, task_id)
  results(run_id, area, ally, system, line, year, metric, value, unit)   -- long
  payloads(run_id, json)                                                 -- the full output

Each run is written in one transaction: a failure part-way leaves no trace of it. DuckDB lets
one process write a file at a time; a second writer waits and retries, then gives up with a
clear message.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from burdenshift.errors import InputError
from burdenshift.store.records import rows_for

SCHEMA_VERSION = 1
DEFAULT_PATH = "burdenshift.duckdb"
ENV = "BURDENSHIFT_DB"
WAIT_SECONDS = 30.0

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, engine VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        version VARCHAR, scenario VARCHAR, scenario_hash VARCHAR, applied_json VARCHAR,
        data_hash VARCHAR, seed BIGINT, status VARCHAR, wall_time_s DOUBLE, task_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS results (
        run_id VARCHAR NOT NULL, area VARCHAR, ally VARCHAR, system VARCHAR, line VARCHAR,
        year INTEGER, metric VARCHAR NOT NULL, value DOUBLE, unit VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS payloads (run_id VARCHAR PRIMARY KEY, json VARCHAR NOT NULL)",
]


@dataclass(frozen=True)
class NewRun:
    """A run to store: the engine's JSON payload and how long it took."""

    engine: str
    payload: dict[str, Any]
    wall_time_s: float
    status: str = "ok"
    task_id: str | None = None


RESULT_COLUMNS = ["run_id", "area", "ally", "system", "line", "year", "metric", "value", "unit"]
MIGRATIONS: dict[int, list[str]] = {}
"""Statements that bring a file from version v to v + 1."""


def db_path(option: Path | None) -> Path:
    return option or Path(os.environ.get(ENV, DEFAULT_PATH))


class Store:
    def __init__(self, path: Path, wait: float = WAIT_SECONDS) -> None:
        self.path = path
        self.wait = wait

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[Any]:
        import duckdb

        if read_only and not self.path.exists():
            raise InputError(
                "the run store does not exist yet",
                file=str(self.path),
                fix="run an engine first (e.g. `burdenshift assess`) or give --db PATH",
            )
        deadline = time.monotonic() + self.wait
        delay = 0.05
        while True:
            try:
                # always read-write: DuckDB refuses a second connection to the same file with
                # another configuration in one process (a web server reads and writes at once)
                con = duckdb.connect(str(self.path))
                break
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise InputError(
                        f"the run store is busy or unreadable ({str(exc).splitlines()[0]})",
                        file=str(self.path),
                        fix="wait for the other burdenshift process to finish, or use --db "
                        "with another file",
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            if not read_only:
                self._ensure_schema(con)
            else:
                self._check_version(con)
            yield con
        finally:
            con.close()

    def _ensure_schema(self, con: Any) -> None:
        for stmt in SCHEMA[:1]:
            con.execute(stmt)
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            con.execute("BEGIN TRANSACTION")
            for stmt in SCHEMA[1:]:
                con.execute(stmt)
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            con.execute("COMMIT")
            return
        version = int(row[0])
        while version < SCHEMA_VERSION:
            if version not in MIGRATIONS:
                self._refuse(version)
            con.execute("BEGIN TRANSACTION")
            for stmt in MIGRATIONS[version]:
                con.execute(stmt)
            version += 1
            con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
            con.execute("COMMIT")
        if version > SCHEMA_VERSION:
            self._refuse(version)

    def _check_version(self, con: Any) -> None:
        try:
            row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except Exception:
            row = None
        if row is None:
            raise InputError(
                "is not a burdenshift run store",
                file=str(self.path),
                fix="give the path of a file written by burdenshift (--db PATH)",
            )
        if int(row[0]) != SCHEMA_VERSION:
            if int(row[0]) < SCHEMA_VERSION and int(row[0]) in MIGRATIONS:
                with self._connect() as _:
                    return  # opening for writing migrates it
            self._refuse(int(row[0]))

    def _refuse(self, version: int) -> None:
        newer = version > SCHEMA_VERSION
        raise InputError(
            f"the run store has schema version {version}; this burdenshift reads version "
            f"{SCHEMA_VERSION}",
            file=str(self.path),
            fix="upgrade burdenshift"
            if newer
            else "export the old runs with the burdenshift "
            "that wrote them, or start a new store with --db PATH",
        )

    # -- writing ---------------------------------------------------------------------------
    def save(
        self,
        engine: str,
        payload: dict[str, Any],
        wall_time_s: float,
        status: str = "ok",
        task_id: str | None = None,
        _fail_after_results: bool = False,
    ) -> str:
        """Store one run atomically; returns its id."""
        new = NewRun(engine, payload, wall_time_s, status, task_id)
        return self.save_many([new], _fail_after_results)[0]

    def save_many(self, new: list[NewRun], _fail_after_results: bool = False) -> list[str]:
        """Store runs in one transaction, all or none; returns their ids. A sweep keeps the
        tasks that finished together in one write."""
        import pandas as pd

        stamp = datetime.now(UTC)
        ids = [stamp.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3) for _ in new]
        runs, rows = [], []
        for run_id, r in zip(ids, new, strict=True):
            info = r.payload.get("run", {})
            runs.append(
                [
                    run_id,
                    r.engine,
                    stamp.replace(tzinfo=None),
                    info.get("version"),
                    info.get("scenario"),
                    info.get("scenario_hash"),
                    json.dumps(info.get("applied", {}), sort_keys=True),
                    info.get("data_hash"),
                    info.get("seed"),
                    r.status,
                    r.wall_time_s,
                    r.task_id,
                ]
            )
            rows += [(run_id, *row.as_tuple()) for row in rows_for(r.engine, r.payload)]
        with self._connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.executemany(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", runs
                )
                if rows:
                    # one bulk insert from a frame: row-by-row inserts cost seconds per run
                    new_rows = pd.DataFrame(rows, columns=RESULT_COLUMNS).astype({"year": "Int32"})
                    con.register("new_rows", new_rows)
                    con.execute("INSERT INTO results SELECT * FROM new_rows")
                    con.unregister("new_rows")
                if _fail_after_results:
                    raise RuntimeError("simulated crash in the middle of a write")
                con.executemany(
                    "INSERT INTO payloads VALUES (?, ?)",
                    [[i, json.dumps(r.payload)] for i, r in zip(ids, new, strict=True)],
                )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return ids

    def delete(self, run_id: str) -> None:
        with self._connect() as con:
            self._require(con, run_id)
            con.execute("BEGIN TRANSACTION")
            for table in ("results", "payloads", "runs"):
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            con.execute("COMMIT")

    # -- reading ---------------------------------------------------------------------------
    def runs(self) -> list[dict[str, Any]]:
        with self._connect(read_only=True) as con:
            cur = con.execute(
                "SELECT run_id, engine, created_at, version, scenario, data_hash, seed, status, "
                "wall_time_s, task_id FROM runs ORDER BY created_at, run_id"
            )
            cols = [d[0] for d in cur.description]
            return [
                {
                    k: (v.isoformat() if hasattr(v, "isoformat") else v)
                    for k, v in zip(cols, r, strict=True)
                }
                for r in cur.fetchall()
            ]

    def _require(self, con: Any, run_id: str) -> None:
        if con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone() is None:
            raise InputError(
                f"no run '{run_id}' in the store",
                file=str(self.path),
                fix="see `burdenshift runs list` for the ids",
            )

    def payload(self, run_id: str) -> dict[str, Any]:
        with self._connect(read_only=True) as con:
            self._require(con, run_id)
            row = con.execute("SELECT json FROM payloads WHERE run_id = ?", [run_id]).fetchone()
        return json.loads(row[0])

    def run(self, run_id: str) -> dict[str, Any]:
        with self._connect(read_only=True) as con:
            self._require(con, run_id)
            cur = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
            cols = [d[0] for d in cur.description]
            row = dict(zip(cols, cur.fetchone(), strict=True))
            n = con.execute("SELECT count(*) FROM results WHERE run_id = ?", [run_id]).fetchone()
        row["created_at"] = row["created_at"].isoformat()
        row["applied"] = json.loads(row.pop("applied_json") or "{}")
        row["result_rows"] = int(n[0])
        return row

    def results(self, run_id: str) -> list[tuple[Any, ...]]:
        with self._connect(read_only=True) as con:
            self._require(con, run_id)
            return con.execute(
                "SELECT area, ally, system, line, year, metric, value, unit FROM results "
                "WHERE run_id = ? ORDER BY metric, area, ally, system, line, year",
                [run_id],
            ).fetchall()

    def export(self, run_id: str, path: Path, fmt: str) -> None:
        """The run's long results to Parquet or CSV, written to a temporary file first."""
        if not path.parent.exists():
            raise InputError("the folder does not exist", file=str(path), fix="create it first")
        tmp = path.with_name(f".{path.name}.tmp")
        with self._connect(read_only=True) as con:
            self._require(con, run_id)
            options = "(FORMAT PARQUET)" if fmt == "parquet" else "(FORMAT CSV, HEADER)"
            con.execute(
                f"COPY (SELECT r.run_id, r.area, r.ally, r.system, r.line, r.year, r.metric, "
                f"r.value, r.unit FROM results r WHERE r.run_id = ? "
                f"ORDER BY metric, area, ally, system, line, year) TO '{tmp}' {options}",
                [run_id],
            )
        os.replace(tmp, path)

    def task_results(self, task_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Payloads of finished sweep tasks, by task id."""
        if not self.path.exists() or not task_ids:
            return {}
        with self._connect(read_only=True) as con:
            rows = con.execute(
                "SELECT r.task_id, p.json FROM runs r JOIN payloads p USING (run_id) "
                "WHERE r.task_id IS NOT NULL"
            ).fetchall()
        return {t: json.loads(j) for t, j in rows if t in task_ids}
